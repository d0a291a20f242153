"""The change bus: one announcement after every save, so open panels refresh themselves.

A panel that saved something announces it (`ctx.changes.announce(Change.ORDER, order_id,
customer_id=…)`); any panel showing that kind of data listens (`changes.changed`) and
reloads what it shows. No panel wires reloads to another panel by hand.
"""
from __future__ import annotations

import logging
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Change(StrEnum):
    CUSTOMER = "customer"
    ORDER = "order"
    CONTACT = "contact"
    REMINDER = "reminder"
    CALL = "call"


class ChangeBus(QObject):
    changed = Signal(str, int, int)  # kind (a Change), the row's id, its customer's id or 0

    def announce(self, kind: Change, row_id: int = 0, *, customer_id: int | None = None) -> None:
        log.debug("change: %s %s (customer %s)", kind, row_id, customer_id)
        self.changed.emit(str(kind), int(row_id or 0), int(customer_id or 0))
