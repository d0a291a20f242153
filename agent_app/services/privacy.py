"""Phone numbers as each user may see them (PIPL art. 51, GB/T 35273 §7.2).

A user without 查看完整号码 (Permission.VIEW_FULL_NUMBERS) gets every customer's and
caller's number masked (138****5678) by the service that reads it, so the full number
never reaches that desk's screen, export or printout. Dialling and lookups do not need
the shown text: they go by record id or call id (CustomerService.number_to_dial,
CallService.number_to_dial), and a search by a number the agent typed still finds it.
docs/privacy.md lists every place.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace
from typing import TypeVar

from agent_app.phones import mask_phone
from agent_app.services.base import Actor
from agent_app.services.paging import Page
from db.enums import Permission

T = TypeVar("T")

# the dataclass fields that hold a customer's or a caller's number
PHONE_FIELDS = frozenset({"mobile", "landline", "other_phone", "phone", "caller"})


def sees_full_numbers(viewer: Actor | None) -> bool:
    """None is the core itself (agent-ctid, agent-admin, a service calling another): it
    works with the real numbers and shows them to no one."""
    return viewer is None or viewer.can(Permission.VIEW_FULL_NUMBERS)


def shown(viewer: Actor | None, row: T) -> T:
    """The dataclass `row` with its phone fields masked for `viewer` (else itself)."""
    if sees_full_numbers(viewer):
        return row
    changes = {f.name: mask_phone(getattr(row, f.name))
               for f in fields(row)  # type: ignore[arg-type]
               if f.name in PHONE_FIELDS and isinstance(getattr(row, f.name), str)}
    return replace(row, **changes) if changes else row  # type: ignore[type-var]


def shown_all(viewer: Actor | None, rows: Iterable[T]) -> list[T]:
    if sees_full_numbers(viewer):
        return list(rows)
    return [shown(viewer, r) for r in rows]


def shown_page(viewer: Actor | None, page: Page[T]) -> Page[T]:
    if sees_full_numbers(viewer):
        return page
    return Page(shown_all(viewer, page.rows), page.next_after)


def shown_number(viewer: Actor | None, number: str | None) -> str:
    """One number as `viewer` may see it: for the numbers agent-ctid's events carry (the
    console's caller, the screen-pop banner), which reach the desk without a service."""
    return (number or "") if sees_full_numbers(viewer) else mask_phone(number)
