"""The agent's three commonest tasks, done with the keyboard only, on the real main window
(every feature installed) talking to the real in-process CTI server: the key sequences are
written out below, counted, checked against the targets, and each task's result is
checked in the database. docs/keyboard.md describes the same flows.

An action is one key chord or one typed field value. Window activation is left to the
window system (a new dialog gets the focus), as on a desktop."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.calls import (
    KNOWN_MOBILE,
    MULTIMEDIA_NOISE,
    UNKNOWN_LANDLINE,
    Desks,
    close_windows,
    logged_in_ready,
    until,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support", *MULTIMEDIA_NOISE)

# The flows, as typed. The ring and the pop come from the CTI server; every step after
# them is a key.
KNOWN_CALLER_ORDER = [
    "F2",           # answer: the caller's record is already on screen (screen-pop)
    "F7",           # 销售: the order form opens, its product editor open and focused
    "hyy",          # the product's short code: the suggestions list (规格, price) opens
    "Return",       # takes the highlighted (top) suggestion onto the line
    "Ctrl+Return",  # 确定: saved with the defaults (本地送货, 代收货款, the call's medium)
    "Return",       # 是否进行物流确认? 是 (the default button)
]
UNKNOWN_CALLER_ORDER = [
    "F2",           # answer: a blank record, phone and region filled in, the name focused
    "陈静",          # the name
    "Ctrl+S",       # 保存: registered
    "F7", "hyy", "Return", "Ctrl+Return", "Return",  # the order, as above
]
CONTACT_AND_REMINDER = [
    "Alt+O",        # 联系 tab: the cursor lands in 联系内容
    "问价格, 想要两台",  # the contact's content
    "Return",       # saved
    "Alt+M",        # 提醒: the reminder dialog, due tomorrow 10:00, the cursor in the note
    "明天回电报价",     # the note
    "Ctrl+Return",  # saved
]
TARGETS = {"known": 8, "unknown": 10, "contact": 7}


class Keyboard:
    """Sends each action to whatever has the keyboard (an open list, the focus widget,
    the active window) and counts it. Chinese text arrives as an input method's commit."""

    def __init__(self) -> None:
        self.actions: list[str] = []

    @staticmethod
    def target():
        return (QApplication.activePopupWidget() or QApplication.focusWidget()
                or QApplication.activeWindow())

    def act(self, action: str) -> None:
        target = self.target()
        assert target is not None, f"nothing has the keyboard for {action!r}"
        seq = QKeySequence(action)
        if action[:1].isupper() and seq.count() == 1 and seq[0].key() != Qt.Key.Key_unknown:
            QTest.keyClick(target, seq[0].key(), seq[0].keyboardModifiers())
        elif action.isascii():
            QTest.keyClicks(target, action)
        else:  # Chinese comes from the input method: one commit of the composed text
            event = QInputMethodEvent()
            event.setCommitString(action)
            QApplication.sendEvent(target, event)
        self.actions.append(action)


class FullDesks(Desks):
    """The main window as the program builds it: every feature, the real SalesFeature."""

    def __call__(self, login="1001", password="pass1234", seat="8001", demo_server=None):
        from ui.main_window import MainWindow

        ctx = self.call_ctx(login, password, seat)
        w = MainWindow(ctx, database_label="test")
        w.resize(1366, 768)
        w.show()
        w.activateWindow()
        w.features["sales"].notifier.timer.stop()
        self.made.append((w, w.features["call"]))
        return w


@pytest.fixture
def agent(qtbot, call_ctx, aloop, call_world):
    from db.models import Product

    with call_world.db.transaction() as s:  # one name, two specifications, two prices
        first = s.query(Product).one()
        s.add(Product(code="000002", name=first.name, specification="豪华",
                      variety_id=first.variety_id, unit="台", short_code="hyyhh",
                      retail_price=598, updated_by_login="t"))
    desks = FullDesks(aloop, call_ctx)
    yield desks
    close_windows(w for w, _feature in desks.made)
    qtbot.wait(10)


async def active(window) -> None:
    await until(lambda: window.isVisible())
    if not window.isActiveWindow():
        window.activateWindow()  # what the window manager does for a new window
    await until(window.isActiveWindow)


async def ring_and_pop(w, ctid, caller: str):
    feature, sales = w.features["call"], w.features["sales"]
    await logged_in_ready(feature)
    await until(lambda: sales.record.choices_ready and w.ctx.runner.in_flight == 0, 20)
    ctid.inbound(caller)
    await until(lambda: feature.console.answer_button.isEnabled()
                and sales.record.call is not None, 20)
    await active(w)


async def order_by_keys(w, kb: Keyboard, steps: list[str]):
    """F7 … Return: the order form from the record, up to its 物流确认."""
    sales = w.features["sales"]
    f7, code, pick, ok, yes = steps
    kb.act(f7)
    await until(lambda: sales.dialogs and sales.dialogs[-1].isVisible())
    dialog = sales.dialogs[-1]
    await active(dialog)
    editor = dialog.table.indexWidget(dialog.lines.index(0, 0))
    assert editor is not None and editor.hasFocus()  # open and focused, every time
    kb.act(code)
    await until(lambda: dialog.loaded)
    popup = editor.completer().popup()
    await until(popup.isVisible)
    labels = [editor.completer().completionModel().index(i, 0).data()
              for i in range(editor.completer().completionCount())]
    assert len(labels) == 2 and "标准" in labels[0] and "¥398.00" in labels[0] \
        and "豪华" in labels[1] and "¥598.00" in labels[1]
    kb.act(pick)
    await until(lambda: dialog.lines.lines[0].product_id is not None)
    assert dialog.lines.index(0, 1).data() == "标准"  # the specification on the line
    kb.act(ok)
    await until(lambda: dialog.confirm_box is not None and dialog.confirm_box.isVisible())
    await active(dialog.confirm_box)
    box = dialog.confirm_box
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Yes)
    kb.act(yes)
    await until(lambda: dialog.order is not None and dialog.order.confirmed, 20)
    return dialog.order


def check_order(db, order, customer_id: int) -> None:
    from agent_app.services.orders import OrderService
    from db.models import Medium, Product

    saved = OrderService(db).get(order.id)
    with db.reading() as s:
        product = s.get(Product, saved.lines[0].product_id)
        medium = s.get(Medium, saved.medium_id)
        assert (product.code, product.specification) == ("000001", "标准")
        assert medium.name == "江苏卫视"  # the advert the caller answered
    assert saved.customer_id == customer_id and saved.confirmed
    assert saved.payment == "cod" and saved.total == Decimal("398.00")


def test_known_caller_order_by_keyboard(agent, ctid, call_world):
    async def scenario():
        w = agent()
        kb = Keyboard()
        await ring_and_pop(w, ctid, KNOWN_MOBILE)
        kb.act(KNOWN_CALLER_ORDER[0])  # F2
        await until(lambda: w.features["call"].console.hangup_button.isEnabled())
        order = await order_by_keys(w, kb, KNOWN_CALLER_ORDER[1:])
        check_order(call_world.db, order, call_world.customer_id)
        return kb.actions
    actions = agent.run(scenario())
    assert actions == KNOWN_CALLER_ORDER
    assert len(actions) <= TARGETS["known"]


def test_unknown_caller_registered_and_ordered_by_keyboard(agent, ctid, call_world):
    async def scenario():
        from agent_app.services.customers import CustomerService

        w = agent()
        record = w.features["sales"].record
        kb = Keyboard()
        await ring_and_pop(w, ctid, UNKNOWN_LANDLINE)
        assert record.customer_id is None and record.profile.edits["name"].hasFocus()
        answer, name, save, *ordering = UNKNOWN_CALLER_ORDER
        kb.act(answer)
        await until(lambda: w.features["call"].console.hangup_button.isEnabled())
        kb.act(name)
        kb.act(save)
        await until(lambda: record.customer_id is not None, 20)
        customer = CustomerService(call_world.db).get(record.customer_id)
        assert customer.name == "陈静" and customer.landline == UNKNOWN_LANDLINE
        assert customer.region_id == call_world.region_id
        order = await order_by_keys(w, kb, ordering)
        check_order(call_world.db, order, customer.id)
        return kb.actions
    actions = agent.run(scenario())
    assert actions == UNKNOWN_CALLER_ORDER
    assert len(actions) <= TARGETS["unknown"]


def test_contact_note_and_reminder_by_keyboard(agent, ctid, call_world):
    """From the caller's record on screen (the call answered)."""
    async def scenario():
        from agent_app.services.contacts import ContactService
        from agent_app.services.reminders import ReminderService

        w = agent()
        sales = w.features["sales"]
        await ring_and_pop(w, ctid, KNOWN_MOBILE)
        w.action("call.answer").trigger()
        await until(lambda: w.features["call"].console.hangup_button.isEnabled())
        kb = Keyboard()
        tab, content, save, remind, note, ok = CONTACT_AND_REMINDER
        kb.act(tab)
        assert sales.record.tabs.currentWidget() is sales.record.contacts
        kb.act(content)
        kb.act(save)
        contacts = ContactService(call_world.db)
        await until(lambda: any(c.content == content
                                for c in contacts.for_customer(call_world.customer_id)))
        kb.act(remind)
        await until(lambda: any(type(d).__name__ == "ReminderDialog" and d.isVisible()
                                for d in sales.dialogs))
        dialog = sales.dialogs[-1]
        await active(dialog)
        assert dialog.note.hasFocus()
        kb.act(note)
        kb.act(ok)
        reminders = ReminderService(call_world.db)
        await until(lambda: reminders.for_customer(call_world.customer_id))
        (r,) = reminders.for_customer(call_world.customer_id)
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        assert r.note == note and r.due_at.astimezone().date() == tomorrow
        await until(lambda: not dialog.isVisible())
        return kb.actions
    actions = agent.run(scenario())
    assert actions == CONTACT_AND_REMINDER
    assert len(actions) <= TARGETS["contact"]

