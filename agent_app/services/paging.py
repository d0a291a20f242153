"""Keyset pages for tables that can be large (customers, orders, calls).

A page never uses OFFSET: the next page starts after the last row's sort key, so page
1,000 costs what page 1 costs and rows inserted meanwhile never shift a page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    # Pass back as `after=` for the next page; None when this was the last page.
    next_after: tuple | None = None
