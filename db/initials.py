"""customer_initials rows from customer.name_initials ("zxm cxm": the first reading stays
on the customer row, the later ones get rows here). Shared by the service, the demo loader
and migration 0002's backfill, so the three can never disagree."""
from __future__ import annotations

from collections.abc import Iterable, Iterator


def later_readings(name_initials: str) -> list[str]:
    """The readings after the first, each at most 16 letters, without repeats."""
    variants = [v[:16] for v in (name_initials or "").split() if v]
    return list(dict.fromkeys(v for v in variants[1:] if v != variants[0]))


def initials_rows(customers: Iterable[tuple[int, str]]) -> Iterator[tuple[str, int]]:
    """(initials, customer_id) for every later reading of (customer_id, name_initials)."""
    for cid, initials in customers:
        for v in later_readings(initials):
            yield v, cid


def backfill(connection, batch: int = 20_000) -> int:
    """Fill customer_initials for every customer (an upgraded or bulk-loaded database).
    Only names with a space in name_initials have later readings. Plain table objects,
    not the models: migration 0002 runs this, and models move on after it."""
    from sqlalchemy import column, insert, select, table

    customer = table("customer", column("id"), column("name_initials"))
    target = table("customer_initials", column("initials"), column("customer_id"))
    done, last = 0, 0
    while True:
        rows = connection.execute(
            select(customer.c.id, customer.c.name_initials)
            .where(customer.c.id > last, customer.c.name_initials.like("% %"))
            .order_by(customer.c.id).limit(batch)).all()
        if not rows:
            return done
        last = rows[-1][0]
        values = [{"initials": i, "customer_id": c} for i, c in initials_rows(rows)]
        if values:
            connection.execute(insert(target), values)
            done += len(values)
