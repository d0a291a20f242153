"""Site time for reports: the period's UTC bounds, SQL for the site's day and minute of a
stored UTC time, and the rolling-up of days into weeks, months, quarters and years.

Times are stored in UTC; a report counts in the site's calendar (Asia/Shanghai, UTC+8,
no daylight saving since 1991, so the shift is a whole number of hours). A call at
2026-12-01 17:30 UTC is on the site's 12-02. Weeks are ISO weeks (Monday first; the
week of 2026-01-01 is 2026-W01), quarters are calendar quarters.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, cast, func

from agent_app.clock import SITE_ZONE

GRAINS = ("day", "week", "month", "quarter", "year")
MAX_DAYS = 3 * 366 + 1  # the longest period a report counts (three years)


def bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the site days date_from..date_to, both included."""
    start = dt.datetime.combine(date_from, dt.time(), SITE_ZONE)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), SITE_ZONE)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _offset_hours() -> int:
    offset = dt.datetime.now(SITE_ZONE).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 3600)


def is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def local_day(session, col):
    """SQL: the site calendar day of a stored UTC time (a date, or 'YYYY-MM-DD' text on
    SQLite: `as_date` reads either)."""
    hours = _offset_hours()
    if is_sqlite(session):
        return func.date(col, f"{hours:+d} hours")
    return func.date(func.addtime(col, f"{hours:02d}:00:00"))


def local_minute(session, col):
    """SQL: the site's minute of the day (0..1439) of a stored UTC time."""
    hours = _offset_hours()
    if is_sqlite(session):
        shifted = func.strftime("%H", col, f"{hours:+d} hours")
        minutes = func.strftime("%M", col, f"{hours:+d} hours")
        return cast(shifted, Integer) * 60 + cast(minutes, Integer)
    shifted = func.addtime(col, f"{hours:02d}:00:00")
    return func.hour(shifted) * 60 + func.minute(shifted)


def as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite gives naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return as_utc(value).astimezone(SITE_ZONE)


def bucket(day: dt.date, grain: str) -> tuple[str, dt.date]:
    """The label and first day of the `grain` period holding `day`:
    day 2026-12-03, week 2026-W49 (ISO), month 2026-12, quarter 2026Q4, year 2026."""
    if grain == "day":
        return day.isoformat(), day
    if grain == "week":
        year, week, weekday = day.isocalendar()
        return f"{year}-W{week:02d}", day - dt.timedelta(days=weekday - 1)
    if grain == "month":
        return f"{day:%Y-%m}", day.replace(day=1)
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        return f"{day.year}Q{q}", dt.date(day.year, 3 * q - 2, 1)
    if grain == "year":
        return str(day.year), dt.date(day.year, 1, 1)
    raise ValueError(f"unknown grain {grain!r}")


def period_of(grain: str, year: int, number: int = 1) -> tuple[dt.date, dt.date]:
    """The days of week/month/quarter `number` of `year` (ISO week for weeks), or the
    whole year: 统计周期 picked as the manual's 年 + 周/月/季 number."""
    if grain == "year":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if grain == "quarter":
        if not 1 <= number <= 4:
            raise ValueError("quarter")
        first = dt.date(year, 3 * number - 2, 1)
        last_month = 3 * number
    elif grain == "month":
        if not 1 <= number <= 12:
            raise ValueError("month")
        first, last_month = dt.date(year, number, 1), number
    elif grain == "week":
        first = dt.date.fromisocalendar(year, number, 1)  # ValueError for week 54
        return first, first + dt.timedelta(days=6)
    else:
        raise ValueError(f"unknown grain {grain!r}")
    nxt = dt.date(year + (last_month == 12), last_month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def slot_label(minute: int, width: int) -> str:
    """'08:30-09:00' for the `width`-minute slot holding `minute` of the day."""
    start = minute - minute % width
    end = start + width
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60 % 24:02d}:{end % 60:02d}"
