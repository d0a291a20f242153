"""日内排班 (intraday staffing): per 15/30/60-minute slot of the site day, the calls
offered, their handle time, the agents Erlang C says were needed for the site's service
level, the agents actually logged in, the gap and the service level reached.

Definitions (docs/statistics.md, "Staffing"; the call figures and the service level are
the KPIs of kpi.py, docs/statistics.md "KPIs", computed by kpi.call_sums and
kpi.service_level, so this report and kpi-intervals, the exports and the supervisor's live
view agree):
- A period of several days is shown as its average day: offered calls and staffed agents
  are per day (sum ÷ days of the period); AHT and the service level are over all its calls.
- Offered, answered, abandoned, short abandons, answered within the service level, talk:
  the KPI figures (kpi.call_sums), by the slot the call was queued in.
- AHT = kpi.aht: (talk + hold + wrap-up) ÷ answered calls (hold: not recorded, 0).
  Talk is call_record.talk_s. Wrap-up is the logged wrap-up time (agent_state_log rows
  in state wrapup, each lasting until the agent's next row, counted in the slot of the
  call named by the row's call_id) when the period's calls have any; otherwise each
  answered call's group's configured wrap-up (cti_group.wrapup_s). A slot with offered
  but no answered calls takes the whole period's AHT.
- Needed: Erlang C's fewest agents (raw positions, no shrinkage, no occupancy cap) with
  the average day's calls of the slot, its AHT, the service-level target (setting
  service_level_s) and the goal (param goal: 80/85/90 %).
- Staffed: the time-weighted average number of agents logged in during the slot (an agent
  logged in for half of a 30-minute slot is 0.5), from agent_state_log: logged in from a
  row in any state other than logged_out until the agent's next logged_out row. With a
  group, only while logged into that group (the rows' groups).
- Gap = staffed − needed (negative: too few agents).
- Service level = kpi.service_level of the slot's figures (answered within
  service_level_s of queueing, answered_at − queued_at, ÷ answered + abandoned − short
  abandons, or ÷ answered when service_level_abandons is 0). The totals row's comes from
  the period's summed figures, not from the slots' ratios.

Cost: three queries, each an index range scan of the period (call_record.queued_at,
agent_state_log.at) grouped by slot in the database. The state log's rows of the period
are sorted per agent for LEAD/LAG (wrap-up ends, log-in changes): linear-logarithmic in
the log's rows, and the heaviest part (a month of 50 busy agents, 760 000 state rows:
≈ 2 s each for the two window queries on this shared machine's MariaDB). Only the log-in
changes (about two rows per agent per day) come back to Python.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, case, func, or_, select, text

from agent_app.reports import ChartSpec, Choice, Col, Param, Query, ReportDef, Row, register
from agent_app.reports.erlang import agents_needed
from agent_app.reports.kpi import (
    Figures,
    KpiSettings,
    aht,
    call_sums,
    figures_of_calls,
    service_level,
)
from agent_app.reports.period import as_utc, bounds, is_sqlite, local_minute, to_local
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.models import AgentStateLog, CallRecord, CtiGroup

INTERVAL = Param("interval", N("reports", "Interval"),
                 (Choice("30", N("reports", "30 minutes")), Choice("15", N("reports", "15 minutes")),
                  Choice("60", N("reports", "60 minutes"))))
GOAL = Param("goal", N("reports", "Service level goal"),
             (Choice("80", "80%"), Choice("85", "85%"), Choice("90", "90%")))
LOOKBACK = dt.timedelta(days=1)  # an agent logged in before the period is seen from here


def _slot(s, col, width: int):
    """SQL: the first minute of the site-day slot holding a stored UTC time."""
    minute = local_minute(s, col)
    return (minute - minute % width).label("slot")


def _in_group(group: str | None):
    """SQL: the state log row was logged into `group` ("21,22" holds 21)."""
    g = AgentStateLog.groups
    return or_(g == group, g.like(f"{group},%"), g.like(f"%,{group}"), g.like(f"%,{group},%"))


def _seconds_between(s, a, b):
    if is_sqlite(s):
        return (func.julianday(b) - func.julianday(a)) * 86400.0
    return func.timestampdiff(text("MICROSECOND"), a, b) / 1e6


def _call_filter(q: Query, start, end):
    c = CallRecord
    out = [c.direction == "in", c.internal.is_(False), c.queued_at >= start, c.queued_at < end]
    if q.group:
        out.append(c.group_number == q.group)
    return out


def _calls(s, q: Query, st: KpiSettings, width: int, start, end) -> dict[int, tuple[Figures, float]]:
    """By slot start minute: the calls' Figures (kpi.call_sums: offered, answered, abandoned,
    short abandons, answered in the service level, answer wait, talk) and the answered
    calls' configured wrap-up (cti_group.wrapup_s) seconds."""
    c = CallRecord
    slot = _slot(s, c.queued_at, width)
    configured = func.sum(case((c.answered_at.is_not(None), func.coalesce(CtiGroup.wrapup_s, 0)),
                               else_=0))
    stmt = (select(slot, configured, *call_sums(s, st))
            .select_from(c).outerjoin(CtiGroup, CtiGroup.number == c.group_number)
            .where(*_call_filter(q, start, end))
            .group_by(slot))
    return {int(m): (figures_of_calls(values), float(cfg or 0))
            for m, cfg, *values in s.execute(stmt)}


def _wrapups(s, q: Query, width: int, start, end) -> dict[int, float] | None:
    """Logged wrap-up seconds by the slot of the call they follow (the row's call_id);
    None when none of the period's calls has a logged wrap-up."""
    a = AgentStateLog
    nxt = func.lead(a.at).over(partition_by=a.agent_login, order_by=(a.at, a.id))
    # a call queued late in the period is wrapped up after it: two hours' margin
    inner = (select(a.at.label("at"), a.state.label("state"), a.call_id.label("call_id"),
                    nxt.label("next_at"))
             .where(a.at >= start, a.at < end + dt.timedelta(hours=2))).subquery()
    slot = _slot(s, CallRecord.queued_at, width)
    seconds = _seconds_between(s, inner.c.at, func.coalesce(inner.c.next_at, inner.c.at))
    stmt = (select(slot, func.sum(seconds))
            .select_from(inner).join(CallRecord, CallRecord.call_id == inner.c.call_id)
            .where(inner.c.state == "wrapup", *_call_filter(q, start, end))
            .group_by(slot).prefix_with("STRAIGHT_JOIN", dialect="mysql"))
    rows = s.execute(stmt).all()
    if not rows:
        return None
    return {int(m): float(total or 0) for m, total in rows}


def _logged_in_seconds(s, q: Query, width: int, start, end,
                       now: dt.datetime) -> dict[int, float]:
    """Seconds agents were logged in (to the group) by slot start minute, over all days."""
    a = AgentStateLog
    on = case((and_(a.state != "logged_out", _in_group(q.group) if q.group else True), 1),
              else_=0)
    inner = (select(a.agent_login.label("agent"), a.at.label("at"), a.id.label("id"),
                    on.label("on_"),
                    func.lag(on).over(partition_by=a.agent_login, order_by=(a.at, a.id))
                    .label("prev"))
             .where(a.at >= start - LOOKBACK, a.at < end)).subquery()
    stmt = (select(inner.c.agent, inner.c.at, inner.c.on_)
            .where(or_(inner.c.prev.is_(None), inner.c.prev != inner.c.on_))
            .order_by(inner.c.agent, inner.c.at, inner.c.id))
    out: dict[int, float] = defaultdict(float)
    stop = min(end, now)
    since: dict[str, dt.datetime] = {}   # agent → logged in since
    for agent, at, flag in s.execute(stmt):
        at = as_utc(at)
        if int(flag) and agent not in since:
            since[agent] = at
        elif not int(flag) and agent in since:
            _spread(out, since.pop(agent), at, start, width)
    for t0 in since.values():
        _spread(out, t0, stop, start, width)
    return out


def _spread(out: dict[int, float], t0: dt.datetime, t1: dt.datetime, start: dt.datetime,
            width: int) -> None:
    """Adds the part of [t0, t1) from `start` on to the slots it covers."""
    t0 = max(t0, start)
    step = dt.timedelta(minutes=width)
    while t0 < t1:
        local = to_local(t0)
        minute = local.hour * 60 + local.minute
        first = minute - minute % width
        slot_end = local.replace(hour=0, minute=0, second=0, microsecond=0) \
            + dt.timedelta(minutes=first) + step
        part_end = min(t1, slot_end.astimezone(dt.UTC))
        out[first] += (part_end - t0).total_seconds()
        t0 = part_end


def intraday(s, q: Query) -> list[Row]:
    width = int(q.param("interval"))
    goal = int(q.param("goal")) / 100
    st = KpiSettings.of(q.settings)
    start, end = bounds(q.date_from, q.date_to)
    days = (q.date_to - q.date_from).days + 1
    calls = _calls(s, q, st, width, start, end)
    wrap_logged = _wrapups(s, q, width, start, end)
    staffed = _logged_in_seconds(s, q, width, start, end, dt.datetime.now(dt.UTC))

    def figures(m: int) -> Figures:
        """The slot's Figures, wrap-up included (logged, else configured)."""
        if m not in calls:
            return Figures()
        f, configured = calls[m]
        f = Figures().add(f)
        f.wrapup_s = configured if wrap_logged is None else wrap_logged.get(m, 0.0)
        return f

    aht_all = aht(_summed(figures(m) for m in calls))
    rows = []
    for m in sorted(set(calls) | set(staffed)):
        f = figures(m)
        handle = aht(f) if f.answered else aht_all
        per_day = f.offered / days
        needed = agents_needed(per_day, width * 60, handle, st.service_level_s,
                               goal).raw_positions if per_day and handle else 0
        on = staffed.get(m, 0.0) / (width * 60 * days)
        rows.append(Row(interval=f"{m // 60:02d}:{m % 60:02d}-"
                                 f"{(m + width) // 60 % 24:02d}:{(m + width) % 60:02d}",
                        minute=m, offered=per_day, answered=f.answered / days, aht_s=handle,
                        needed=needed, staffed=on, gap=on - needed,
                        service_level=service_level(f, st), figures=f, settings=st))
    return rows


def _summed(figures) -> Figures:
    out = Figures()
    for f in figures:
        out.add(f)
    return out


def _total(rows) -> Row:
    """The period's figures summed, its KPIs from the sums (a ratio is not an average of
    the slots' ratios); offered stays per day, as in the rows."""
    f = _summed(r["figures"] for r in rows)
    st = rows[0]["settings"] if rows else KpiSettings()
    return Row(interval="", offered=sum(r["offered"] for r in rows), aht_s=aht(f),
               service_level=service_level(f, st))


register(ReportDef(
    name="intraday",
    title=N("reports", "Intraday staffing"),
    columns=(Col("interval", N("reports", "Interval")),
             Col("offered", N("reports", "Offered"), "number"),
             Col("aht_s", N("reports", "AHT"), "duration"),
             Col("needed", N("reports", "Agents needed"), "int"),
             Col("staffed", N("reports", "Agents staffed"), "number"),
             Col("gap", N("reports", "Gap"), "number"),
             Col("service_level", N("reports", "Service level"), "percent")),
    compute=intraday,
    params=(INTERVAL, GOAL),
    chart=ChartSpec("line", "interval", ("needed", "staffed"), limit=96),
    group="acd",
    total=_total,
    order=950,
    menu_text=N("reports", "&Intraday staffing"),
))
