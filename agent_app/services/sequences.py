"""Counters behind 登记编号 (registration numbers), 单号 (order numbers) and product codes.

No counter is a row that every writer updates. On one server such a row queues every
writer behind the one holding it until commit; on a multi-master cluster (Galera) writers
on different nodes that touch one row in the same instant abort each other at commit.
So every counter is split:
- registration numbers count per agent and day (the agent's login is in the number);
- order numbers and product codes count per *lane*, one of LANES counters chosen by the
  writing employee's login. Lane k issues k+1, k+1+LANES, k+1+2·LANES, … so lanes never meet:
  the numbers are unique by arithmetic, not by locking. Within a lane the row lock (InnoDB)
  or BEGIN IMMEDIATE (SQLite) still serialises the rare two writers that share it.

The price is that numbers are not consecutive in time (a day's first orders may be 0004,
0013, 0101). docs/numbers.md gives the reasons and the formats.

`next_number()` runs inside the caller's transaction. The first number of a scope inserts
the row; two writers racing on that insert resolve through the primary key (the loser
takes the UPDATE path).
"""
from __future__ import annotations

import zlib

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import NumberSequence

LANES = 100   # one writer in 100 shares a counter row: rare waits, never a queue


def next_number(session: Session, name: str, scope: str) -> int:
    """The next value of one counter row (1, 2, 3, …)."""
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


def lane_of(login: str) -> int:
    """The counter lane of an employee, from the login: fixed, so one desk always uses
    one row, and the same on every back end. Sites number agents consecutively (1001,
    1002, …), so the login's last digits spread them over the lanes."""
    if login.isdigit():
        return int(login) % LANES
    return zlib.crc32(login.encode("utf-8")) % LANES


def lane_scope(scope: str, lane: int) -> str:
    return f"{scope}#{lane:02d}"


def lane_number(seq: int, lane: int) -> int:
    """The number a lane's seq-th draw issues: unique over all lanes and draws."""
    return (seq - 1) * LANES + lane + 1


def lane_seq(number: int) -> tuple[int, int]:
    """(seq, lane) of an issued number: the inverse of lane_number()."""
    return (number - 1) // LANES + 1, (number - 1) % LANES


def next_lane_number(session: Session, name: str, scope: str, login: str) -> int:
    """A number unique within (name, scope), drawn from the writer's lane."""
    lane = lane_of(login)
    return lane_number(next_number(session, name, lane_scope(scope, lane)), lane)
