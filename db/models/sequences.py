"""Daily counters behind 登记编号 and 单号."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class NumberSequence(Base):
    """One row per (counter, scope), e.g. ("order", "260522") or ("registration",
    "20260522:000001"). Incremented with UPDATE … SET value = value + 1 inside the
    caller's transaction: InnoDB's row lock serialises concurrent writers on MySQL and
    SQLite's single writer does the same, so numbers never repeat."""

    __tablename__ = "number_sequence"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
