"""The services' clock: the one seam for "now" where a number depends on the day.

Order numbers (yymmdd…) and registration numbers (yyyymmdd…) follow the site's calendar
day, which differs from the server's (UTC) day from 16:00 to 24:00 UTC in Shanghai. Tests
fix the time with monkeypatch.setattr(clock, "now", …) to pin that down.
"""
from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)
