"""The services' clock: the one seam for "now" where a number depends on the day.

Order numbers (yymmdd…) and registration numbers (yyyymmdd…) follow the site's calendar
day, which differs from the server's (UTC) day from 16:00 to 24:00 UTC in Shanghai. Tests
fix the time with monkeypatch.setattr(clock, "now", …) to pin that down.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

SITE_ZONE = ZoneInfo("Asia/Shanghai")
_pinned: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, aware, in UTC (or the time `pinned` holds)."""
    return _pinned if _pinned is not None else dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def pinned(at: dt.datetime) -> Iterator[None]:
    """Services see `at` as now: the demo loader replays two months of logistics through
    the real services (agent_app/demodata/loader.py), each action at its own time. One
    thread, no desk: the running programs never pin the clock."""
    global _pinned
    before, _pinned = _pinned, at.astimezone(dt.UTC)
    try:
        yield
    finally:
        _pinned = before


def site_today() -> dt.date:
    """The site's calendar day: what 今天 means in every date filter, wherever the
    workstation's or the server's clock is set."""
    return now().astimezone(SITE_ZONE).date()
