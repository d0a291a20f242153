"""The one formatter of times and numbers shown in tables and labels.

Stored times are UTC (naive on SQLite); the agent reads them in the workstation's local
time. Money is yuan with two decimals (¥1,234.50); durations are m:ss clocks.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from agent_app import clock

DATETIME = "%Y-%m-%d %H:%M"
CLOCK = "%H:%M:%S"


def aware(value: dt.datetime) -> dt.datetime:
    """A stored naive time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def local_time(value: dt.datetime | None, fmt: str = DATETIME) -> str:
    if value is None:
        return ""
    return aware(value).astimezone().strftime(fmt)


def clock_time(value: dt.datetime | None, fmt: str = CLOCK) -> str:
    """A local time of day (the call panels' lists of today's calls)."""
    return local_time(value, fmt)


def date_text(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local_time(value, "%Y-%m-%d")
    return value.isoformat()


def duration_text(seconds: float | int | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


def money_text(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    return f"¥{Decimal(value):,.2f}"


def parse_ts(text: str | None) -> dt.datetime | None:
    """A protocol timestamp (ISO-8601 with offset) → aware datetime, or None."""
    if not text:
        return None
    try:
        return aware(dt.datetime.fromisoformat(text))
    except ValueError:
        return None


def parse_time(value) -> dt.datetime:
    """A call's ISO timestamp (or a datetime) as an aware datetime; now when absent."""
    if isinstance(value, dt.datetime):
        return aware(value)
    return parse_ts(str(value)) or dt.datetime.now(dt.UTC)


def site_today_qdate():
    """Today as the services count days (the site's calendar day, agent_app.clock), for a
    date filter's default: a workstation clock in another zone - or UTC on a server - would
    otherwise leave the evening's orders out of "today" from 16:00 to 24:00 UTC."""
    from PySide6.QtCore import QDate

    d = clock.site_today()
    return QDate(d.year, d.month, d.day)
