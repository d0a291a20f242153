"""最近情况: the customer at a glance under the profile form, so a screen-pop answers the
agent's first questions without a click: the last orders, the open reminders and the last
contacts (the full lists stay on their tabs)."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from agent_app.services.customer_record import CustomerBundle
from ui.kit.formats import local_time
from ui.kit.names import name_of, status_names

SHOWN = 3


class GlanceLabel(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("customerGlance")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setContentsMargins(4, 6, 4, 4)

    def show_bundle(self, bundle: CustomerBundle | None) -> None:
        if bundle is None:
            self.clear()
            return
        statuses = status_names()
        orders = [f"{escape(o.order_no)} {local_time(o.created_at)[:10]} ¥{o.total:,.2f} "
                  f"{escape(name_of(statuses, o.status))}"
                  + ("" if o.confirmed else " " + self.tr("(not confirmed)"))
                  for o in bundle.orders[:SHOWN]]
        open_reminders = [r for r in bundle.reminders if not r.done and not r.cancelled]
        reminders = [f"{local_time(r.due_at)[:16]} {escape(r.note[:40])}"
                     for r in open_reminders[:SHOWN]]
        contacts = [f"{local_time(c.at)[:10]} {escape((c.content or c.demand_info)[:40])}"
                    for c in bundle.contacts[:SHOWN]]
        none = self.tr("none")
        rows = ((self.tr("Recent orders (%n in all)", "", len(bundle.orders)), orders),
                (self.tr("Open reminders"), reminders),
                (self.tr("Last contacts"), contacts))
        self.setText("".join(
            f"<p style='margin:2px 0'><b>{escape(title)}:</b> "
            f"{' ; '.join(items) if items else escape(none)}</p>" for title, items in rows))
