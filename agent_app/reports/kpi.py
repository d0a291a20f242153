"""Call-centre KPIs, defined once (docs/statistics.md, "KPIs"): the pure functions over
aggregated figures that the reports below, the exports and the supervisor's live view
(ui/call/supervisor.py) all use, and the reports kpi-intervals, hold-time and
agent-states.

Definitions (settings from system_setting, agent_app/services/archives.py SETTINGS):
- offered: inbound calls that are not from internal numbers (集团电话), by queue time;
- answered: of those, answered by an agent; abandoned: end cause abandoned (早释);
- short abandon: abandoned within `short_abandon_s` (default 5) seconds of queueing,
  that many seconds included;
- service level: answered within `service_level_s` seconds of queueing (included) ÷
  (answered + abandoned that were not short) when `service_level_abandons` is 1, else
  ÷ answered;
- abandon rate: abandoned that were not short ÷ (offered − short abandons);
- ASA: total answer wait (queued → answered, ringing included) ÷ answered;
- AHT: (talk + hold + wrap-up) ÷ handled, handled = answered inbound calls. Hold time is
  not recorded by agent-ctid today: it counts 0. Wrap-up is the agents' wrapup time from
  agent_state_log;
- occupancy: handle time (talk + hold + wrap-up) ÷ (handle time + ready idle time);
- conversion: orders ÷ handled, orders = sales orders the agent created in the interval,
  cancelled and voided ones left out.

State times come from agent_state_log: each row's state lasts until the agent's next
row; the state before the period comes from the last row before it (none: logged out);
the end of the period, or now, closes the last one. A state spanning interval boundaries
is split at them.

Cost: kpi-intervals runs three aggregated queries (calls by interval, orders by interval,
state time by interval) plus one for the few state spans that cross an interval boundary,
which Python splits; a period is limited to 31 days (workforce intervals are an intraday
view). agent-states is one aggregated query using LEAD() over the period's state rows
(index agent_login+at), so its cost grows linearly with the rows in the period.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields

from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from agent_app.errors import ValidationError
from agent_app.reports import ChartSpec, Choice, Col, Param, Query, ReportDef, Row, ratio, register
from agent_app.reports.period import bounds, is_sqlite, to_local
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import EndCause, OrderStatus
from db.models import AgentStateLog, CallRecord, Employee, SalesOrder

MAX_INTERVAL_DAYS = 31
STATES = ("ready", "busy", "ringing", "talking", "wrapup", "logged_out")
HOLD_BUCKET_S = 5
HOLD_MAX_S = 120


# -- the definitions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiSettings:
    short_abandon_s: float = 5
    service_level_s: float = 20
    service_level_abandons: bool = True

    @classmethod
    def of(cls, settings: Mapping[str, str] | None) -> KpiSettings:
        """From system_setting values (missing or unreadable ones: the defaults)."""
        s = settings or {}

        def num(key: str, default: float) -> float:
            try:
                return float(s.get(key, default))
            except (TypeError, ValueError):
                return default
        return cls(num("short_abandon_s", cls.short_abandon_s),
                   num("service_level_s", cls.service_level_s),
                   num("service_level_abandons", 1) == 1)


@dataclass
class Figures:
    """What the KPIs are computed from, summed over an interval (and group or agent)."""
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_sl: int = 0          # answered within service_level_s
    answer_wait_s: float = 0.0       # queued → answered, summed over the answered calls
    talk_s: float = 0.0
    hold_s: float = 0.0              # not recorded today: 0
    wrapup_s: float = 0.0            # agent_state_log: wrapup
    ready_s: float = 0.0             # agent_state_log: ready (idle, available)
    orders: int = 0

    def add(self, other: Figures) -> Figures:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def handled(self) -> int:
        return self.answered

    @property
    def handle_s(self) -> float:
        return self.talk_s + self.hold_s + self.wrapup_s


def is_short_abandon(wait_s: float, st: KpiSettings) -> bool:
    return wait_s <= st.short_abandon_s


def in_service_level(wait_s: float, st: KpiSettings) -> bool:
    return wait_s <= st.service_level_s


def service_level(f: Figures, st: KpiSettings) -> float:
    base = f.answered + (f.abandoned - f.short_abandoned if st.service_level_abandons else 0)
    return ratio(f.answered_in_sl, base)


def abandon_rate(f: Figures) -> float:
    return ratio(f.abandoned - f.short_abandoned, f.offered - f.short_abandoned)


def asa(f: Figures) -> float:
    return ratio(f.answer_wait_s, f.answered)


def aht(f: Figures) -> float:
    return ratio(f.handle_s, f.handled)


def occupancy(f: Figures) -> float:
    return ratio(f.handle_s, f.handle_s + f.ready_s)


def conversion(f: Figures) -> float:
    return ratio(f.orders, f.handled)


def kpis(f: Figures, st: KpiSettings) -> dict[str, float | int]:
    """Every figure and KPI of `f`, by the column names the reports use."""
    return {"offered": f.offered, "answered": f.answered, "abandoned": f.abandoned,
            "short_abandoned": f.short_abandoned, "handled": f.handled,
            "service_level": service_level(f, st), "abandon_rate": abandon_rate(f),
            "asa_s": asa(f), "talk_s": f.talk_s, "hold_s": f.hold_s, "wrapup_s": f.wrapup_s,
            "ready_s": f.ready_s, "aht_s": aht(f), "occupancy": occupancy(f),
            "orders": f.orders, "conversion": conversion(f)}


def _iso(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


class LiveTally:
    """The supervisor's live figures (ui/call/supervisor.py), by the definitions above:
    inbound calls that are not internal, counted per ACD group as they end, from the
    monitor feed's call objects (cti-protocol.md). Pure Python, no Qt: the panel feeds
    it events on the GUI thread (O(1) each) and shows kpis(group)."""

    def __init__(self, settings: KpiSettings | None = None) -> None:
        self.settings = settings or KpiSettings()
        self.groups: dict[str, Figures] = {}
        self._seen: set[str] = set()

    def note_ended(self, call: Mapping) -> bool:
        """Count an ended call once; True when it changed a group's figures."""
        cid = call.get("call_id")
        if (call.get("direction") != "in" or call.get("internal") or not cid
                or cid in self._seen or call.get("state") != "ended"):
            return False
        queued = _iso(call.get("queued_at"))
        if queued is None:
            return False
        self._seen.add(cid)
        f = Figures(offered=1)
        answered, ended = _iso(call.get("answered_at")), _iso(call.get("ended_at"))
        if answered is not None:
            wait = (answered - queued).total_seconds()
            f.answered, f.answer_wait_s = 1, wait
            f.answered_in_sl = int(in_service_level(wait, self.settings))
            if ended is not None:
                f.talk_s = (ended - answered).total_seconds()
        elif call.get("end_cause") == EndCause.ABANDONED.value:
            f.abandoned = 1
            wait = (ended - queued).total_seconds() if ended is not None else 0.0
            f.short_abandoned = int(is_short_abandon(wait, self.settings))
        self.groups.setdefault(str(call.get("group") or ""), Figures()).add(f)
        return True

    def kpis(self, group: str) -> dict[str, float | int]:
        return kpis(self.groups.get(group, Figures()), self.settings)


# -- SQL helpers -------------------------------------------------------------------------------
def _stamp(session, when: dt.datetime):
    """A UTC instant as SQL the stored column compares with (naive UTC)."""
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    if is_sqlite(session):
        return literal(naive.strftime("%Y-%m-%d %H:%M:%S.%f"), String())
    return literal(naive)


def seconds(session, later, earlier):
    """SQL: `later` − `earlier` in seconds (two stored UTC times)."""
    if is_sqlite(session):  # to the ms: julianday's float would make 5 s 5.00000003 s
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)
    # MariaDB's DATETIME columns hold whole seconds (migrations: no fractional part), so
    # whole seconds are exact, and integer arithmetic keeps a year's scan cheap
    return func.timestampdiff(literal_column("SECOND"), earlier, later)


def _floor_div(session, x, width: int):
    """SQL: floor(x ÷ width) of a non-negative number."""
    if is_sqlite(session):
        return cast(x / width, Integer)
    return func.floor(x / width)


def _calls_where(q: Query, start: dt.datetime, end: dt.datetime):
    where = [CallRecord.direction == "in", CallRecord.internal.is_(False),
             CallRecord.queued_at >= start, CallRecord.queued_at < end]
    if q.group:
        where.append(CallRecord.group_number == q.group)
    return where


def call_sums(session, st: KpiSettings):
    """The aggregates of Figures' call part, in Figures' order, for a select over
    call_record grouped as the caller needs (kpi-intervals: by interval; intraday, in
    staffing.py: by slot of the site day); figures_of_calls reads a row's values back."""
    answer_wait = seconds(session, CallRecord.answered_at, CallRecord.queued_at)
    abandon_wait = seconds(session, CallRecord.ended_at, CallRecord.queued_at)
    abandoned = CallRecord.end_cause == EndCause.ABANDONED.value
    answered = CallRecord.answered_at.is_not(None)
    return (func.count(),
            func.count(CallRecord.answered_at),
            func.sum(case((abandoned, 1), else_=0)),
            func.sum(case((abandoned & (abandon_wait <= st.short_abandon_s), 1), else_=0)),
            func.sum(case((answered & (answer_wait <= st.service_level_s), 1), else_=0)),
            func.coalesce(func.sum(case((answered, answer_wait), else_=0.0)), 0.0),
            func.coalesce(func.sum(case((answered, CallRecord.talk_s), else_=0.0)), 0.0))


def figures_of_calls(values) -> Figures:
    n, answered, abandoned, short, in_sl, wait, talk = values
    return Figures(offered=int(n or 0), answered=int(answered or 0),
                   abandoned=int(abandoned or 0), short_abandoned=int(short or 0),
                   answered_in_sl=int(in_sl or 0), answer_wait_s=float(wait or 0),
                   talk_s=float(talk or 0))


def state_spans(session, start: dt.datetime, end: dt.datetime, stop: dt.datetime,
                group: str | None = None):
    """A subquery of agent state spans clipped to [start, min(end, stop)): agent_login,
    state, reason, groups, s0 and s1 (seconds from `start`). Each row of the period lasts
    until the agent's next row; the last row before `start` gives the state at `start`."""
    L = AgentStateLog
    close = min(end, stop)
    in_period = select(L.id, L.agent_login, L.at, L.state, L.reason, L.groups) \
        .where(L.at >= start, L.at < close)
    last_before = select(L.agent_login, func.max(L.at).label("at")) \
        .where(L.at < start).group_by(L.agent_login).subquery()
    before = select(L.id, L.agent_login, L.at, L.state, L.reason, L.groups).join(
        last_before, (L.agent_login == last_before.c.agent_login) & (L.at == last_before.c.at))
    rows = union_all(in_period, before).subquery()
    nxt = func.lead(rows.c.at).over(partition_by=rows.c.agent_login,
                                    order_by=(rows.c.at, rows.c.id))
    led = select(rows.c.agent_login, rows.c.at, rows.c.state, rows.c.reason, rows.c.groups,
                 nxt.label("next_at")).subquery()
    length = (close - start).total_seconds()
    s0 = seconds(session, led.c.at, _stamp(session, start))
    s1 = func.coalesce(seconds(session, led.c.next_at, _stamp(session, start)), length)
    stmt = select(led.c.agent_login, led.c.state, led.c.reason, led.c.groups,
                  s0.label("r0"),  # unclipped: ≥ 0 for every row when none is from before
                  case((s0 < 0, 0.0), else_=s0).label("s0"),
                  case((s1 > length, length), else_=s1).label("s1")) \
        .where(s1 > 0, s0 < length)
    if group:
        stmt = stmt.where((literal(",") + led.c.groups + literal(",")).like(f"%,{group},%"))
    return stmt.subquery()


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)


# -- kpi-intervals -----------------------------------------------------------------------------
WIDTHS = ("15", "30", "60")
BY = ("all", "group", "agent")


def kpi_intervals(s, q: Query) -> list[Row]:
    if (q.date_to - q.date_from).days >= MAX_INTERVAL_DAYS:
        raise ValidationError(N("errors", "Interval reports cover at most 31 days."),
                              field="date_from")
    st = KpiSettings.of(q.settings)
    width = int(q.param("interval")) * 60
    by = q.param("by")
    start, end = bounds(q.date_from, q.date_to)
    figs: dict[tuple[int, str], Figures] = {}

    def fig(i: int, key: str) -> Figures:
        return figs.setdefault((int(i), key or ""), Figures())

    # calls, by the interval they were queued in
    idx = _floor_div(s, seconds(s, CallRecord.queued_at, _stamp(s, start)), width).label("i")
    dims = {"all": literal(""), "group": CallRecord.group_number,
            "agent": CallRecord.agent_login}[by]
    stmt = (select(idx, dims.label("k"), *call_sums(s, st))
            .where(*_calls_where(q, start, end)).group_by(idx, dims))
    for i, k, *values in s.execute(stmt):
        fig(i, k).add(figures_of_calls(values))
    # orders, by the interval they were created in (agent: the seller; group: not known
    # for an order, so counted under the whole period only when by=all or by=agent)
    if by != "group" and not q.group:
        oidx = _floor_div(s, seconds(s, SalesOrder.created_at, _stamp(s, start)), width)
        okey = Employee.login if by == "agent" else literal("")
        stmt = (select(oidx.label("i"), okey.label("k"), func.count())
                .select_from(SalesOrder).join(Employee, Employee.id == SalesOrder.employee_id)
                .where(SalesOrder.created_at >= start, SalesOrder.created_at < end,
                       SalesOrder.status.not_in((OrderStatus.CANCELLED.value,
                                                 OrderStatus.VOIDED.value)))
                .group_by(oidx, okey))
        for i, k, n in s.execute(stmt):
            fig(i, k).orders += int(n)
    # wrap-up and ready time from agent_state_log, split at interval boundaries
    spans = state_spans(s, start, end, _now(), q.group)
    i0 = _floor_div(s, spans.c.s0, width)
    i1 = _floor_div(s, spans.c.s1 - 0.000001, width)
    skey = spans.c.agent_login if by == "agent" else spans.c.groups if by == "group" \
        else literal("")
    wanted = spans.c.state.in_(("ready", "wrapup"))
    stmt = (select(i0.label("i"), skey.label("k"), spans.c.state,
                   func.sum(spans.c.s1 - spans.c.s0))
            .where(wanted, i0 == i1).group_by(i0, skey, spans.c.state))
    for i, k, state, secs in s.execute(stmt):
        _add_state(fig, by, q.group, i, k, state, float(secs or 0))
    stmt = select(skey.label("k"), spans.c.state, spans.c.s0, spans.c.s1).where(wanted, i0 != i1)
    for k, state, s0, s1 in s.execute(stmt):  # the few spans across a boundary
        s0, s1 = float(s0), float(s1)
        while s0 < s1:
            i = int(s0 // width)
            cut = min(s1, (i + 1) * width)
            _add_state(fig, by, q.group, i, k, state, cut - s0)
            s0 = cut
    rows = []
    for (i, key), f in sorted(figs.items()):
        at = to_local(start + dt.timedelta(seconds=i * width))
        rows.append(Row(interval=f"{at:%Y-%m-%d %H:%M}", key=key, first=at, figures=f,
                        settings=st, **kpis(f, st)))
    return rows


def _add_state(fig, by: str, group: str | None, i, key: str, state: str, secs: float) -> None:
    keys = [g for g in (key or "").split(",") if g and (not group or g == group)] \
        if by == "group" else [key]
    for k in keys:  # an agent in two groups counts in both
        f = fig(i, k)
        if state == "ready":
            f.ready_s += secs
        else:
            f.wrapup_s += secs


def _kpi_total(rows) -> Row:
    """The period's KPIs from the summed figures (a ratio is not a sum of ratios)."""
    f = Figures()
    for r in rows:
        f.add(r["figures"])
    st = rows[0]["settings"] if rows else KpiSettings()
    return Row(interval="", key="", **kpis(f, st))


def _interval_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", "all")
    key = () if by == "all" else (
        Col("key", N("reports", "Group") if by == "group" else N("reports", "Agent")),)
    return (Col("interval", N("reports", "Interval")), *key,
            Col("offered", N("reports", "Offered"), "int"),
            Col("answered", N("reports", "Answered"), "int"),
            Col("abandoned", N("reports", "Abandoned"), "int"),
            Col("short_abandoned", N("reports", "Short abandons"), "int"),
            Col("service_level", N("reports", "Service level"), "percent"),
            Col("abandon_rate", N("reports", "Abandon rate"), "percent"),
            Col("asa_s", N("reports", "ASA"), "duration"),
            Col("aht_s", N("reports", "AHT"), "duration"),
            Col("wrapup_s", N("reports", "Wrap-up"), "duration"),
            Col("ready_s", N("reports", "Ready"), "duration"),
            Col("occupancy", N("reports", "Occupancy"), "percent"),
            Col("orders", N("reports", "Orders"), "int"),
            Col("conversion", N("reports", "Conversion"), "percent"))


# -- hold-time ---------------------------------------------------------------------------------
def hold_time(s, q: Query) -> list[Row]:
    """Inbound calls by their queue wait (queued → answered, or → abandoned) in 5-second
    buckets: 0-5 s (5 included), 5-10 s, …, 115-120 s, then over 120 s."""
    start, end = bounds(q.date_from, q.date_to)
    answered = CallRecord.answered_at.is_not(None)
    abandoned = CallRecord.end_cause == EndCause.ABANDONED.value
    wait = seconds(s, func.coalesce(CallRecord.answered_at, CallRecord.ended_at),
                   CallRecord.queued_at)
    if is_sqlite(s):  # whole seconds, rounded up: the bucket of 5.3 s is 5-10 s
        whole = cast(wait, Integer)
        wait = whole + case((wait > whole, 1), else_=0)
    # grouped by the whole second (capped), bucketed here: a plain integer per row
    capped = case((wait > HOLD_MAX_S, HOLD_MAX_S + 1), (wait < 0, 0), else_=wait).label("w")
    stmt = (select(capped, func.sum(case((answered, 1), else_=0)),
                   func.sum(case((abandoned & ~answered, 1), else_=0)))
            .where(*_calls_where(q, start, end), answered | abandoned).group_by(capped))
    last = HOLD_MAX_S // HOLD_BUCKET_S
    got: dict[int, list[int]] = {}
    for w, a, x in s.execute(stmt):
        b = min(last, max(0, -(-int(w) // HOLD_BUCKET_S) - 1))  # 0-5 s (5 included): 0
        counts = got.setdefault(b, [0, 0])
        counts[0] += int(a or 0)
        counts[1] += int(x or 0)
    rows = []
    for b in range(last + 1):
        a, x = got.get(b, (0, 0))
        label = f"{b * HOLD_BUCKET_S}-{(b + 1) * HOLD_BUCKET_S}" if b < last else f"{HOLD_MAX_S}+"
        rows.append(Row(bucket=label, answered=a, abandoned=x, calls=a + x))
    return rows


# -- agent-states ------------------------------------------------------------------------------
DETAIL = ("states", "busy-reasons")


def agent_states(s, q: Query) -> list[Row]:
    start, end = bounds(q.date_from, q.date_to)
    close = min(end, _now())
    spans = state_spans(s, start, end, close, q.group)
    stmt = (select(spans.c.agent_login, spans.c.state, spans.c.reason,
                   func.sum(spans.c.s1 - spans.c.s0), func.min(spans.c.r0))
            .group_by(spans.c.agent_login, spans.c.state, spans.c.reason))
    times: dict[str, dict[tuple[str, str], float]] = {}
    first: dict[str, float] = {}
    for login, state, reason, secs, r0 in s.execute(stmt):
        key = (state, reason or "")
        t = times.setdefault(login, {})
        t[key] = t.get(key, 0.0) + float(secs or 0)
        first[login] = min(first.get(login, float(r0)), float(r0))
    for login, lead_in in first.items():
        if lead_in > 0:  # no row before the period: logged out until its first row
            key = ("logged_out", "")
            times[login][key] = times[login].get(key, 0.0) + lead_in
    names = dict(s.execute(select(Employee.login, Employee.name)
                           .where(Employee.login.in_(sorted(times)))).all()) if times else {}
    rows = []
    for login in sorted(times):
        t = times[login]
        if q.param("detail") == "busy-reasons":
            busy = sum(v for (st_, _r), v in t.items() if st_ == "busy")
            for (st_, reason), v in sorted(t.items()):
                if st_ == "busy":
                    # the chart's other series are 0 here: it draws busy time only
                    rows.append(Row(agent=login, name=names.get(login, ""), reason=reason,
                                    busy_s=v, share=ratio(v, busy), ready_s=0.0,
                                    talking_s=0.0, wrapup_s=0.0))
            continue
        r = Row(agent=login, name=names.get(login, ""))
        for state in STATES:
            r[f"{state}_s"] = sum(v for (st_, _r), v in t.items() if st_ == state)
        r["total_s"] = sum(r[f"{state}_s"] for state in STATES)
        rows.append(r)
    return rows


def _state_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    who = (Col("agent", N("reports", "Agent")), Col("name", N("reports", "Name")))
    if params.get("detail") == "busy-reasons":
        return (*who, Col("reason", N("reports", "Busy reason")),
                Col("busy_s", N("reports", "Busy"), "duration"),
                Col("share", N("reports", "Share of busy"), "percent"))
    return (*who, Col("ready_s", N("reports", "Ready"), "duration"),
            Col("busy_s", N("reports", "Busy"), "duration"),
            Col("ringing_s", N("reports", "Ringing"), "duration"),
            Col("talking_s", N("reports", "Talking"), "duration"),
            Col("wrapup_s", N("reports", "Wrap-up"), "duration"),
            Col("logged_out_s", N("reports", "Logged out"), "duration"),
            Col("total_s", N("reports", "Total"), "duration"))


def _states_total(rows) -> Row:
    out = Row(agent="")
    for k in ("ready_s", "busy_s", "ringing_s", "talking_s", "wrapup_s", "logged_out_s",
              "total_s"):
        if rows and k in rows[0]:
            out[k] = sum(r[k] for r in rows)
    if rows and "share" in rows[0]:
        out["busy_s"] = sum(r.busy_s for r in rows)
    return out


register(ReportDef(
    name="kpi-intervals",
    title=N("reports", "KPIs by interval"),
    columns=_interval_columns,
    compute=kpi_intervals,
    params=(Param("interval", N("reports", "Interval"),
                  (Choice("15", N("reports", "15 minutes")),
                   Choice("30", N("reports", "30 minutes")),
                   Choice("60", N("reports", "60 minutes"))),
                  default="30"),
            Param("by", N("reports", "By"),
                  (Choice("all", N("reports", "All")), Choice("group", N("reports", "Group")),
                   Choice("agent", N("reports", "Agent"))))),
    chart=ChartSpec("line", "interval", ("service_level", "occupancy")),
    group="acd",
    total=_kpi_total,
    order=910,
    menu_text=N("reports", "&KPIs by interval"),
))

register(ReportDef(
    name="hold-time",
    title=N("reports", "Queue wait histogram"),
    columns=(Col("bucket", N("reports", "Wait (s)")),
             Col("answered", N("reports", "Answered"), "int"),
             Col("abandoned", N("reports", "Abandoned"), "int"),
             Col("calls", N("reports", "Calls"), "int")),
    compute=hold_time,
    chart=ChartSpec("bar", "bucket", ("answered", "abandoned")),
    group="acd",
    order=920,
    menu_text=N("reports", "&Queue wait histogram"),
))

register(ReportDef(
    name="agent-states",
    title=N("reports", "Agent state times"),
    columns=_state_columns,
    compute=agent_states,
    params=(Param("detail", N("reports", "Detail"),
                  (Choice("states", N("reports", "States")),
                   Choice("busy-reasons", N("reports", "Busy reasons")))),),
    chart=ChartSpec("bar", "agent", ("ready_s", "busy_s", "talking_s", "wrapup_s")),
    group="acd",
    total=_states_total,
    order=930,
    menu_text=N("reports", "Agent &state times"),
))
