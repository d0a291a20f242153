"""销售: sales orders from the customer record up to logistics confirmation (物流确认).

The lock rules are the manual's (4.2 销售内容) and live here, not in the form:
- the customer of an order never changes, and neither does its number (单号) or variety;
- an unconfirmed order may change everything else;
- a confirmed order may change only its medium (来源): logistics may already be picking or
  printing it, so anything that changes what is shipped or charged must go through 错单撤销
  (withdraw) by logistics first;
- a cancelled (取消单) or voided (已作废) order changes no more.
Every state change is written to order_event (who, when, from → to, why).

单号 is yymmdd + a daily number of at least 4 digits, drawn from the seller's counter lane
(services/sequences.py): unique under concurrent writers on every node of a cluster without
a counter row that every order updates, and past 9,999 orders a day it grows a digit.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, case, exists, false, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from agent_app import clock
from agent_app.errors import Conflict, NotFound, ValidationError
from agent_app.phones import normalise
from agent_app.services.base import Actor, check_version, db_errors, retrying, writes
from agent_app.services.paging import Page
from agent_app.services.privacy import shown_all
from agent_app.services.sequences import next_lane_number
from agent_app.services.text import check_column, searchable
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import DeliveryMethod, LineKind, OrderStatus, Payment
from db.models import (
    Customer,
    CustomerPhone,
    Employee,
    Medium,
    OrderEvent,
    OrderLine,
    Product,
    Region,
    SalesOrder,
    Variety,
)
from db.types import utcnow

SITE_ZONE = clock.SITE_ZONE  # order numbers and date searches use the site's day
MAX_LINES = 50
MAX_QUANTITY = 9999
MAX_TOTAL = Decimal("10000000000")   # sales_order.total is DECIMAL(12,2): below 10^10


@dataclass(frozen=True)
class OrderLineDraft:
    product_id: int
    quantity: int = 1
    unit_price: Decimal | None = None   # None: the product's retail price (0 for a gift)
    kind: str = LineKind.DIRECT
    trial: bool = False


@dataclass(frozen=True)
class OrderDraft:
    customer_id: int
    lines: tuple[OrderLineDraft, ...]
    delivery_method: str = DeliveryMethod.LOCAL
    payment: str = Payment.COD
    delivery_requirements: str = ""
    medium_id: int | None = None
    placement_id: int | None = None
    remark: str = ""


@dataclass(frozen=True)
class OrderLineInfo:
    line_no: int
    product_id: int
    product_code: str
    product_name: str
    unit_price: Decimal
    quantity: int
    kind: str
    trial: bool
    amount: Decimal
    product_specification: str = ""  # 规格: one product name may come in several


@dataclass(frozen=True)
class OrderInfo:
    id: int
    order_no: str
    customer_id: int
    customer_name: str
    registration_no: str
    customer_class: str
    employee_id: int | None
    employee_name: str
    created_at: dt.datetime
    delivery_method: str
    payment: str
    delivery_requirements: str
    medium_id: int | None
    medium_name: str
    placement_id: int | None
    variety_id: int | None
    variety_name: str
    status: str
    confirmed: bool
    confirmed_at: dt.datetime | None
    printed_at: dt.datetime | None
    feedback_state: str
    receipt_state: str
    waybill_no: str | None
    total: Decimal
    trial: bool
    remark: str
    cancel_reason: str | None
    version: int
    updated_by_login: str | None
    lines: tuple[OrderLineInfo, ...]


@dataclass(frozen=True)
class OrderRow:
    """One row of 销售目录 (no lines)."""

    id: int
    order_no: str
    created_at: dt.datetime
    customer_id: int
    customer_name: str
    registration_no: str
    customer_class: str
    phone: str
    region_name: str
    employee_name: str
    delivery_method: str
    payment: str
    status: str
    confirmed: bool
    feedback_state: str
    receipt_state: str
    waybill_no: str | None
    total: Decimal
    trial: bool
    medium_name: str
    variety_name: str
    remark: str


@dataclass(frozen=True)
class OrderEventInfo:
    at: dt.datetime
    actor_login: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: str


# 销售目录查找: which field the search text applies to, and how (the manual's A/B/C kinds).
SEARCH_PREFIX = ("order_no", "registration_no")           # A: whole or leading part
SEARCH_WHOLE = ("waybill_no", "customer_name", "phone")   # B: whole only
SEARCH_CONTAINS = ("remark",)                             # C: anywhere


@dataclass(frozen=True)
class SalesQuery:
    date_from: dt.date
    date_to: dt.date
    medium_id: int | None = None
    variety_id: int | None = None
    status: str | None = None
    confirmed: bool | None = None
    region_id: int | None = None
    delivery_method: str | None = None
    field: str | None = None
    text: str = ""


def site_day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of a range of the site's calendar days, both days included."""
    start = dt.datetime.combine(date_from, dt.time(), SITE_ZONE)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), SITE_ZONE)
    return start, end


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def order_states(session: Session, customer_ids) -> dict[int, int]:
    """customer.order_state, which colours the directory: 0 no live order, 1 live orders
    but none confirmed (blue), 2 a confirmed live order (pink). Cancelled and voided orders
    do not count: the customer has nothing on its way."""
    ids = sorted(set(customer_ids))
    states = dict.fromkeys(ids, 0)
    confirmed = func.max(case((SalesOrder.confirmed.is_(True), 1), else_=0))
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(SalesOrder.customer_id, confirmed)
            .where(SalesOrder.customer_id.in_(ids[i:i + 500]),
                   SalesOrder.status.notin_([OrderStatus.CANCELLED, OrderStatus.VOIDED]))
            .group_by(SalesOrder.customer_id))
        for cid, any_confirmed in rows:
            states[cid] = 2 if any_confirmed else 1
    return states


def recompute_order_state(session: Session, customer_ids) -> None:
    """One UPDATE per state and 500 customers (a courier's sheet of 10,000 parcels touches
    as many customers: one statement each took seconds on MariaDB)."""
    by_state: dict[int, list[int]] = {}
    for cid, state in order_states(session, customer_ids).items():
        by_state.setdefault(state, []).append(cid)
    for state, ids in by_state.items():
        for i in range(0, len(ids), 500):
            session.execute(update(Customer).where(Customer.id.in_(ids[i:i + 500]),
                                                   Customer.order_state != state)
                            .values(order_state=state)
                            .execution_options(synchronize_session=False))


def _money(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "{value} is not an amount of money."),
                              field=field, value=value) from exc
    if d < 0 or d >= Decimal("10000000"):
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "A price must be between 0 and 9,999,999.99."), field=field)
    return d


def _clean(d: OrderDraft) -> OrderDraft:
    if not d.lines:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Add at least one product to the order."), field="lines")
    if len(d.lines) > MAX_LINES:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "An order has at most {n} lines."), field="lines", n=MAX_LINES)
    for ln in d.lines:
        if ln.kind not in set(LineKind):
            raise ValidationError(field="kind")
        if not isinstance(ln.quantity, int) or not 1 <= ln.quantity <= MAX_QUANTITY:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The quantity must be a whole number from 1 to {max}."),
                field="quantity", max=MAX_QUANTITY)
    if d.delivery_method not in set(DeliveryMethod):
        raise ValidationError(field="delivery_method")
    if d.payment not in set(Payment):
        raise ValidationError(field="payment")
    # each text field by its own column's width and characters (services/text.py)
    return replace(d, delivery_requirements=check_column(SalesOrder.delivery_requirements,
                                                         d.delivery_requirements.strip()),
                   remark=check_column(SalesOrder.remark, d.remark.strip()))


def _touch(o: SalesOrder, actor: Actor) -> None:
    """Mark the row changed even when only its lines changed, so its version moves on and
    a stale copy elsewhere is refused."""
    o.updated_by_login = actor.login
    o.updated_at = clock.now()


def _event(s: Session, o: SalesOrder, actor: Actor, action: str, before: str | None,
           detail: str = "") -> None:
    s.add(OrderEvent(order_id=o.id, at=clock.now(), actor_login=actor.login, action=action,
                     from_status=before, to_status=o.status, detail=detail[:2000]))


def text_filter(stmt, field: str | None, text: str | None):
    """The manual's A/B/C search kinds on a select of orders joined to their customer
    (销售目录查找 and 出库查找): `field` one of SEARCH_PREFIX, SEARCH_WHOLE or
    SEARCH_CONTAINS."""
    text = (text or "").strip()
    if field is None:
        if text:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Choose what to search in."), field="field")
        return stmt
    if field not in SEARCH_PREFIX + SEARCH_WHOLE + SEARCH_CONTAINS:
        raise ValidationError(field="field")
    if not text:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Type what to search for."), field="text")
    if not searchable(text):  # no stored text holds it (services/text.py)
        return stmt.where(false())
    if field == "order_no":
        return stmt.where(SalesOrder.order_no.like(like_escape(text) + "%", escape="\\"))
    if field == "registration_no":
        return stmt.where(Customer.registration_no.like(like_escape(text) + "%",
                                                        escape="\\"))
    if field == "waybill_no":
        return stmt.where(SalesOrder.waybill_no == text)
    if field == "customer_name":
        return stmt.where(Customer.name == text)
    if field == "phone":
        return stmt.where(exists().where(CustomerPhone.customer_id == Customer.id,
                                         CustomerPhone.phone == normalise(text)))
    return stmt.where(SalesOrder.remark.like("%" + like_escape(text) + "%", escape="\\"))


class OrderService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writing ------------------------------------------------------------------------------
    def create(self, actor: Actor, draft: OrderDraft, *, confirm: bool = False) -> OrderInfo:
        d = _clean(draft)
        return retrying(lambda: self._create(actor, d, confirm))

    def _create(self, actor: Actor, d: OrderDraft, confirm: bool) -> OrderInfo:
        with db_errors(), self.db.transaction() as s:
            # The customer row is locked first: inserting the order takes a shared lock on
            # it (the foreign key) and recompute_order_state() then updates it, so two
            # orders for one customer at the same instant would each hold the shared lock
            # and deadlock on the upgrade. Locked up front, the second simply waits.
            customer = s.get(Customer, d.customer_id, with_for_update=True)
            if customer is None:
                raise NotFound()
            self._check_medium(s, d.medium_id)
            lines = self._lines(s, d.lines, new=True)
            day = clock.now().astimezone(SITE_ZONE).strftime("%y%m%d")
            n = next_lane_number(s, "order", day, actor.login)
            first_direct = next((ln for ln in lines if ln.kind == LineKind.DIRECT), lines[0])
            o = SalesOrder(order_no=f"{day}{n:04d}", customer_id=customer.id,
                           employee_id=actor.id, created_at=utcnow(),
                           variety_id=s.get(Product, first_direct.product_id).variety_id,
                           status=OrderStatus.NOT_SENT, updated_by_login=actor.login)
            self._apply(o, d, lines)
            s.add(o)
            s.flush()
            _event(s, o, actor, "create", None)
            if confirm:
                self._confirm(s, o, actor)
            recompute_order_state(s, {customer.id})
            s.flush()
            return self._info(s, o)

    @writes
    def update(self, actor: Actor, order_id: int, version: int, draft: OrderDraft) -> OrderInfo:
        d = _clean(draft)
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id)
            check_version(o, version)
            if d.customer_id != o.customer_id:
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "The customer of an order cannot change."), field="customer")
            if o.status in (OrderStatus.CANCELLED, OrderStatus.VOIDED):
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "Order {order_no} is cancelled or voided and cannot change."),
                    order_no=o.order_no)
            if o.confirmed:
                changed = self._changed_fields(s, o, d)
                if changed - {"medium_id", "placement_id"}:
                    raise Conflict(QT_TRANSLATE_NOOP(
                        "errors", "Order {order_no} is confirmed for logistics: only its "
                        "medium can change. Ask logistics to withdraw it (错单撤销) first."),
                        field=sorted(changed)[0], order_no=o.order_no)
                self._check_medium(s, d.medium_id)
                old = self._medium_name(s, o.medium_id)
                o.medium_id, o.placement_id = d.medium_id, d.placement_id
                _touch(o, actor)
                s.flush()
                # by name: 传物流 shows logistics this text (services/logistics.py)
                _event(s, o, actor, "edit", o.status,
                       f"来源 {old} -> {self._medium_name(s, d.medium_id)}")
                return self._info(s, o)
            self._check_medium(s, d.medium_id)
            changed = self._changed_fields(s, o, d)
            lines = self._lines(s, d.lines, new=False)
            # old lines go first: (order_id, line_no) is unique and the unit of work would
            # otherwise insert the new line 1 before deleting the old one
            o.lines.clear()
            s.flush()
            self._apply(o, d, lines)
            _touch(o, actor)
            s.flush()
            _event(s, o, actor, "edit", o.status, ", ".join(sorted(changed)))
            return self._info(s, o)

    @writes
    def confirm(self, actor: Actor, order_id: int, version: int) -> OrderInfo:
        """物流确认: hand the order to logistics; from now on it is locked."""
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id)
            check_version(o, version)
            if o.confirmed:
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "Order {order_no} is already confirmed for logistics."),
                    order_no=o.order_no)
            if o.status != OrderStatus.NOT_SENT:
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "Order {order_no} is cancelled or voided and cannot change."),
                    order_no=o.order_no)
            self._confirm(s, o, actor)
            recompute_order_state(s, {o.customer_id})
            return self._info(s, o)

    @writes
    def cancel(self, actor: Actor, order_id: int, version: int, reason: str) -> OrderInfo:
        """取消单: the customer no longer wants it; only before dispatch (not printed). The
        rule is the logistics state machine's (services/logistics.py), which the 物流管理
        windows call too."""
        from agent_app.services.logistics import LogisticsService  # it imports this module

        LogisticsService(self.db).cancel(actor, order_id, version, reason)
        return self.get(order_id)

    # -- reading ------------------------------------------------------------------------------
    def get(self, order_id: int) -> OrderInfo:
        with db_errors(), self.db.reading() as s:
            return self._info(s, self._load(s, order_id))

    def history(self, order_id: int) -> list[OrderEventInfo]:
        with db_errors(), self.db.reading() as s:
            rows = s.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)
                             .order_by(OrderEvent.at, OrderEvent.id)).all()
            return [OrderEventInfo(e.at, e.actor_login, e.action, e.from_status, e.to_status,
                                   e.detail) for e in rows]

    def for_customer(self, customer_id: int, limit: int = 100, *,
                     viewer: Actor | None = None) -> list[OrderRow]:
        with db_errors(), self.db.reading() as s:
            return shown_all(viewer, self.rows_for_customer(s, customer_id, limit))

    def rows_for_customer(self, s: Session, customer_id: int, limit: int = 100) -> list[OrderRow]:
        """The customer's orders newest first, in a session the caller holds (the record
        bundle reads everything in one session)."""
        stmt = self._row_select().where(SalesOrder.customer_id == customer_id)
        stmt = stmt.order_by(SalesOrder.created_at.desc(), SalesOrder.id.desc()).limit(limit)
        return [self._row(r) for r in s.execute(stmt)]

    def search(self, actor: Actor, q: SalesQuery, *, page_size: int = 100,
               after: tuple | None = None) -> Page[OrderRow]:
        """销售目录查找: the date range is required (the manual's 必设项); every other
        criterion applies only when given. Newest first, keyset-paged."""
        if q.date_from is None or q.date_to is None:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Give the sales date range."), field="date_from")
        if q.date_to < q.date_from:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The end date is before the start date."), field="date_to")
        start, end = site_day_bounds(q.date_from, q.date_to)
        stmt = self._row_select().where(SalesOrder.created_at >= start,
                                        SalesOrder.created_at < end)
        for value, col in ((q.medium_id, SalesOrder.medium_id),
                           (q.variety_id, SalesOrder.variety_id),
                           (q.status, SalesOrder.status), (q.confirmed, SalesOrder.confirmed),
                           (q.region_id, Customer.region_id),
                           (q.delivery_method, SalesOrder.delivery_method)):
            if value is not None:
                stmt = stmt.where(col == value)
        stmt = self._text_filter(stmt, q)
        if after is not None:
            at, oid = after
            stmt = stmt.where(or_(SalesOrder.created_at < at,
                                  and_(SalesOrder.created_at == at, SalesOrder.id < oid)))
        stmt = stmt.order_by(SalesOrder.created_at.desc(), SalesOrder.id.desc())
        with db_errors(), self.db.reading() as s:
            rows = [self._row(r) for r in s.execute(stmt.limit(page_size + 1))]
        more = len(rows) > page_size
        rows = shown_all(actor, rows[:page_size])
        return Page(rows, (rows[-1].created_at, rows[-1].id) if more else None)

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _text_filter(stmt, q: SalesQuery):
        return text_filter(stmt, q.field, q.text)

    @staticmethod
    def _row_select():
        seller = aliased(Employee)
        return (select(SalesOrder.id, SalesOrder.order_no, SalesOrder.created_at,
                       SalesOrder.customer_id, Customer.name.label("customer_name"),
                       Customer.registration_no, Customer.customer_class, Customer.mobile,
                       Customer.landline, Region.name.label("region_name"),
                       seller.name.label("employee_name"), SalesOrder.delivery_method,
                       SalesOrder.payment, SalesOrder.status, SalesOrder.confirmed,
                       SalesOrder.feedback_state, SalesOrder.receipt_state,
                       SalesOrder.waybill_no, SalesOrder.total, SalesOrder.trial,
                       Medium.name.label("medium_name"), Variety.name.label("variety_name"),
                       SalesOrder.remark)
                .join(Customer, Customer.id == SalesOrder.customer_id)
                .outerjoin(Region, Region.id == Customer.region_id)
                .outerjoin(seller, seller.id == SalesOrder.employee_id)
                .outerjoin(Medium, Medium.id == SalesOrder.medium_id)
                .outerjoin(Variety, Variety.id == SalesOrder.variety_id))

    @staticmethod
    def _row(r) -> OrderRow:
        return OrderRow(r.id, r.order_no, r.created_at, r.customer_id, r.customer_name,
                        r.registration_no, r.customer_class, r.mobile or r.landline or "",
                        r.region_name or "", r.employee_name or "", r.delivery_method,
                        r.payment, r.status, bool(r.confirmed), r.feedback_state,
                        r.receipt_state, r.waybill_no, r.total, bool(r.trial),
                        r.medium_name or "", r.variety_name or "", r.remark)

    @staticmethod
    def _load(s: Session, order_id: int) -> SalesOrder:
        o = s.get(SalesOrder, order_id)
        if o is None:
            raise NotFound()
        return o

    @staticmethod
    def _medium_name(s: Session, medium_id: int | None) -> str:
        m = s.get(Medium, medium_id) if medium_id is not None else None
        return m.name if m else "-"

    @staticmethod
    def _check_medium(s: Session, medium_id: int | None) -> None:
        if medium_id is not None and s.get(Medium, medium_id) is None:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The medium no longer exists; pick another."), field="medium_id")

    @staticmethod
    def _lines(s: Session, drafts: tuple[OrderLineDraft, ...], *, new: bool) -> list[OrderLine]:
        ids = {ln.product_id for ln in drafts}
        products = {p.id: p for p in s.scalars(select(Product).where(Product.id.in_(ids)))}
        out = []
        for no, ln in enumerate(drafts, start=1):
            p = products.get(ln.product_id)
            if p is None or (new and not p.active):
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "Line {line}: the product is not on sale."), field="lines",
                    line=no)
            if ln.unit_price is None:
                price = Decimal("0.00") if ln.kind == LineKind.GIFT else p.retail_price
            else:
                price = _money(ln.unit_price, "unit_price")
            out.append(OrderLine(line_no=no, product_id=p.id, unit_price=price,
                                 quantity=ln.quantity, kind=ln.kind, trial=bool(ln.trial)))
        return out

    @staticmethod
    def _apply(o: SalesOrder, d: OrderDraft, lines: list[OrderLine]) -> None:
        o.delivery_method = d.delivery_method
        o.payment = d.payment
        o.delivery_requirements = d.delivery_requirements
        o.medium_id = d.medium_id
        o.placement_id = d.placement_id
        o.remark = d.remark
        total = sum((ln.unit_price * ln.quantity for ln in lines), Decimal("0.00"))
        if total >= MAX_TOTAL:   # MariaDB would refuse the row (a crash), SQLite keep it
            raise ValidationError(field="lines", max=MAX_TOTAL)
        o.lines = lines
        o.total = total
        o.trial = any(ln.trial for ln in lines)

    @staticmethod
    def _changed_fields(s: Session, o: SalesOrder, d: OrderDraft) -> set[str]:
        changed = {f for f in ("delivery_method", "payment", "delivery_requirements",
                               "medium_id", "placement_id", "remark")
                   if getattr(o, f) != getattr(d, f)}
        old = [(ln.product_id, ln.quantity, ln.unit_price, ln.kind, ln.trial) for ln in o.lines]
        new = []
        for i, ln in enumerate(d.lines):
            # a line without a price keeps the price it has (same product, same place)
            current = o.lines[i] if i < len(o.lines) else None
            if ln.unit_price is not None:
                price = _money(ln.unit_price, "unit_price")
            elif ln.kind == LineKind.GIFT:
                price = Decimal("0.00")
            elif current is not None and current.product_id == ln.product_id:
                price = current.unit_price
            else:
                price = None
            new.append((ln.product_id, ln.quantity, price, ln.kind, bool(ln.trial)))
        if old != new:
            changed.add("lines")
        return changed

    @staticmethod
    def _confirm(s: Session, o: SalesOrder, actor: Actor) -> None:
        o.confirmed = True
        o.confirmed_at = clock.now()
        o.withdrawn_at = None   # confirmed again after 撤单: no longer a 撤销单
        _touch(o, actor)
        s.flush()
        _event(s, o, actor, "confirm", o.status)

    @staticmethod
    def _info(s: Session, o: SalesOrder) -> OrderInfo:
        c = s.get(Customer, o.customer_id)
        seller = s.get(Employee, o.employee_id) if o.employee_id else None
        medium = s.get(Medium, o.medium_id) if o.medium_id else None
        variety = s.get(Variety, o.variety_id) if o.variety_id else None
        products = {p.id: p for p in s.scalars(select(Product).where(
            Product.id.in_({ln.product_id for ln in o.lines})))}
        lines = tuple(OrderLineInfo(ln.line_no, ln.product_id, products[ln.product_id].code,
                                    products[ln.product_id].name, ln.unit_price, ln.quantity,
                                    ln.kind, ln.trial, ln.unit_price * ln.quantity,
                                    products[ln.product_id].specification)
                      for ln in o.lines)
        return OrderInfo(
            o.id, o.order_no, o.customer_id, c.name, c.registration_no, c.customer_class,
            o.employee_id, seller.name if seller else "", o.created_at, o.delivery_method,
            o.payment, o.delivery_requirements, o.medium_id, medium.name if medium else "",
            o.placement_id, o.variety_id, variety.name if variety else "", o.status,
            o.confirmed, o.confirmed_at, o.printed_at, o.feedback_state, o.receipt_state,
            o.waybill_no, o.total, o.trial, o.remark, o.cancel_reason, o.version,
            o.updated_by_login, lines)
