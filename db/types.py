"""Column types that behave the same on SQLite and MySQL."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator

UTC = dt.UTC


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC.

    MySQL's DATETIME has no zone and SQLite has no datetime type at all, so the only
    portable rule is "the database holds UTC"; the UI converts to the workstation's zone.
    Naive values handed in are refused: they are the classic source of 8-hour bugs.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use utcnow() or attach a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


# Money: DECIMAL(12,2) on both back ends; Python side is decimal.Decimal.
Money = Numeric(12, 2, asdecimal=True)
