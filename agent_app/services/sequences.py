"""Daily counters behind 登记编号 (registration numbers) and 单号 (order numbers).

`next_number()` runs inside the caller's transaction: UPDATE … SET value = value + 1 takes
the counter row's lock on MySQL (InnoDB) until the caller commits, and SQLite's BEGIN
IMMEDIATE serialises writers, so two agents never get the same number. The first number
of a scope inserts the row; two writers racing on that insert resolve through the primary
key (the loser retries the UPDATE).
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import NumberSequence


def next_number(session: Session, name: str, scope: str) -> int:
    for _ in range(3):
        bumped = session.execute(
            update(NumberSequence)
            .where(NumberSequence.name == name, NumberSequence.scope == scope)
            .values(value=NumberSequence.value + 1))
        if bumped.rowcount:
            return session.scalar(select(NumberSequence.value).where(
                NumberSequence.name == name, NumberSequence.scope == scope))
        try:
            with session.begin_nested():
                session.add(NumberSequence(name=name, scope=scope, value=1))
            return 1
        except IntegrityError:
            continue  # another writer created it first: take the UPDATE path
    raise RuntimeError(f"could not draw a number for {name}/{scope}")
