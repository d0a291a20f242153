"""The typed contracts between features: a feature reaches another only through these.

ui.call pops the caller's record into a `CustomerScreen` (ui.sales provides it); ui.sales
asks a `Dialer` (ui.call provides it) to call a customer back. The main window keeps the one
provider of each (`host.provide` / `host.lookup`); a feature never imports another.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDockWidget


@runtime_checkable
class CustomerScreen(Protocol):
    """Where a call's customer is shown: the customer record (客户档案)."""

    customer_registered: SignalInstance  # (customer id, call id or "") after 新客户 saved
    customer_opened: SignalInstance      # (customer id, call id) a record opened in a call

    def set_pop_banner(self, text: str) -> None: ...
    def show_bundle(self, bundle: Any, *, call: dict | None = None) -> None: ...
    def open_customer(self, customer_id: int, *, call: dict | None = None) -> Any: ...
    def new_customer(self, *, phone: str = "", region_id: int | None = None,
                     call: dict | None = None) -> None: ...
    def pick_customer(self, matches: list, *, call: dict | None = None) -> Any: ...
    def customer_for_call(self, call_id: str) -> int | None:
        """The customer whose record is shown for this call, if any."""
    def record_dock(self) -> QDockWidget:
        """The record's dock: repainted right after a pop, and the place call panels tab
        beside (the big middle area)."""


@runtime_checkable
class Dialer(Protocol):
    """Places an outbound call from this desk (外拨)."""

    def can_dial(self) -> bool: ...
    def dial(self, number: str, *, customer_id: int | None = None) -> None: ...
