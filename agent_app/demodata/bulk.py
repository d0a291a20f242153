"""Fast bulk inserts straight through the DB-API cursor.

The ORM (and even Core's per-value type processing) costs microseconds per value, which
at 15 million rows is minutes. Here rows are plain tuples already in storage form (naive
UTC datetimes, 0/1 booleans) and go through `executemany`, which PyMySQL rewrites into
multi-row INSERT statements and sqlite3 runs in C.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import Engine

BATCH = 5_000


class BulkWriter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.mysql = engine.dialect.name == "mysql"
        self.raw = engine.raw_connection()
        self.cursor = self.raw.cursor()
        if self.mysql:
            # The generator guarantees uniqueness and references itself; re-checking
            # every row would double the load time. Both are session-only settings.
            self.cursor.execute("SET SESSION unique_checks=0")
            self.cursor.execute("SET SESSION foreign_key_checks=0")
        self.counts: dict[str, int] = {}

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        mark = "%s" if self.mysql else "?"
        q = "`" if self.mysql else '"'
        cols = ", ".join(f"{q}{c}{q}" for c in columns)
        sql = f"INSERT INTO {q}{table}{q} ({cols}) VALUES ({', '.join([mark] * len(columns))})"
        batch: list[tuple] = []
        n = 0
        for row in rows:
            batch.append(row if self.mysql else tuple(map(_sqlite_value, row)))
            if len(batch) >= BATCH:
                self.cursor.executemany(sql, batch)
                n += len(batch)
                batch.clear()
                if n % 50_000 == 0:
                    self.raw.commit()
        if batch:
            self.cursor.executemany(sql, batch)
            n += len(batch)
        self.raw.commit()
        self.counts[table] = self.counts.get(table, 0) + n
        return n

    def close(self) -> None:
        if self.mysql:
            self.cursor.execute("SET SESSION unique_checks=1")
            self.cursor.execute("SET SESSION foreign_key_checks=1")
        self.cursor.close()
        self.raw.close()


def _sqlite_value(v):
    """SQLAlchemy's SQLite storage formats (sqlite3 has no date, time or Decimal type)."""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.strftime("%H:%M:%S.%f")
    if isinstance(v, Decimal):
        return str(v)
    return v
