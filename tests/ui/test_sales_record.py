"""客户资料: registering, 资料重复, stale edits, the screen-pop paint, dial, contacts,
reminders and feedback tabs."""
from __future__ import annotations

import asyncio
import threading

from agent_app.services.contacts import ContactService
from agent_app.services.customer_record import load_bundle
from agent_app.services.customers import CustomerDraft
from agent_app.services.reminders import ReminderService
from tests.ui.helpers import run, until
from ui.kit.contracts import Dialer


def test_register_a_new_customer_during_a_call(shop, sales_window, aloop):
    w = sales_window()
    feature = w.features["sales"]
    seen = []
    feature.customer_registered.connect(lambda cid, call_id: seen.append((cid, call_id)))
    feature.set_pop_banner("来电 4006000000 · 江苏卫视 · 眼保姆")
    feature.new_customer(phone="0571-88001234", region_id=shop.region.id,
                         call={"call_id": "c-77", "caller": "057188001234"})
    record = feature.record
    assert record.banner.isVisible() and "江苏卫视" in record.banner.text()
    form = record.profile
    assert form.edits["landline"].text() == "057188001234"
    assert form.region.currentData() == shop.region.id
    assert form.owner.text() == "王明辉"
    assert not record.sales.isEnabled() or record.customer_id is None
    assert run(aloop, record.save()) is False  # no name yet
    assert form.errors.labels["name"].text() == "The name is required."
    form.edits["name"].setText("张三")
    form.edits["address"].setText("杭州市上城区")
    assert run(aloop, record.save()) is True
    found = shop.customers.find_by_phone("057188001234")
    assert [c.name for c in found] == ["张三"]
    assert seen == [(found[0].id, "c-77")]
    assert record.customer_id == found[0].id
    assert found[0].registration_no in record.heading
    assert "registered" in record.status.text()


def test_duplicate_phone_offers_the_existing_record(shop, sales_window, aloop):
    existing = shop.customer("李四", mobile="13912345678")
    w = sales_window()
    record = w.features["sales"].record
    record.new_customer(phone="13912345678")
    record.profile.edits["name"].setText("另一个名字")
    assert run(aloop, record.save()) is False
    assert record.status.text().startswith("Duplicate record: 13912345678 already belongs "
                                           "to 李四")
    assert record.open_existing.isVisible()
    assert record.profile.edits["name"].text() == "另一个名字"  # nothing lost
    record.open_existing.click()
    run(aloop, until(lambda: record.customer_id == existing.id))
    assert record.profile.edits["name"].text() == "李四"
    assert not record.open_existing.isVisible()


def test_stale_edit_keeps_the_users_changes(shop, sales_window, aloop):
    c = shop.customer("王五")
    w = sales_window()
    record = w.features["sales"].record
    assert run(aloop, record.open_customer(c.id))
    shop.customers.update(shop.admin, c.id, c.version, CustomerDraft(
        name="王五", mobile=c.mobile, region_id=c.region_id, remark="别人改的"))
    record.profile.edits["remark"].setText("我的修改")
    assert run(aloop, record.save()) is False
    assert "changed this record" in record.status.text()
    assert record.profile.edits["remark"].text() == "我的修改"
    assert shop.customers.get(c.id).remark == "别人改的"


def test_show_bundle_paints_without_a_database_call(shop, sales_window, aloop):
    c = shop.customer("赵六")
    shop.order(c.id)
    ContactService(shop.db).add(shop.admin, __import__(
        "agent_app.services.contacts", fromlist=["ContactDraft"]).ContactDraft(
        customer_id=c.id, content="问价格"))
    bundle = load_bundle(shop.db, c.id)
    w = sales_window()
    feature = w.features["sales"]
    feature.show_bundle(bundle, call={"call_id": "c-1"})
    assert w.ctx.runner.in_flight == 0  # painted synchronously, from the bundle alone
    record = feature.record
    assert record.profile.edits["name"].text() == "赵六"
    assert record.contacts.model.rowCount() == 1
    assert record.sales.model.rowCount() == 1
    assert record.call == {"call_id": "c-1"}


def test_dial_without_a_cti_link(shop, sales_window, aloop):
    c = shop.customer("钱七")
    w = sales_window()
    record = w.features["sales"].record
    run(aloop, record.open_customer(c.id))
    record.buttons["dial"].click()
    assert record.status.text() == "CTI link not connected"

    class Link:
        dialled: list[tuple] = []

        def can_dial(self):
            return True

        def dial(self, number, *, customer_id=None):
            self.dialled.append((number, customer_id))
    w.provide(Dialer, Link())
    record.buttons["dial"].click()
    assert Link.dialled == [(c.mobile, c.id)]
    assert record.status.text() == f"Dialling {c.mobile}…"


def test_contacts_tab_adds_and_completes_a_contact(shop, sales_window, aloop):
    c = shop.customer("孙八")
    w = sales_window()
    record = w.features["sales"].record
    run(aloop, record.open_customer(c.id))
    tab = record.contacts
    run(aloop, until(lambda: tab.variety.count() > 1))
    tab.content.setText("询问眼保姆的价格")
    tab.demand_type.setCurrentIndex(tab.demand_type.findData("consult"))
    tab.variety.setCurrentIndex(tab.variety.findData(shop.variety.id))
    run(aloop, tab.save())
    assert tab.model.rowCount() == 1
    saved = ContactService(shop.db).for_customer(c.id)[0]
    assert (saved.content, saved.demand_type, saved.our_staff) == (
        "询问眼保姆的价格", "consult", "王明辉")
    tab.view.selectRow(0)
    tab.view.clicked.emit(tab.model.index(0, 0))
    tab.demand_info.setText("想买两台")
    run(aloop, tab.save())
    assert ContactService(shop.db).for_customer(c.id)[0].demand_info == "想买两台"
    assert tab.model.rowCount() == 1


def test_reminder_dialog_and_done_rows(shop, sales_window, aloop):
    from ui.sales.models import PINK

    c = shop.customer("周九")
    w = sales_window()
    feature = w.features["sales"]
    record = feature.record
    run(aloop, record.open_customer(c.id))
    record.buttons["remind"].click()
    dialog = feature.dialogs[-1]
    dialog.note.setPlainText("问是否决定买操盘手软件")
    run(aloop, dialog.submit())
    assert not dialog.isVisible()
    run(aloop, until(lambda: record.reminders.model.rowCount() == 1))
    tab = record.reminders
    tab.view.selectRow(0)
    run(aloop, tab.mark_done())
    run(aloop, until(lambda: tab.model.row_at(0).done))
    assert tab.model.index(0, 0).data(0x08).color() == PINK  # BackgroundRole
    assert ReminderService(shop.db).for_customer(c.id)[0].done


def test_feedback_tab_loads_when_shown(shop, sales_window, aloop):
    c = shop.customer("吴十")
    ContactService(shop.db).add_feedback(shop.admin, c.id, "希望送货快一点")
    w = sales_window()
    record = w.features["sales"].record
    run(aloop, record.open_customer(c.id))
    assert record.feedback.model.rowCount() == 0  # not in the bundle: read on demand
    record.tabs.setCurrentWidget(record.feedback)
    run(aloop, until(lambda: record.feedback.model.rowCount() == 1))
    record.feedback.text.setText("包装再好一点")
    run(aloop, record.feedback.add())
    assert record.feedback.model.rowCount() == 2


def test_pick_customer_opens_the_chosen_record_for_the_call(shop, sales_window, aloop):
    a = shop.customer("同号甲", mobile="13900001111")
    b = shop.customer("同号乙", mobile="13900002222")
    w = sales_window()
    feature = w.features["sales"]
    opened = []
    feature.customer_opened.connect(lambda cid, call_id: opened.append((cid, call_id)))
    dialog = feature.pick_customer([a, b], call={"call_id": "c-5", "caller": "13900001111"})
    assert dialog.isVisible() and not dialog.isModal() and dialog.list.count() == 2
    dialog.list.setCurrentRow(1)
    dialog.buttons.button(dialog.buttons.StandardButton.Open).click()
    run(aloop, until(lambda: feature.record.customer_id == b.id))
    assert feature.record.call == {"call_id": "c-5", "caller": "13900001111"}
    assert opened == [(b.id, "c-5")]
    again = feature.pick_customer([a, b], call={"call_id": "c-6", "caller": "13900009999"})
    again.new_button.click()
    assert feature.record.customer_id is None
    assert feature.record.profile.edits["mobile"].text() == "13900009999"


class HeldLoads:
    """load_bundle as the record calls it, held on its worker for some customers until the
    test releases it; `stale` reads the rows first and then waits, as a load that queued
    behind others would (and only the first load of such a customer is held)."""

    def __init__(self, monkeypatch, slow_ids, stale=False):
        import ui.sales.record as record_module
        real = record_module.load_bundle
        self.started: list[int] = []   # customer ids whose load is held (list.append is atomic)
        self.release = threading.Event()

        def load(db, customer_id, *, viewer=None):
            if customer_id not in slow_ids:
                return real(db, customer_id, viewer=viewer)
            bundle = None
            if stale:
                bundle = real(db, customer_id, viewer=viewer)
                slow_ids.discard(customer_id)
            self.started.append(customer_id)
            # bounded: a test that fails before releasing must not hang the pool's shutdown
            assert self.release.wait(10), "the test never released the held load"
            return bundle if stale else real(db, customer_id, viewer=viewer)
        monkeypatch.setattr(record_module, "load_bundle", load)

    def again(self) -> None:
        """Hold the next loads too."""
        self.started.clear()
        self.release.clear()


def test_the_customer_asked_for_last_stays_on_screen(shop, sales_window, aloop, monkeypatch):
    """A click on 甲 whose load is slow, then 乙 (or a screen-pop of 丙): 甲 coming back
    last must not replace the record the agent is looking at."""
    a, b, c = shop.customer("甲先开"), shop.customer("乙后开"), shop.customer("丙来电")
    record = sales_window().features["sales"].record
    held = HeldLoads(monkeypatch, {a.id})

    async def clicks():
        first = asyncio.ensure_future(record.open_customer(a.id))
        await until(lambda: len(held.started) == 1)
        second = await record.open_customer(b.id)
        held.release.set()
        return await first, second
    assert run(aloop, clicks()) == (False, True)
    assert record.customer_id == b.id and "乙后开" in record.heading

    held.again()

    async def click_then_pop():
        first = asyncio.ensure_future(record.open_customer(a.id))
        await until(lambda: len(held.started) == 1)
        record.show_bundle(load_bundle(shop.db, c.id), call={"call_id": "c-1"})
        held.release.set()
        return await first
    assert run(aloop, click_then_pop()) is False
    assert record.customer_id == c.id and record.call == {"call_id": "c-1"}


def test_a_late_reload_does_not_undo_a_newer_one(shop, sales_window, aloop, monkeypatch):
    """Saved, then confirmed: two reloads of the record's lists; the first one's rows
    (still unconfirmed) arriving last must not paint over the confirmed order."""
    c = shop.customer("先存后确认")
    record = sales_window().features["sales"].record
    run(aloop, record.open_customer(c.id))
    order = shop.order(c.id)
    held = HeldLoads(monkeypatch, {c.id}, stale=True)

    async def saved_then_confirmed():
        first = record.reload_lists()          # reads the unconfirmed order, then waits
        await until(lambda: len(held.started) == 1)
        shop.orders.confirm(shop.admin, order.id, order.version)
        await record.reload_lists()
        held.release.set()
        await first
    run(aloop, saved_then_confirmed())
    assert [o.confirmed for o in record.sales.model.rows] == [True]


def test_a_load_that_returns_after_the_record_is_gone_touches_nothing(
        shop, sales_window, aloop, monkeypatch):
    """The window closed (the record panel deleted) while its loads ran on a worker: they
    come back to no widget and drop their rows (a RuntimeError about a deleted GlanceLabel
    was seen in CI)."""
    from shiboken6 import isValid

    from ui.sales.feature import SalesFeature
    sized = []
    real_heights = SalesFeature._default_heights
    monkeypatch.setattr(SalesFeature, "_default_heights",
                        lambda self: (real_heights(self), sized.append(self)))
    c = shop.customer("关窗")
    record = sales_window().features["sales"].record
    run(aloop, record.open_customer(c.id))
    held = HeldLoads(monkeypatch, {c.id})

    async def delete_mid_load():
        await until(lambda: sized)   # the window's first dock sizing (200 ms after show) done
        opening = asyncio.ensure_future(record.open_customer(c.id))
        reloading = record.reload_lists()
        await until(lambda: len(held.started) == 2)
        record.deleteLater()
        await until(lambda: not isValid(record))   # deleted, the loads still running
        held.release.set()
        await asyncio.wait([opening, reloading])
        return opening, reloading
    # both end quietly (cancelled); an exception in either would reach pytest-qt's capture
    # and fail the test
    opening, reloading = run(aloop, delete_mid_load())
    assert opening.cancelled() and reloading.cancelled()


# -- numbers masked for a user without 查看完整号码 (docs/privacy.md) -----------------------

def test_a_masked_record_dials_the_real_number_and_saves_without_losing_it(
        shop, sales_window, aloop):
    c = shop.customer("孙八", mobile="13912340001", landline="057188001299")
    w = sales_window("1001", "pass1234")   # an operator without 查看完整号码
    record = w.features["sales"].record
    run(aloop, record.open_customer(c.id))
    form = record.profile
    assert (form.edits["mobile"].text(), form.edits["landline"].text()) == (
        "139****0001", "057*****1299")

    class Link:
        def __init__(self):
            self.dialled: list[tuple] = []

        def can_dial(self):
            return True

        def dial(self, number, *, customer_id=None):
            self.dialled.append((number, customer_id))
    link = Link()
    w.provide(Dialer, link)
    record.buttons["dial"].click()    # the masked text on screen is not what is dialled
    run(aloop, until(lambda: link.dialled))
    assert link.dialled == [("13912340001", c.id)]
    assert record.status.text() == "Dialling 139****0001…"

    # a save of the record as shown keeps both real numbers; the address is saved
    form.edits["address"].setText("杭州市西湖区")
    assert run(aloop, record.save()) is True
    stored = shop.customers.get(c.id)
    assert (stored.mobile, stored.landline, stored.address) == (
        "13912340001", "057188001299", "杭州市西湖区")
    assert form.edits["mobile"].text() == "139****0001"   # still masked after the save
    # masked text typed over: refused beside the field, nothing saved
    form.edits["mobile"].setText("139****9999")
    form.edits["address"].setText("改了")
    assert run(aloop, record.save()) is False
    assert form.errors.labels["mobile"].text().startswith("Type the whole number")
    assert shop.customers.get(c.id).address == "杭州市西湖区"


def test_a_new_caller_is_shown_masked_and_registered_with_the_real_number(
        shop, sales_window, aloop):
    w = sales_window("1001", "pass1234")
    feature = w.features["sales"]
    feature.new_customer(phone="13912340002", region_id=shop.region.id,
                         call={"call_id": "c-78", "caller": "13912340002"})
    form = feature.record.profile
    assert form.edits["mobile"].text() == "139****0002"
    form.edits["name"].setText("周九")
    assert run(aloop, feature.record.save()) is True
    assert [x.name for x in shop.customers.find_by_phone("13912340002")] == ["周九"]
