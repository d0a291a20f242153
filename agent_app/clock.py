"""The services' clock: the one seam for "now" where a number depends on the day.

Order numbers (yymmdd…) and registration numbers (yyyymmdd…) follow the site's calendar
day, which differs from the server's (UTC) day from 16:00 to 24:00 UTC in Shanghai. Tests
fix the time with monkeypatch.setattr(clock, "now", …) to pin that down.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SITE_ZONE = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def site_today() -> dt.date:
    """The site's calendar day: what 今天 means in every date filter, wherever the
    workstation's or the server's clock is set."""
    return now().astimezone(SITE_ZONE).date()
