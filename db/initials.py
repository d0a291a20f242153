"""customer_initials_key rows from customer.name_initials ("zxm cxm"): every prefix of
every reading. Shared by the customer service, the demo loader and migration 0003's
backfill, so the three can never disagree."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

MAX_INITIALS = 16  # customer_initials_key.initials is String(16)


def initials_keys(name_initials: str) -> list[str]:
    """Every prefix of every reading, without repeats: "zxm cxm" → z zx zxm c cx cxm.
    A reading longer than MAX_INITIALS letters (no Chinese name is) is cut there."""
    keys: dict[str, None] = {}
    for reading in (name_initials or "").split():
        reading = reading[:MAX_INITIALS]
        for n in range(1, len(reading) + 1):
            keys[reading[:n]] = None
    return list(keys)


def key_rows(customers: Iterable[tuple[int, str, object]]) -> Iterator[tuple]:
    """(initials, registered_at, customer_id) rows for (id, name_initials, registered_at)."""
    for cid, name_initials, at in customers:
        for key in initials_keys(name_initials):
            yield key, at, cid


def backfill(connection, batch: int = 20_000) -> int:
    """Fill customer_initials_key for every customer (an upgraded or bulk-loaded
    database). Plain table objects, not the models: migration 0003 runs this, and models
    move on after it; untyped columns pass registered_at through as the server stores it."""
    from sqlalchemy import column, insert, select, table

    customer = table("customer", column("id"), column("name_initials"),
                     column("registered_at"))
    target = table("customer_initials_key", column("initials"), column("registered_at"),
                   column("customer_id"))
    done, last = 0, 0
    while True:
        rows = connection.execute(
            select(customer.c.id, customer.c.name_initials, customer.c.registered_at)
            .where(customer.c.id > last).order_by(customer.c.id).limit(batch)).all()
        if not rows:
            return done
        last = rows[-1][0]
        values = [{"initials": k, "registered_at": at, "customer_id": c}
                  for k, at, c in key_rows(rows)]
        if values:
            connection.execute(insert(target), values)
            done += len(values)
