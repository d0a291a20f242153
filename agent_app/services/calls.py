"""通话记录: the calls agent-ctid recorded — today's calls, 通话查询, 未接来电 (missed calls:
早释 callers who hung up in the queue, calls that rang out, and unanswered calls cut off by
a stop of agent-ctid) and their 未接分配 (allocation for a callback),
集团电话 (internal numbers), and the screen-pop lookup (agent_app/services/call_pop.py).

Every list is one query: the agent's name, the medium, the customer (the one linked to the
call, else the owner of the calling phone via customer_phone's primary key) and its
region come joined in, never looked up row by row.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Select, and_, case, exists, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from agent_app.errors import Duplicate, Forbidden, NotFound, ValidationError
from agent_app.phones import mask_phone, normalise
from agent_app.services.base import Actor, audit, check_version, db_errors, require, writes
from agent_app.services.call_pop import PopContext, pop_context
from agent_app.services.customers import SITE_ZONE
from agent_app.services.exports import ExportService
from agent_app.services.paging import Page
from agent_app.services.privacy import sees_full_numbers
from agent_app.services.text import check_column, searchable
from agent_app.tr import QT_TRANSLATE_NOOP
from agent_app.xlsx import text_safe
from db.engine import Database
from db.enums import EndCause, OrderStatus, Permission
from db.models import (
    CallRecord,
    Customer,
    CustomerPhone,
    Employee,
    InternalNumber,
    Medium,
    Region,
    SalesOrder,
)

__all__ = ["CallQuery", "CallRow", "CallService", "InternalNumberInfo", "PopContext",
           "may_edit_internal"]

MISSED_LIMIT = 5000   # 未接来电 is a work list for a range of days, not an archive
KINDS = ("valid", "invalid", "sale", "consult")


@dataclass(frozen=True)
class CallRow:
    id: int
    call_id: str
    direction: str
    caller: str
    dialed: str
    seat: str | None
    agent_login: str | None
    agent_name: str
    group_number: str | None
    queued_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_s: float | None
    talk_s: float | None
    end_cause: str | None
    internal: bool
    lead: bool
    medium_name: str
    region_name: str
    customer_id: int | None
    customer_name: str
    recording_id: str | None
    recording_bytes: int | None
    recording_sha256: str | None
    assigned_to_login: str | None
    handled: bool


@dataclass(frozen=True)
class CallQuery:
    """通话查询. `start`/`end` are aware datetimes, end exclusive; min_s/max_s bound the
    talk time; kind: valid (answered), invalid (not answered), sale (answered and the
    customer ordered that site day), consult (answered, no such order)."""

    start: dt.datetime
    end: dt.datetime
    medium_id: int | None = None
    region_id: int | None = None
    dialed: str | None = None
    seat: str | None = None
    direction: str | None = None
    min_s: float | None = None
    max_s: float | None = None
    kind: str | None = None
    agent_login: str | None = None


@dataclass(frozen=True)
class InternalNumberInfo:
    id: int
    digits: str
    note: str
    version: int
    updated_by_login: str | None
    updated_by_name: str | None = None  # the employee's name; None: not an employee (seed)


def may_edit_internal(actor: Actor) -> bool:
    """集团电话 are maintained by administrators; everyone else reads them."""
    return actor.is_admin


# Column headers of the exported sheet (context "calls"; the UI passes its translator).
EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("queued_at", QT_TRANSLATE_NOOP("calls", "Time")),
    ("direction", QT_TRANSLATE_NOOP("calls", "Direction")),
    ("caller", QT_TRANSLATE_NOOP("calls", "Caller")),
    ("dialed", QT_TRANSLATE_NOOP("calls", "Dialled number")),
    ("seat", QT_TRANSLATE_NOOP("calls", "Seat")),
    ("agent_name", QT_TRANSLATE_NOOP("calls", "Agent")),
    ("group_number", QT_TRANSLATE_NOOP("calls", "Group")),
    ("wait_s", QT_TRANSLATE_NOOP("calls", "Wait (s)")),
    ("talk_s", QT_TRANSLATE_NOOP("calls", "Talk (s)")),
    ("end_cause", QT_TRANSLATE_NOOP("calls", "End cause")),
    ("medium_name", QT_TRANSLATE_NOOP("calls", "Medium")),
    ("customer_name", QT_TRANSLATE_NOOP("calls", "Customer")),
    ("region_name", QT_TRANSLATE_NOOP("calls", "Region")),
    ("call_id", QT_TRANSLATE_NOOP("calls", "Call ID")),
]

_agent = aliased(Employee)
_assignee = aliased(Employee)
# the customer a call belongs to: linked explicitly, else the owner of the calling phone
_customer_id = func.coalesce(CallRecord.customer_id, CustomerPhone.customer_id)


def _site_offset() -> dt.timedelta:
    # China has kept UTC+8 all year since 1991, so one fixed offset is exact for SQL.
    return SITE_ZONE.utcoffset(dt.datetime(2020, 1, 1)) or dt.timedelta(0)


def _site_date(db: Database, col):
    """SQL: the site calendar day of a stored UTC time (the site's offset is whole hours)."""
    hours = int(_site_offset().total_seconds() // 3600)
    if db.is_sqlite:
        return func.date(col, f"{hours:+d} hours")
    return func.date(func.addtime(col, f"{hours:02d}:00:00"))


@dataclass(frozen=True)
class DayTotals:
    """One site calendar day of inbound calls (来电日报)."""

    day: dt.date
    inbound: int          # 呼入, internal calls left out
    answered: int         # 已接
    abandoned: int        # 放弃 (the caller hung up before an agent answered)
    talk_s: float         # total talk time, seconds

    @property
    def answer_rate(self) -> float:
        return self.answered / self.inbound if self.inbound else 0.0

    @property
    def average_talk_s(self) -> float:
        return self.talk_s / self.answered if self.answered else 0.0


def site_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), SITE_ZONE)
    return start, start + dt.timedelta(days=1)


def _aware(when: dt.datetime, field: str) -> dt.datetime:
    if when.tzinfo is None:  # a caller's bug, not the user's: naive times are 8 hours off
        raise ValueError(f"{field} must be an aware datetime")
    return when


class CallService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- lists ------------------------------------------------------------------------------
    def _rows_stmt(self) -> Select:
        return (select(CallRecord, _agent.name, Medium.name, Customer.id, Customer.name,
                       Region.name, _assignee.login)
                .outerjoin(_agent, _agent.login == CallRecord.agent_login)
                .outerjoin(Medium, Medium.id == CallRecord.medium_id)
                .outerjoin(CustomerPhone, CustomerPhone.phone == CallRecord.caller)
                .outerjoin(Customer, Customer.id == _customer_id)
                .outerjoin(Region, Region.id == Customer.region_id)
                .outerjoin(_assignee, _assignee.id == CallRecord.assigned_to_id))

    def _fetch(self, actor: Actor, stmt: Select) -> list[CallRow]:
        with db_errors(), self.db.reading() as s:
            return [_shown_call(actor, _row(*r)) for r in s.execute(stmt)]

    def today(self, actor: Actor, login: str | None = None) -> list[CallRow]:
        """This agent's calls of today's site calendar day, newest first."""
        login = login or actor.login
        if login != actor.login and not actor.is_admin:
            raise Forbidden()
        start, end = site_day_bounds(dt.datetime.now(SITE_ZONE).date())
        return self._fetch(actor, self._rows_stmt().where(
            CallRecord.agent_login == login, CallRecord.queued_at >= start,
            CallRecord.queued_at < end).order_by(CallRecord.queued_at.desc(),
                                                 CallRecord.id.desc()))

    def daily_totals(self, actor: Actor, date_from: dt.date,
                     date_to: dt.date) -> list[DayTotals]:
        """来电日报: inbound calls per site calendar day from `date_from` to `date_to`
        (both included), counted in SQL; days without calls are left out. 统计 permission."""
        require(actor, Permission.STATISTICS)
        if date_from > date_to:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "The period ends before it starts."),
                                  field="date_to")
        start, _ = site_day_bounds(date_from)
        _, end = site_day_bounds(date_to)
        day = _site_date(self.db, CallRecord.queued_at).label("day")
        stmt = (select(day, func.count(),
                       func.count(CallRecord.answered_at),
                       func.sum(case((CallRecord.end_cause == EndCause.ABANDONED, 1), else_=0)),
                       func.coalesce(func.sum(CallRecord.talk_s), 0))
                .where(CallRecord.direction == "in", CallRecord.internal.is_(False),
                       CallRecord.queued_at >= start, CallRecord.queued_at < end)
                .group_by(day).order_by(day))
        with db_errors(), self.db.reading() as s:
            return [DayTotals(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)),
                              int(n), int(answered), int(abandoned or 0), float(talk))
                    for d, n, answered, abandoned, talk in s.execute(stmt)]

    def search(self, actor: Actor, q: CallQuery, *, page_size: int = 200,
               after: tuple | None = None) -> Page[CallRow]:
        """通话查询, newest first, keyset paged on (queued_at, id). Operators see their own
        calls only; administrators everyone's."""
        agent_login = q.agent_login or None
        if not actor.is_admin:
            if agent_login not in (None, actor.login):
                raise Forbidden()
            agent_login = actor.login
        if q.kind is not None and q.kind not in KINDS:
            raise ValidationError(field="kind")
        # Two steps: find the page's ids touching only what the filters need, then read
        # the display columns for those ids alone. With a rare filter (sale, a region)
        # over a long range, most rows scanned are rejected; they no longer pay for the
        # customer, region and employee joins (on a cold server: page reads).
        stmt = (select(CallRecord.id)
                .outerjoin(CustomerPhone, CustomerPhone.phone == CallRecord.caller)
                .where(CallRecord.queued_at >= _aware(q.start, "start"),
                       CallRecord.queued_at < _aware(q.end, "end")))
        if q.region_id is not None:
            stmt = stmt.join(Customer, Customer.id == _customer_id).where(
                Customer.region_id == q.region_id)
        for column, value in ((CallRecord.agent_login, agent_login),
                              (CallRecord.medium_id, q.medium_id),
                              (CallRecord.dialed, (q.dialed or "").strip() or None),
                              (CallRecord.seat, (q.seat or "").strip() or None),
                              (CallRecord.direction, q.direction or None)):
            if isinstance(value, str) and not searchable(value):
                stmt = stmt.where(false())  # no stored number holds it (services/text.py)
            elif value is not None:
                stmt = stmt.where(column == value)
        if q.min_s is not None:
            stmt = stmt.where(CallRecord.talk_s >= q.min_s)
        if q.max_s is not None:
            stmt = stmt.where(CallRecord.talk_s <= q.max_s)
        if q.kind == "invalid":
            stmt = stmt.where(CallRecord.answered_at.is_(None))
        elif q.kind is not None:
            stmt = stmt.where(CallRecord.answered_at.is_not(None))
            if q.kind in ("sale", "consult"):
                ordered = self._ordered_that_day()
                stmt = stmt.where(ordered if q.kind == "sale" else ~ordered)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(or_(CallRecord.queued_at < at,
                                  and_(CallRecord.queued_at == at, CallRecord.id < last_id)))
        newest_first = (CallRecord.queued_at.desc(), CallRecord.id.desc())
        with db_errors(), self.db.reading() as s:
            ids = list(s.scalars(stmt.order_by(*newest_first).limit(page_size + 1)))
            rows = [_row(*r) for r in s.execute(self._rows_stmt().where(
                CallRecord.id.in_(ids)).order_by(*newest_first))] if ids else []
        more = len(rows) > page_size
        rows = [_shown_call(actor, r) for r in rows[:page_size]]
        return Page(rows, (rows[-1].queued_at, rows[-1].id) if more else None)

    def _ordered_that_day(self):
        """EXISTS an order (not cancelled) of the call's customer created on the call's site
        calendar day. Both sides are shifted to site time in SQL; the customer_id condition
        uses the (customer_id, created_at) index, so each test reads a handful of rows."""
        def site_date(col):
            return _site_date(self.db, col)
        return exists().where(SalesOrder.customer_id == _customer_id,
                              SalesOrder.status != OrderStatus.CANCELLED,
                              site_date(SalesOrder.created_at) == site_date(CallRecord.queued_at))

    def missed(self, actor: Actor, *, start: dt.datetime, end: dt.datetime,
               assigned_to_login: str | None = None,
               include_handled: bool = False) -> list[CallRow]:
        """未接来电: inbound callers who hung up before an agent answered (早释), whose call
        rang out unanswered, or whose unanswered call agent-ctid's stop cut off
        (server_stopped: the caller got no one, so someone should call back), excluding
        internal numbers. Whoever may allocate (and
        administrators) sees all; an agent sees the ones allocated to them."""
        if not (actor.is_admin or actor.can(Permission.MISSED_ALLOCATION)):
            if assigned_to_login not in (None, actor.login):
                raise Forbidden()
            assigned_to_login = actor.login
        stmt = self._rows_stmt().where(
            _missed(), CallRecord.queued_at >= _aware(start, "start"),
            CallRecord.queued_at < _aware(end, "end"))
        if assigned_to_login:
            stmt = stmt.where(_assignee.login == assigned_to_login)
        if not include_handled:
            stmt = stmt.where(CallRecord.handled.is_(False))
        return self._fetch(actor, stmt.order_by(CallRecord.queued_at.desc(), CallRecord.id.desc())
                           .limit(MISSED_LIMIT))

    # -- changes ----------------------------------------------------------------------------
    @writes
    def allocate(self, actor: Actor, call_ids: list[str], login: str) -> int:
        """未接分配: give missed calls to an agent to call back (not yet handled again)."""
        require(actor, Permission.MISSED_ALLOCATION)
        ids = sorted({c for c in call_ids if c})
        if not ids:
            return 0
        with db_errors(), self.db.transaction() as s:
            agent_id = s.scalar(select(Employee.id).where(Employee.login == login))
            if agent_id is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "There is no employee {login}."),
                                      field="login", login=login)
            n = s.execute(update(CallRecord).where(CallRecord.call_id.in_(ids), _missed())
                          .values(assigned_to_id=agent_id, handled=False)
                          .execution_options(synchronize_session=False)).rowcount
            audit(s, actor.login, "missed_allocated", login, calls=ids, count=n)
            return n

    @writes
    def mark_handled(self, actor: Actor, call_id: str) -> None:
        """The missed call was called back: done by its assignee or an administrator."""
        with db_errors(), self.db.transaction() as s:
            rec = s.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
            if rec is None:
                raise NotFound()
            if not actor.is_admin and rec.assigned_to_id != actor.id:
                raise Forbidden()
            rec.handled = True
            audit(s, actor.login, "missed_handled", call_id)

    @writes
    def link_customer(self, actor: Actor, call_id: str, customer_id: int) -> None:
        """Tie a call to the customer registered (or opened) during it: the agent who took
        the call, the one it was allocated to, or an administrator."""
        with db_errors(), self.db.transaction() as s:
            rec = s.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
            if rec is None or s.get(Customer, customer_id) is None:
                raise NotFound()
            if not (actor.is_admin or rec.agent_login == actor.login
                    or rec.assigned_to_id == actor.id):
                raise Forbidden()
            rec.customer_id = customer_id

    # -- screen pop -------------------------------------------------------------------------
    def pop_context(self, caller: str, dialed: str, at: dt.datetime, *,
                    viewer: Actor | None = None) -> PopContext:
        return pop_context(self.db, caller, dialed, at, viewer=viewer)

    # -- 集团电话 internal numbers ------------------------------------------------------------
    def list_internal(self) -> list[InternalNumberInfo]:
        with db_errors(), self.db.reading() as s:
            return [_internal(n, name) for n, name in s.execute(
                select(InternalNumber, Employee.name)
                .outerjoin(Employee, Employee.login == InternalNumber.updated_by_login)
                .order_by(InternalNumber.digits))]

    @writes
    def save_internal(self, actor: Actor, number_id: int | None, digits: str, note: str = "",
                      version: int | None = None) -> InternalNumberInfo:
        """Add (number_id None) or edit one; administrators only, stale edits refused."""
        if not may_edit_internal(actor):
            raise Forbidden()
        digits = _internal_digits(digits)
        note = check_column(InternalNumber.note, (note or "").strip())
        try:
            with db_errors(), self.db.transaction() as s:
                if s.scalar(select(InternalNumber.id).where(
                        InternalNumber.digits == digits,
                        InternalNumber.id != (number_id or 0))) is not None:
                    raise Duplicate(field="digits")
                if number_id is None:
                    row = InternalNumber(digits=digits, note=note)
                    s.add(row)
                else:
                    row = s.get(InternalNumber, number_id)
                    if row is None:
                        raise NotFound()
                    if version is None:  # an edit must say what it was based on
                        raise ValidationError(field="version")
                    check_version(row, version)
                    row.digits, row.note = digits, note
                row.updated_by_login = actor.login
                audit(s, actor.login, "internal_number_saved", digits, note=note)
                s.flush()
                return _internal(row, actor.name)
        except IntegrityError as exc:  # someone added the same digits at the same moment
            raise Duplicate(field="digits") from exc

    @writes
    def delete_internal(self, actor: Actor, number_id: int) -> None:
        if not may_edit_internal(actor):
            raise Forbidden()
        with db_errors(), self.db.transaction() as s:
            row = s.get(InternalNumber, number_id)
            if row is None:
                raise NotFound()
            audit(s, actor.login, "internal_number_deleted", row.digits)
            s.delete(row)

    # -- number to dial -----------------------------------------------------------------------
    def number_to_dial(self, actor: Actor, call_id: str) -> str:
        """回拨: the caller's real number, for a user who sees it masked in the list. Given
        to whoever may see the call: its agent, its assignee, whoever allocates missed
        calls, an administrator."""
        with db_errors(), self.db.reading() as s:
            rec = s.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
            if rec is None:
                raise NotFound()
            if not (actor.is_admin or actor.can(Permission.MISSED_ALLOCATION)
                    or rec.agent_login == actor.login or rec.assigned_to_id == actor.id):
                raise Forbidden()
            return rec.caller

    # -- export -----------------------------------------------------------------------------
    def export_xlsx(self, actor: Actor, rows: Iterable[CallRow], path: str | Path, *,
                    tr: Callable[[str], str] = str) -> int:
        """Write the rows to an .xlsx (write-only: constant memory); returns the row count.
        Needs the 导出 permission and is audited (ExportService); callers' numbers are
        masked for an actor without 查看完整号码, text that looks like a formula stays
        text. Times are written in the site's zone (Excel cannot hold a zone). The file
        appears only when complete and audited."""
        from openpyxl import Workbook  # only exports need it

        exports = ExportService(self.db)
        exports.check(actor, "calls")
        target = Path(path)
        part = target.with_name(f".~{target.name}.part")
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append([text_safe(ws, tr(header)) for _attr, header in EXPORT_COLUMNS])
        n = 0
        try:
            for row in rows:
                row = _shown_call(actor, row)
                ws.append([text_safe(ws, _cell(getattr(row, attr)))
                           for attr, _header in EXPORT_COLUMNS])
                n += 1
            wb.save(str(part))
            exports.record(actor, "calls", n, target)
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
        return n


# Unanswered inbound calls that end like this are missed. A server_stopped call that had
# been answered is an answered call (answered_at is set): it counts as valid, not missed.
MISSED_CAUSES = (EndCause.ABANDONED, EndCause.NO_ANSWER, EndCause.SERVER_STOPPED)


def _missed():
    return and_(CallRecord.direction == "in", CallRecord.internal.is_(False),
                CallRecord.answered_at.is_(None),
                CallRecord.end_cause.in_([c.value for c in MISSED_CAUSES]))


def _cell(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(SITE_ZONE).replace(tzinfo=None)
    return value


def _row(rec: CallRecord, agent_name, medium_name, customer_id, customer_name, region_name,
         assigned_login) -> CallRow:
    return CallRow(
        id=rec.id, call_id=rec.call_id, direction=rec.direction, caller=rec.caller,
        dialed=rec.dialed, seat=rec.seat, agent_login=rec.agent_login,
        agent_name=agent_name or "", group_number=rec.group_number, queued_at=rec.queued_at,
        answered_at=rec.answered_at, ended_at=rec.ended_at, wait_s=rec.wait_s,
        talk_s=rec.talk_s, end_cause=rec.end_cause, internal=rec.internal, lead=rec.lead,
        medium_name=medium_name or "", region_name=region_name or "",
        customer_id=customer_id, customer_name=customer_name or "",
        recording_id=rec.recording_id, recording_bytes=rec.recording_bytes,
        recording_sha256=rec.recording_sha256, assigned_to_login=assigned_login,
        handled=rec.handled)


def _shown_call(actor: Actor, row: CallRow) -> CallRow:
    """The row as `actor` may see it: without 查看完整号码 the customer's number is masked,
    the caller of an inbound call, the number dialled of an outbound one; the hotline a
    caller dialled and the caller id of an outbound call are the site's own and stay."""
    if sees_full_numbers(actor):
        return row
    if row.direction == "out":  # the caller is the site's own (the caller id shown)
        return replace(row, dialed=mask_phone(row.dialed))
    return replace(row, caller=mask_phone(row.caller))


def _internal(n: InternalNumber, updated_by_name: str | None) -> InternalNumberInfo:
    return InternalNumberInfo(n.id, n.digits, n.note, n.version, n.updated_by_login,
                              updated_by_name)


def _internal_digits(raw: str) -> str:
    """Internal numbers are compared with the caller agent-ctid sees, so store them
    normalised (dashes, spaces, +86 dropped): digits only, 3 to 32 of them."""
    digits = normalise(raw)
    if not digits.isdigit() or not 3 <= len(digits) <= 32:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "A phone number is 3 to 32 digits."), field="digits")
    return digits
