"""物流管理: what happens to an order after 物流确认, as one state machine.

An order's place in it is read from four columns of sales_order: `status` (未送 not_sent,
在途 in_transit, 已受理 accepted, 已作废 voided, 取消单 cancelled), `confirmed` (物流确认),
`printed_at`/`print_count` (出库打印) and `feedback_state` (反: 未/受), plus `withdrawn_at`
(撤单: handed back to sales). Every action below names the rules it needs (`RULES`, checked
in order so the message is the most useful one) and the permission the manual gives it:

  action            needs                                        then
  confirm (sales)   live, not confirmed                          confirmed  (OrderService)
  withdraw 撤单      not fed back, live, confirmed, not printed   unconfirmed, withdrawn
  delete 删撤销单     live, withdrawn                              the order is deleted
  void 作废          not fed back, live, confirmed, printed       voided
  cancel 取消单      not fed back, live, not printed              cancelled
  print 出库打印      not fed back, live, confirmed                in transit (reprint logged)
  feedback 受理      not fed back, live, confirmed                accepted (成包) / voided (退包)
  resend 传物流      not fed back, live, confirmed, not printed,  logistics told what changed
                    edited since confirmation
  receipt 垂         not cancelled                                receipt_state set
  waybill 联号       not fed back, live, confirmed                waybill_no set

"live" is neither cancelled nor voided. A returned parcel (退包) is 已作废 as the manual's
status list says, and is told apart from a 作废 by its dispatch_feedback row. Every change
writes order_event (who, when, from → to, why) and bumps the order's version, so a stale
window is refused and two clerks on one parcel end with one winner and a message naming
them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from agent_app import clock
from agent_app.errors import Conflict, NotFound, ValidationError
from agent_app.services.base import (
    Actor,
    audit,
    check_version,
    db_errors,
    require,
    writes,
)
from agent_app.services.orders import (
    _event,
    _touch,
    recompute_order_state,
    site_day_bounds,
    text_filter,
)
from agent_app.services.paging import Page
from agent_app.services.privacy import shown, shown_all
from agent_app.services.text import check_column, check_text
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import FeedbackResult, FeedbackState, OrderStatus, Payment, Permission, ReceiptState
from db.models import (
    Customer,
    Department,
    DispatchFeedback,
    Employee,
    Medium,
    OrderEvent,
    OrderLine,
    PrintLog,
    Product,
    Region,
    SalesOrder,
)

LOGISTICS_DEPARTMENT = "03"   # 物流部's number (db/seed.py): its people are the 投递员
MAX_BATCH = 2000              # parcels in one 受理 (a day's round is a few hundred)
MAX_FEE = Decimal("100000")

CLOSED = (OrderStatus.CANCELLED, OrderStatus.VOIDED)

# -- the rules ---------------------------------------------------------------------------------
_FED_BACK = QT_TRANSLATE_NOOP("errors", "Order {order_no} was already fed back by {who} at {when}.")
_MESSAGES = {
    "live": QT_TRANSLATE_NOOP("errors", "Order {order_no} is {status} and can no longer change."),
    "confirmed": QT_TRANSLATE_NOOP(
        "errors", "Order {order_no} is not confirmed for logistics (物流确认) yet."),
    "not_printed": QT_TRANSLATE_NOOP(
        "errors", "Order {order_no} has been printed: void it (作废) instead."),
    "printed": QT_TRANSLATE_NOOP(
        "errors", "Order {order_no} has not been printed: withdraw it (撤单) instead."),
    "withdrawn": QT_TRANSLATE_NOOP(
        "errors", "Order {order_no} is not a withdrawn order (撤销单)."),
    "not_cancelled": QT_TRANSLATE_NOOP("errors", "Order {order_no} is cancelled."),
    "edited": QT_TRANSLATE_NOOP(
        "errors", "Order {order_no} has no change since it was confirmed: nothing to send."),
}
RULES: dict[str, tuple[str, ...]] = {
    "withdraw": ("not_fed_back", "live", "confirmed", "not_printed"),
    "delete_withdrawn": ("live", "withdrawn"),
    "void": ("not_fed_back", "live", "confirmed", "printed"),
    "cancel": ("not_fed_back", "live", "not_printed"),
    "print": ("not_fed_back", "live", "confirmed"),
    "feedback": ("not_fed_back", "live", "confirmed"),
    "resend": ("not_fed_back", "live", "confirmed", "not_printed", "edited"),
    "receipt": ("not_cancelled",),
    "waybill": ("not_fed_back", "live", "confirmed"),
}
PERMISSIONS: dict[str, Permission | None] = {
    "withdraw": Permission.WITHDRAW_ORDER,      # 错单撤销
    "delete_withdrawn": Permission.DELETE_WITHDRAWN,   # 删撤销单
    "void": Permission.WITHDRAW_ORDER,          # a printed 错单 is voided by the same hands
    "cancel": Permission.CANCEL_ORDER,          # 订单取消
    "print": Permission.DISPATCH_FEEDBACK,      # logistics' own work
    "feedback": Permission.DISPATCH_FEEDBACK,   # 反馈
    "resend": None,                             # the seller's
    "receipt": None,                            # the seller's follow-up
    "waybill": Permission.DISPATCH_FEEDBACK,    # 联号: the courier's number on the parcel
}
STATUS_TEXT = {  # for the "is {status}" message, translated with it
    OrderStatus.CANCELLED: QT_TRANSLATE_NOOP("errors", "cancelled"),
    OrderStatus.VOIDED: QT_TRANSLATE_NOOP("errors", "voided"),
}


def _stamp(at: dt.datetime | None) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M") if at else "?"


def _holds(s: Session, o: SalesOrder, rule: str) -> bool:
    if rule == "not_fed_back":
        return o.feedback_state == FeedbackState.NONE
    if rule == "live":
        return o.status not in CLOSED
    if rule == "confirmed":
        return bool(o.confirmed)
    if rule == "not_printed":
        return o.printed_at is None
    if rule == "printed":
        return o.printed_at is not None
    if rule == "withdrawn":
        return o.withdrawn_at is not None and not o.confirmed
    if rule == "not_cancelled":
        return o.status != OrderStatus.CANCELLED
    if rule == "edited":
        return bool(_edits_since_confirmation(s, o.id))
    raise AssertionError(rule)


def refusal(s: Session, o: SalesOrder, action: str) -> Conflict | None:
    """Why `action` may not happen to `o` now, or None when it may."""
    for rule in RULES[action]:
        if _holds(s, o, rule):
            continue
        if rule == "not_fed_back":
            fb = s.scalar(select(DispatchFeedback).where(DispatchFeedback.order_id == o.id))
            who = fb.actor_login if fb else (o.updated_by_login or "?")
            return Conflict(_FED_BACK, order_no=o.order_no, who=who,
                            when=_stamp(fb.at if fb else o.updated_at))
        if rule == "live":
            closed = Conflict(_MESSAGES[rule], order_no=o.order_no, status=STATUS_TEXT[o.status])
            closed.translated_params = ("status",)   # 已取消 / 已作废 in the user's language
            return closed
        return Conflict(_MESSAGES[rule], order_no=o.order_no)
    return None


def check(s: Session, actor: Actor, o: SalesOrder, action: str) -> None:
    permission = PERMISSIONS[action]
    if permission is not None:
        require(actor, permission)
    problem = refusal(s, o, action)
    if problem is not None:
        raise problem


def _edits_since_confirmation(s: Session, order_id: int) -> list[str]:
    """The details of the edits made to a confirmed order since it was confirmed or last
    sent to logistics (传物流)."""
    events = s.execute(select(OrderEvent.action, OrderEvent.detail)
                       .where(OrderEvent.order_id == order_id)
                       .order_by(OrderEvent.at, OrderEvent.id)).all()
    edits: list[str] = []
    for action, detail in events:
        if action in ("confirm", "resend"):
            edits = []
        elif action == "edit":
            edits.append(detail)
    return edits


def _set_status(o: SalesOrder, status: str, reason: str) -> None:
    o.status = status
    o.cancel_reason = reason


def _reason(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "Give the reason."), field="reason")
    return check_text(text, field="reason", limit=200)   # a void keeps it as cancel_reason


# -- what the windows show ---------------------------------------------------------------------
@dataclass(frozen=True)
class Parcel:
    """One order as 出库反馈 shows it after its 联号 is scanned."""

    id: int
    version: int
    order_no: str
    waybill_no: str | None
    customer_name: str
    phone: str
    address: str
    delivery_method: str
    payment: str
    total: Decimal
    cod_amount: Decimal      # what the courier collects: the total of a COD order
    goods: str               # "眼保姆豪华版×1, 护目贴×2"
    trial: bool
    status: str
    printed: bool


@dataclass(frozen=True)
class FeedbackEntry:
    """One line of the 出库反馈 batch."""

    order_id: int
    result: str                    # FeedbackResult
    courier_id: int | None = None  # 投递员
    delivery_fee: Decimal | str | int = 0   # 投递费
    remark: str = ""


@dataclass(frozen=True)
class Refused:
    order_id: int
    order_no: str
    error: Exception               # a UserError: the window translates it


@dataclass(frozen=True)
class FeedbackOutcome:
    accepted: tuple[str, ...]      # order numbers fed back by this call
    refused: tuple[Refused, ...]


@dataclass(frozen=True)
class DispatchQuery:
    """出库查找: each criterion applies only when given (the manual's ticked boxes).
    Without dates, the orders confirmed in the last `dispatch_days` (近2天). With
    `withdrawn`, the 撤销单 instead: withdrawn orders not yet confirmed again, by the day
    they were withdrawn."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region_id: int | None = None
    delivery_method: str | None = None
    product_id: int | None = None
    status: str | None = None
    printed: bool | None = None
    fed_back: bool | None = None
    withdrawn: bool = False
    field: str | None = None
    text: str = ""


@dataclass(frozen=True)
class DispatchRow:
    """One order of 出库目录 with its 出库内容."""

    id: int
    version: int
    order_no: str
    confirmed_at: dt.datetime | None
    customer_name: str
    phone: str
    address: str
    region_name: str
    delivery_method: str
    payment: str
    total: Decimal
    cod_amount: Decimal
    delivery_requirements: str
    medium_name: str
    seller_name: str
    goods: str
    status: str
    print_count: int
    feedback_state: str
    waybill_no: str | None
    trial: bool
    remark: str
    withdrawn_at: dt.datetime | None
    resent: str            # 传物流: what the seller changed since confirmation ("" none)


@dataclass(frozen=True)
class Courier:
    id: int
    login: str
    name: str


def parse_fee(value) -> Decimal:
    """投递费 as typed: "8", "8.50", "¥1,280.00"."""
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    text = text.lstrip("¥￥").strip() or "0"
    try:
        fee = Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "{value} is not an amount of money."),
                              field="fee", value=value) from exc
    if not fee.is_finite() or fee < 0 or fee >= MAX_FEE:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "A delivery fee must be between 0 and 99,999.99."), field="fee")
    return fee


def goods_text(s: Session, order_ids: Sequence[int]) -> dict[int, str]:
    """Each order's lines as "name×qty, …". The lines by their order index, then the few
    products by id: joined in one statement MariaDB drove it from the product table and
    scanned six million lines for a page of 100 orders (9.8 s on the large data)."""
    lines = s.execute(select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity)
                      .where(OrderLine.order_id.in_(order_ids))
                      .order_by(OrderLine.order_id, OrderLine.line_no)).all()
    names = dict(s.execute(select(Product.id, Product.name).where(
        Product.id.in_({p for _o, p, _q in lines}))).all()) if lines else {}
    out: dict[int, list[str]] = {}
    for oid, pid, qty in lines:
        out.setdefault(oid, []).append(f"{names.get(pid, '?')}×{qty}")
    return {k: ", ".join(v) for k, v in out.items()}


class LogisticsService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- 出库反馈 --------------------------------------------------------------------------------
    def couriers(self) -> list[Courier]:
        """投递员: the active employees of 物流部."""
        with db_errors(), self.db.reading() as s:
            rows = s.execute(select(Employee.id, Employee.login, Employee.name)
                             .join(Department, Department.id == Employee.department_id)
                             .where(Department.number == LOGISTICS_DEPARTMENT,
                                    Employee.status == "active")
                             .order_by(Employee.login))
            return [Courier(*r) for r in rows]

    def lookup(self, actor: Actor, ref: str) -> Parcel:
        """The parcel a scanned or typed 联号 (order number or waybill) names, when it may be
        fed back; else the reason it may not (NotFound, Conflict)."""
        require(actor, Permission.DISPATCH_FEEDBACK)
        ref = (ref or "").strip()
        if not ref:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Scan or type the order number or waybill."), field="ref")
        with db_errors(), self.db.reading() as s:
            o = self._by_ref(s, ref)
            problem = refusal(s, o, "feedback")
            if problem is not None:
                raise problem
            return shown(actor, self._parcel(s, o))

    @writes
    def feedback(self, actor: Actor, entries: Sequence[FeedbackEntry]) -> FeedbackOutcome:
        """受理: the batch in one transaction. A parcel that may not be fed back (already
        fed back, not confirmed, cancelled, unknown) is refused with its reason and the rest
        are fed back; nothing of a refused parcel is written."""
        require(actor, Permission.DISPATCH_FEEDBACK)
        if not entries:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The batch is empty: scan a parcel first."), field="batch")
        if len(entries) > MAX_BATCH:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "At most {n} parcels in one batch."), field="batch", n=MAX_BATCH)
        clean = [self._clean(e) for e in entries]
        with db_errors(), self.db.transaction() as s:
            couriers = self._courier_ids(s)
            ids = sorted({e.order_id for e in clean})
            # locked in id order, so two batches sharing parcels queue instead of deadlocking
            orders = {o.id: o for o in s.scalars(
                select(SalesOrder).where(SalesOrder.id.in_(ids)).order_by(SalesOrder.id)
                .with_for_update())}
            accepted: list[str] = []
            refused: list[Refused] = []
            seen: set[int] = set()
            touched: set[int] = set()
            for e in clean:
                o = orders.get(e.order_id)
                if o is None:
                    refused.append(Refused(e.order_id, "", NotFound()))
                    continue
                problem: Exception | None = None
                if e.order_id in seen:
                    problem = Conflict(QT_TRANSLATE_NOOP(
                        "errors", "Order {order_no} is in the batch twice."), order_no=o.order_no)
                elif e.courier_id is not None and e.courier_id not in couriers:
                    problem = ValidationError(QT_TRANSLATE_NOOP(
                        "errors", "The courier of order {order_no} is not in 物流部."),
                        field="courier_id", order_no=o.order_no)
                else:
                    problem = refusal(s, o, "feedback")
                seen.add(e.order_id)
                if problem is not None:
                    refused.append(Refused(o.id, o.order_no, problem))
                    continue
                self.apply_feedback(s, actor, o, e)
                accepted.append(o.order_no)
                touched.add(o.customer_id)
            s.flush()
            recompute_order_state(s, touched)
            return FeedbackOutcome(tuple(accepted), tuple(refused))

    def apply_feedback(self, s: Session, actor: Actor, o: SalesOrder, e: FeedbackEntry,
                       source: str = "desk") -> None:
        """One parcel's feedback in the caller's transaction, its rules already checked
        (feedback() here, and a courier's sheet: services/courier_sheets.py)."""
        before = o.status
        o.status = (OrderStatus.ACCEPTED if e.result == FeedbackResult.DELIVERED
                    else OrderStatus.VOIDED)
        o.feedback_state = FeedbackState.ACCEPTED
        _touch(o, actor)
        # no flush per parcel: the unit of work writes a batch's rows together
        s.add(DispatchFeedback(order_id=o.id, result=e.result, courier_id=e.courier_id,
                               delivery_fee=e.delivery_fee, remark=e.remark, at=clock.now(),
                               actor_login=actor.login, source=source))
        _event(s, o, actor, "feedback", before, e.result + (f": {e.remark}" if e.remark else ""))

    @staticmethod
    def _clean(e: FeedbackEntry) -> FeedbackEntry:
        if e.result not in set(FeedbackResult):
            raise ValidationError(field="result")
        remark = check_column(DispatchFeedback.remark, (e.remark or "").strip(), field="remark")
        return FeedbackEntry(int(e.order_id), e.result, e.courier_id, parse_fee(e.delivery_fee), remark)

    @staticmethod
    def _courier_ids(s: Session) -> set[int]:
        return set(s.scalars(select(Employee.id)
                             .join(Department, Department.id == Employee.department_id)
                             .where(Department.number == LOGISTICS_DEPARTMENT,
                                    Employee.status == "active")))

    # -- correcting orders -----------------------------------------------------------------------
    @writes
    def withdraw(self, actor: Actor, order_id: int, version: int, reason: str) -> None:
        """撤单 (错单撤销): back to sales, unlocked; the seller fixes it and confirms again."""
        def back_to_sales(o: SalesOrder) -> None:
            o.confirmed = False
            o.confirmed_at = None
            o.withdrawn_at = clock.now()
        self._correct(actor, order_id, version, "withdraw", _reason(reason), back_to_sales)

    @writes
    def delete_withdrawn(self, actor: Actor, order_id: int, version: int, reason: str) -> None:
        """删撤销单: a withdrawn order nobody will confirm again is removed; the audit log
        keeps what it was, since its own history goes with it."""
        reason = _reason(reason)
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id, version)
            check(s, actor, o, "delete_withdrawn")
            audit(s, actor.login, "order.delete_withdrawn", o.order_no, reason=reason,
                  customer_id=o.customer_id, total=str(o.total))
            customer_id = o.customer_id
            s.execute(delete(OrderEvent).where(OrderEvent.order_id == o.id))
            s.delete(o)   # its lines go with it (the relationship's cascade)
            s.flush()
            recompute_order_state(s, {customer_id})

    @writes
    def void(self, actor: Actor, order_id: int, version: int, reason: str) -> None:
        """作废: a printed order with wrong data."""
        reason = _reason(reason)
        self._correct(actor, order_id, version, "void", reason,
                      lambda o: _set_status(o, OrderStatus.VOIDED, reason))

    @writes
    def cancel(self, actor: Actor, order_id: int, version: int, reason: str) -> None:
        """取消单: the customer no longer wants it; before dispatch (not printed)."""
        require(actor, Permission.CANCEL_ORDER)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Give the reason for cancelling."), field="reason")
        reason = check_column(SalesOrder.cancel_reason, reason, field="reason")
        self._correct(actor, order_id, version, "cancel", reason,
                      lambda o: _set_status(o, OrderStatus.CANCELLED, reason))

    def _correct(self, actor: Actor, order_id: int, version: int, action: str, reason: str,
                 change: Callable[[SalesOrder], None]) -> None:
        """撤单, 作废 and 取消单 alike: load at the window's version, check the action's rules,
        change, and record it in the order's history and the customer's order state."""
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id, version)
            check(s, actor, o, action)
            before = o.status
            change(o)
            _touch(o, actor)
            s.flush()
            _event(s, o, actor, action, before, reason)
            recompute_order_state(s, {o.customer_id})

    @writes
    def resend(self, actor: Actor, order_id: int, version: int) -> str:
        """传物流: a confirmed order edited before printing is sent again; the event holds
        what changed, which 出库目录 shows. Returns that text."""
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id, version)
            check(s, actor, o, "resend")
            changes = "; ".join(_edits_since_confirmation(s, o.id))
            _touch(o, actor)
            s.flush()
            _event(s, o, actor, "resend", o.status, changes)
            return changes

    @writes
    def set_receipt(self, actor: Actor, order_id: int, version: int, receipt: str) -> None:
        """垂: the seller's record of whether the customer received the goods."""
        if receipt not in set(ReceiptState):
            raise ValidationError(field="receipt")
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id, version)
            check(s, actor, o, "receipt")
            if o.receipt_state == receipt:
                return
            old = o.receipt_state
            o.receipt_state = receipt
            _touch(o, actor)
            s.flush()
            _event(s, o, actor, "receipt", o.status, f"{old} -> {receipt}")

    @writes
    def set_waybill(self, actor: Actor, order_id: int, version: int, waybill: str) -> None:
        """联号: the courier's waybill number on the parcel (a pre-printed courier slip, or
        the e-waybill the courier issued). It replaces the order number in the label's
        barcode and is what couriers' sheets name the parcel by."""
        waybill = check_column(SalesOrder.waybill_no, (waybill or "").strip(), field="waybill")
        if not waybill or not waybill.isascii() or not waybill.isprintable() \
                or " " in waybill:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "A waybill is letters and digits, without spaces."), field="waybill")
        with db_errors(), self.db.transaction() as s:
            o = self._load(s, order_id, version)
            check(s, actor, o, "waybill")
            other = s.scalar(select(SalesOrder.order_no).where(
                SalesOrder.waybill_no == waybill, SalesOrder.id != o.id,
                SalesOrder.status.not_in(CLOSED)))
            if other is not None:
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "Waybill {waybill} is on order {order_no} already."),
                    field="waybill", waybill=waybill, order_no=other)
            old = o.waybill_no
            o.waybill_no = waybill
            _touch(o, actor)
            s.flush()
            _event(s, o, actor, "waybill", o.status, f"{old or '-'} -> {waybill}")

    @writes
    def record_printed(self, actor: Actor, order_ids: Iterable[int],
                       template: str) -> FeedbackOutcome:
        """出库打印 done: each order moves to 在途 and the print is logged (a reprint as
        one). An order that may not be printed is refused and the rest go on."""
        require(actor, Permission.DISPATCH_FEEDBACK)
        template = check_column(PrintLog.template, template, field="template")
        ids = sorted(set(order_ids))
        with db_errors(), self.db.transaction() as s:
            orders = {o.id: o for o in s.scalars(
                select(SalesOrder).where(SalesOrder.id.in_(ids)).order_by(SalesOrder.id)
                .with_for_update())}
            done: list[str] = []
            refused: list[Refused] = []
            for oid in ids:
                o = orders.get(oid)
                problem = NotFound() if o is None else refusal(s, o, "print")
                if problem is not None:
                    refused.append(Refused(oid, o.order_no if o else "", problem))
                    continue
                before = o.status
                o.status = OrderStatus.IN_TRANSIT
                o.printed_at = o.printed_at or clock.now()
                o.print_count = (o.print_count or 0) + 1
                _touch(o, actor)
                s.add(PrintLog(order_id=o.id, actor_login=actor.login, template=template,
                               reprint=o.print_count > 1, at=clock.now()))
                s.flush()
                if o.print_count == 1:
                    _event(s, o, actor, "print", before, template)
                done.append(o.order_no)
            return FeedbackOutcome(tuple(done), tuple(refused))

    # -- 出库目录 / 出库查找 -------------------------------------------------------------------------
    def catalog(self, actor: Actor, q: DispatchQuery, *, page_size: int = 100,
                after: tuple | None = None) -> Page[DispatchRow]:
        """Newest confirmation first, keyset-paged (a page never reads the whole table)."""
        require(actor, Permission.DISPATCH_FEEDBACK)
        with db_errors(), self.db.reading() as s:
            stmt, at = self._catalog_select(s, q)
            if after is not None:
                when, oid = after
                stmt = stmt.where(or_(at < when, and_(at == when, SalesOrder.id < oid)))
            rows = s.execute(stmt.order_by(at.desc(), SalesOrder.id.desc())
                             .limit(page_size + 1)).all()
            more = len(rows) > page_size
            rows = rows[:page_size]
            ids = [r.id for r in rows]
            goods = goods_text(s, ids) if ids else {}
            resent = self._resent(s, ids) if ids else {}
            out = [self._dispatch_row(r, goods, resent) for r in rows]
        out = shown_all(actor, out)
        last = rows[-1] if more else None
        return Page(out, ((last.withdrawn_at if q.withdrawn else last.confirmed_at), last.id)
                    if last is not None else None)

    def rows_for(self, actor: Actor, order_ids: Sequence[int]) -> list[DispatchRow]:
        """The rows of chosen orders, in the order given (labels, 交寄清单)."""
        require(actor, Permission.DISPATCH_FEEDBACK)
        ids = list(dict.fromkeys(order_ids))
        out: dict[int, DispatchRow] = {}
        with db_errors(), self.db.reading() as s:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                stmt = self._base_select().where(SalesOrder.id.in_(chunk))
                rows = s.execute(stmt).all()
                goods, resent = goods_text(s, chunk), self._resent(s, chunk)
                out.update((r.id, self._dispatch_row(r, goods, resent)) for r in rows)
        return shown_all(actor, [out[i] for i in ids if i in out])

    def _catalog_select(self, s: Session, q: DispatchQuery):
        if q.withdrawn:
            at = SalesOrder.withdrawn_at
            stmt = self._base_select().where(SalesOrder.withdrawn_at.is_not(None),
                                             SalesOrder.confirmed.is_(False))
        else:
            at = SalesOrder.confirmed_at
            stmt = self._base_select().where(SalesOrder.confirmed.is_(True))
        if q.date_from is None and q.date_to is None:
            days = int(self._settings(s)["dispatch_days"])
            today = clock.site_today()
            start, end = site_day_bounds(today - dt.timedelta(days=days - 1), today)
        else:
            if q.date_from is None or q.date_to is None:
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "Give both dates of the period."), field="date_from")
            if q.date_to < q.date_from:
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "The end date is before the start date."), field="date_to")
            start, end = site_day_bounds(q.date_from, q.date_to)
        stmt = stmt.where(at >= start, at < end)
        for value, col in ((q.region_id, Customer.region_id),
                           (q.delivery_method, SalesOrder.delivery_method),
                           (q.status, SalesOrder.status)):
            if value is not None:
                stmt = stmt.where(col == value)
        if q.product_id is not None:
            stmt = stmt.where(exists().where(OrderLine.order_id == SalesOrder.id,
                                             OrderLine.product_id == q.product_id))
        if q.printed is not None:
            stmt = stmt.where(SalesOrder.printed_at.is_not(None) if q.printed
                              else SalesOrder.printed_at.is_(None))
        if q.fed_back is not None:
            stmt = stmt.where(SalesOrder.feedback_state == (
                FeedbackState.ACCEPTED if q.fed_back else FeedbackState.NONE))
        return text_filter(stmt, q.field, q.text), at

    @staticmethod
    def _settings(s: Session) -> dict[str, str]:
        from agent_app.services.archives import ArchiveService
        return ArchiveService._settings(s)

    @staticmethod
    def _base_select():
        seller = aliased(Employee)
        return (select(SalesOrder.id, SalesOrder.version, SalesOrder.order_no,
                       SalesOrder.confirmed_at, Customer.name.label("customer_name"),
                       Customer.mobile, Customer.landline, Customer.address,
                       Region.name.label("region_name"), SalesOrder.delivery_method,
                       SalesOrder.payment, SalesOrder.total,
                       SalesOrder.delivery_requirements, Medium.name.label("medium_name"),
                       seller.name.label("seller_name"), SalesOrder.status,
                       SalesOrder.print_count, SalesOrder.feedback_state,
                       SalesOrder.waybill_no, SalesOrder.trial, SalesOrder.remark,
                       SalesOrder.withdrawn_at)
                .join(Customer, Customer.id == SalesOrder.customer_id)
                .outerjoin(Region, Region.id == Customer.region_id)
                .outerjoin(seller, seller.id == SalesOrder.employee_id)
                .outerjoin(Medium, Medium.id == SalesOrder.medium_id))

    @staticmethod
    def _resent(s: Session, ids: Sequence[int]) -> dict[int, str]:
        """传物流 sent since the last print: the changes, by order."""
        out: dict[int, str] = {}
        for oid, action, detail in s.execute(
                select(OrderEvent.order_id, OrderEvent.action, OrderEvent.detail)
                .where(OrderEvent.order_id.in_(ids),
                       OrderEvent.action.in_(("resend", "print", "confirm")))
                .order_by(OrderEvent.order_id, OrderEvent.at, OrderEvent.id)):
            if action == "resend":
                out[oid] = detail or "-"
            else:
                out.pop(oid, None)
        return out

    @staticmethod
    def _dispatch_row(r, goods: dict[int, str], resent: dict[int, str]) -> DispatchRow:
        cod = r.total if r.payment == Payment.COD else Decimal("0.00")
        return DispatchRow(
            r.id, r.version, r.order_no, r.confirmed_at, r.customer_name,
            r.mobile or r.landline or "", r.address or "", r.region_name or "",
            r.delivery_method, r.payment, r.total, cod, r.delivery_requirements,
            r.medium_name or "", r.seller_name or "", goods.get(r.id, ""), r.status,
            r.print_count or 0, r.feedback_state, r.waybill_no, bool(r.trial), r.remark,
            r.withdrawn_at, resent.get(r.id, ""))

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _load(s: Session, order_id: int, version: int | None) -> SalesOrder:
        o = s.get(SalesOrder, order_id, with_for_update=True)
        if o is None:
            raise NotFound()
        check_version(o, version)
        return o

    @staticmethod
    def _by_ref(s: Session, ref: str) -> SalesOrder:
        # two indexed equality look-ups rather than one OR, which MariaDB may scan
        o = s.scalar(select(SalesOrder).where(SalesOrder.order_no == ref))
        if o is None:
            o = s.scalars(select(SalesOrder).where(SalesOrder.waybill_no == ref)
                          .order_by(SalesOrder.id.desc()).limit(1)).first()
        if o is None:
            raise NotFound(QT_TRANSLATE_NOOP(
                "errors", "No order has the number or waybill {ref}."), field="ref", ref=ref)
        return o

    @staticmethod
    def _parcel(s: Session, o: SalesOrder) -> Parcel:
        c = s.get(Customer, o.customer_id)
        cod = o.total if o.payment == Payment.COD else Decimal("0.00")
        return Parcel(o.id, o.version, o.order_no, o.waybill_no, c.name,
                      c.mobile or c.landline or "", c.address or "", o.delivery_method,
                      o.payment, o.total, cod, goods_text(s, [o.id]).get(o.id, ""), bool(o.trial),
                      o.status, o.printed_at is not None)

