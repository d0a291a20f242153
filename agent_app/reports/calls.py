"""Inbound call reports: 来电日报 (daily calls) — the pattern every report follows: one
SQL query grouped by the site day (and the report's dimensions), the rolling-up and the
ratios in Python."""
from __future__ import annotations

from sqlalchemy import case, func, select

from agent_app.reports import ChartSpec, Choice, Col, Param, Query, ReportDef, Row, ratio, register
from agent_app.reports.period import GRAINS, as_date, bounds, bucket, local_day
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import EndCause
from db.models import CallRecord

# the manual's 日报/周报/月报/季报/年报
GRAIN_TITLES = {"day": N("reports", "Daily"), "week": N("reports", "Weekly"),
                "month": N("reports", "Monthly"), "quarter": N("reports", "Quarterly"),
                "year": N("reports", "Yearly")}
GRAIN = Param("grain", N("reports", "Report"),
              tuple(Choice(g, GRAIN_TITLES[g]) for g in GRAINS))


def daily_calls(s, q: Query) -> list[Row]:
    start, end = bounds(q.date_from, q.date_to)
    day = local_day(s, CallRecord.queued_at).label("day")
    stmt = (select(day, func.count(), func.count(CallRecord.answered_at),
                   func.sum(case((CallRecord.end_cause == EndCause.ABANDONED, 1), else_=0)),
                   func.coalesce(func.sum(CallRecord.talk_s), 0))
            .where(CallRecord.direction == "in", CallRecord.internal.is_(False),
                   CallRecord.queued_at >= start, CallRecord.queued_at < end)
            .group_by(day))
    if q.group:
        stmt = stmt.where(CallRecord.group_number == q.group)
    grain = q.param("grain")
    out: dict[str, Row] = {}
    for d, n, answered, abandoned, talk in s.execute(stmt):
        label, first = bucket(as_date(d), grain)
        r = out.setdefault(label, Row(period=label, first=first, inbound=0, answered=0,
                                      abandoned=0, talk_s=0.0))
        r["inbound"] += int(n)
        r["answered"] += int(answered)
        r["abandoned"] += int(abandoned or 0)
        r["talk_s"] += float(talk or 0)
    rows = sorted(out.values(), key=lambda r: r["first"])
    for r in rows:
        _rates(r)
    return rows


def _rates(r: Row) -> Row:
    r["answer_rate"] = ratio(r["answered"], r["inbound"])
    r["average_talk_s"] = ratio(r["talk_s"], r["answered"])
    return r


def _daily_total(rows) -> Row:
    t = Row(period="", inbound=sum(r.inbound for r in rows),
            answered=sum(r.answered for r in rows), abandoned=sum(r.abandoned for r in rows),
            talk_s=sum(r.talk_s for r in rows))
    return _rates(t)


register(ReportDef(
    name="daily-calls",
    title=N("reports", "Daily calls"),
    columns=(Col("period", N("reports", "Period")),
             Col("inbound", N("reports", "Inbound"), "int"),
             Col("answered", N("reports", "Answered"), "int"),
             Col("abandoned", N("reports", "Abandoned"), "int"),
             Col("answer_rate", N("reports", "Answer rate"), "percent"),
             Col("average_talk_s", N("reports", "Average talk"), "duration")),
    compute=daily_calls,
    params=(GRAIN,),
    chart=ChartSpec("bar", "period", ("answered", "abandoned")),
    group="acd",
    total=_daily_total,
    order=900,
    menu_text=N("reports", "&Daily calls"),
))
