"""The call console against a real agent-ctid on loopback, in a real window (offscreen):
connect and log in, ready/busy, a call pops the caller's record, answer → talking →
hang up → today's list; an unknown number opens a new-customer form with its region."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from tests.ui.calls import (
    HOTLINE,
    KNOWN_MOBILE,
    UNKNOWN_LANDLINE,
    logged_in_ready,
    until,
)
from ui.main_window import MainWindow


def test_connects_by_itself_and_shows_lights(desk):
    async def scenario():
        w, feature, _ = desk()
        console = feature.console
        assert console.isVisible() and console.is_built
        await until(lambda: feature.bridge.connected, 20)
        assert console.link_light.colour == "#2e9d3a" and "Connected" in console.link_light.text.text()
        assert console.login_light.text.text() == "Logged in"
        assert console.state_light.text.text() == "Busy"  # after login the agent is busy
        console.ready_button.click()
        await until(lambda: console.state_light.text.text() == "Ready")
        console.reason.setCurrentIndex(1)
        console.busy_button.click()
        await until(lambda: console.state_light.text.text() == "Busy · Training")
        assert console.duration.text() in ("00:00", "00:01")
    desk.run(scenario())


def test_known_caller_pops_record_answer_hangup_lists_call(desk, ctid, call_world):
    async def scenario():
        from agent_app.phones import mask_phone
        from agent_app.services.contacts import ContactService

        w, feature, sales = desk()
        console = feature.console
        await logged_in_ready(feature)
        ctid.inbound(KNOWN_MOBILE)
        await until(lambda: "show_bundle" in sales.names(), 20)
        name, (bundle,), kw = sales.calls[0]
        assert bundle.customer.id == call_world.customer_id
        assert kw["call"]["caller"] == KNOWN_MOBILE
        # 1001 has no 查看完整号码: the pop finds the record by the real number and every
        # number it shows is masked, the record's and the banner's; the hotline is the site's
        assert bundle.customer.mobile == mask_phone(KNOWN_MOBILE)
        assert sales.banner.startswith(f"Call {mask_phone(KNOWN_MOBILE)} → {HOTLINE}")
        assert "group 21" in sales.banner and "江苏卫视" in sales.banner and "护眼仪" in sales.banner
        assert feature.pop.pop_latencies_ms and feature.pop.pop_latencies_ms[0] < 2000
        assert console.caller.text() == mask_phone(KNOWN_MOBILE)
        assert console.dialed.text() == HOTLINE
        assert console.answer_button.isEnabled() and not console.hangup_button.isEnabled()

        feature.actions["answer"].trigger()  # F2 answers
        await until(lambda: console.hangup_button.isEnabled())
        assert "Talking" in console.call_state.text()
        console.hold_button.click()
        await until(lambda: console.hold_button.text() == "Resume")
        console.hold_button.click()
        await until(lambda: console.hold_button.text() == "Hold")
        console.notes.setPlainText("想要两台, 下周再来电")
        console.hangup_button.click()
        await until(lambda: any(
            r.end_cause == "answered" for r in console.today_model.rows), 20)
        row = console.today_model.rows[0]
        assert row.caller == mask_phone(KNOWN_MOBILE) and row.customer_name == "张三"
        assert console.today_model.index(0, 0).data() == "Inbound"
        assert console.today_model.index(0, 5).data() == "Answered"

        await feature.pop.drain()
        contacts = ContactService(call_world.db).for_customer(call_world.customer_id)
        assert [c.call_id for c in contacts] == [row.call_id]
        assert contacts[0].content == "想要两台, 下周再来电" and contacts[0].channel == "call_in"
        # The console's Save writes over the version this desk wrote: it goes through.
        failed: list[str] = []
        feature.pop.failed.connect(failed.append)
        assert await feature.pop.save_notes(row.call_id, "改成三台")
        (saved,) = ContactService(call_world.db).for_customer(call_world.customer_id)
        assert saved.content == "改成三台" and failed == []
        # Someone saves the contact on the 联系 tab meanwhile: the console's next Save is
        # refused with the stale-edit message, and their text stays.
        from agent_app.services.contacts import ContactDraft
        ContactService(call_world.db).update(
            feature.ctx.actor, saved.id, saved.version,
            ContactDraft(call_world.customer_id, channel="call_in", content="联系页的修改"))
        await feature.pop.save_notes(row.call_id, "控制台的旧稿")
        assert failed and "after you opened it" in failed[0]
        (kept,) = ContactService(call_world.db).for_customer(call_world.customer_id)
        assert kept.content == "联系页的修改"
    desk.run(scenario())


def test_unknown_number_opens_new_customer_with_region(desk, ctid, call_world):
    async def scenario():
        w, feature, sales = desk()
        await logged_in_ready(feature)
        ctid.inbound(UNKNOWN_LANDLINE)
        await until(lambda: "new_customer" in sales.names(), 20)
        _name, _args, kw = sales.calls[0]
        assert kw["phone"] == UNKNOWN_LANDLINE and kw["region_id"] == call_world.region_id
        assert feature.pop.calls[kw["call"]["call_id"]].customer_id is None
    desk.run(scenario())


def test_commands_without_link_report_instead_of_raising(desk):
    async def scenario():
        w, feature, _ = desk()
        await until(lambda: feature.bridge.connected, 20)
        feature.bridge.disconnect_link()
        await until(lambda: not feature.bridge._tasks)  # the client's stop() ran
        console = feature.console
        assert console.connect_button.text() == "Connect"
        assert console.link_light.text.text() == "Link: Disconnected"
        failed = []
        feature.bridge.command_failed.connect(lambda *args: failed.append(args))
        feature.bridge.ready()  # reported at once, synchronously: nothing raised
        assert failed == [("ready", "CTI link not connected")]
        assert "CTI link not connected" in console.message.text()
        assert not console.pad.dial_button.isEnabled()
        console.pad.number.setText("13900001111")
        console.dial(console.pad.number.text())
        assert console.message.text() == "CTI link not connected"
    desk.run(scenario())


def test_no_credentials_means_no_connection(qtbot, call_ctx, aloop):
    from ui.call import FEATURE

    ctx = call_ctx()
    ctx.credentials = None
    w = MainWindow(ctx, database_label="test", features=(FEATURE,))
    qtbot.addWidget(w)
    feature = w.features["call"]
    w.show()
    feature.console.toggle_link()
    assert feature.bridge.client is None
    assert feature.bridge.detail == "no credentials"
    assert "no credentials" in feature.console.message.text()


def test_a_call_ending_while_its_lookup_runs_is_still_logged(desk, ctid, call_world,
                                                             monkeypatch):
    """The caller hangs up (早释) while the screen-pop lookup is still on the worker: once
    the lookup is back, the call is handed to the contact log (log_call) for the customer
    all the same; without notes the service writes no line for it."""
    import threading

    from agent_app.services.calls import CallService
    from agent_app.services.contacts import ContactService

    real = CallService.pop_context
    release = threading.Event()

    def slow(self, *args, **kwargs):
        assert release.wait(30), "the test never released the lookup"
        return real(self, *args, **kwargs)
    monkeypatch.setattr(CallService, "pop_context", slow)
    logged: list[dict] = []
    real_log = ContactService.log_call

    def log_call(self, actor, **kwargs):
        logged.append(kwargs)
        return real_log(self, actor, **kwargs)
    monkeypatch.setattr(ContactService, "log_call", log_call)

    async def scenario():
        w, feature, sales = desk()
        await logged_in_ready(feature)
        ended = []
        feature.bridge.state_changed.connect(
            lambda st: ended.extend(c for c in st.calls if c.state == "ended"))
        ctid.inbound(KNOWN_MOBILE, hangup_after_s=0.3)
        await until(lambda: ended, 20)
        assert ended[0].end_cause == "abandoned"
        assert "show_bundle" not in sales.names()  # the lookup is still running
        release.set()
        await until(lambda: "show_bundle" in sales.names(), 20)
        call_id = ended[0].call_id
        await until(lambda: any(k["call_id"] == call_id for k in logged), 20)
        await feature.pop.drain()
        assert {(k["customer_id"], k["notes"]) for k in logged} == {
            (call_world.customer_id, None)}
        # no notes were typed: the call is in the call records, not in the contact log
        assert ContactService(call_world.db).for_customer(call_world.customer_id) == []
    desk.run(scenario())


# -- the console never lies about a call ------------------------------------------------------------
class Spy:
    """Counts the requests a client sends (and which)."""

    def __init__(self, client) -> None:
        self.sent: list[str] = []
        real = client.request

        async def request(type, **kwargs):
            self.sent.append(type)
            return await real(type, **kwargs)
        client.request = request


def test_a_call_that_rings_out_is_not_shown_ringing(desk, ctid, qapp):
    """Ring timeout 2 s (call_fixtures): the agent lets the phone ring. The console then says
    busy · unanswered in words (both languages), the call box says the call ended unanswered,
    Answer is off, and F2 does nothing at all: no request, no red line."""
    async def scenario():
        from agent_app.phones import mask_phone
        from ui import i18n

        w, feature, sales = desk()
        bridge, console = feature.bridge, feature.console
        await logged_in_ready(feature)
        ctid.inbound(KNOWN_MOBILE)
        await until(lambda: console.answer_button.isEnabled(), 20)
        assert console.call_state.text() == "Inbound · Ringing"
        await until(lambda: bridge.state.agent_state == "busy", 20)
        assert console.state_light.text.text() == "Busy · Unanswered"
        assert console.badge.text.text().startswith("Busy · Unanswered")
        assert console.call_state.text() == "Inbound · Ended · No answer"
        assert console.caller.text() == mask_phone(KNOWN_MOBILE)  # which call it was
        assert not console.answer_button.isEnabled() and bridge.state.ringing is None
        await until(lambda: sales.banner.endswith("Ended · No answer"), 20)

        spy, failed = Spy(bridge.client), []
        bridge.command_failed.connect(lambda *a: failed.append(a))
        feature.actions["answer"].trigger()
        bridge.answer()
        assert spy.sent == [] and failed == [] and not bridge._tasks
        assert not console.message.isVisible()

        try:
            i18n.install("zh_CN", qapp)
            await until(lambda: console.state_light.text.text() == "置忙 · 未接")
            assert console.call_state.text() == "呼入 · 已结束 · 无人接听"
        finally:
            i18n.install("en", qapp)
        await until(lambda: console.state_light.text.text() == "Busy · Unanswered")
    desk.run(scenario())


def test_the_error_line_clears_on_the_next_success(desk, ctid):
    """Each success after a refusal clears the red line: Ready, Busy, the next call ringing,
    a successful answer, hang-up. The refusals are the server's, in words."""
    async def scenario():
        w, feature, _ = desk()
        bridge, console = feature.bridge, feature.console
        await until(lambda: bridge.connected, 20)

        async def refused(command, words):
            command()
            await until(lambda: console.message.isVisible())
            assert words in console.message.text()

        nothing = "There is no call."
        await refused(bridge.hold, nothing)
        bridge.ready()  # Ready clears it
        await until(lambda: not console.message.isVisible())
        assert console.state_light.text.text() == "Ready"

        await refused(bridge.hold, nothing)
        console.busy_button.click()  # Busy clears it
        await until(lambda: not console.message.isVisible())
        assert console.state_light.text.text() == "Busy · Break"

        bridge.ready()
        await until(lambda: bridge.state.agent_state == "ready")
        await refused(bridge.hangup, nothing)
        ctid.inbound(KNOWN_MOBILE)  # the next call ringing clears it
        await until(lambda: bridge.state.ringing is not None, 20)
        assert not console.message.isVisible()

        # the server refuses to hang up a call still ringing: a refusal in words
        await refused(bridge.hangup, "Hang up: Not possible in the present state")
        console.answer_button.click()  # a successful answer clears it
        await until(lambda: "Talking" in console.call_state.text())
        await until(lambda: not console.message.isVisible())

        await refused(bridge.ready, "Ready: Not possible in the present state")
        console.hangup_button.click()  # hang-up clears it
        await until(lambda: not console.message.isVisible())
        await until(lambda: bridge.state.current is None)
        assert console.call_state.text() == "Inbound · Ended · Answered"
        assert not console.answer_button.isEnabled()
    desk.run(scenario())


def test_a_bug_in_a_command_goes_to_the_crash_dialog_not_the_agent(desk, monkeypatch):
    async def scenario():
        import sys

        w, feature, _ = desk()
        bridge, console = feature.bridge, feature.console
        await until(lambda: bridge.connected, 20)
        crashes, failed = [], []
        monkeypatch.setattr(sys, "excepthook", lambda *exc: crashes.append(exc))
        bridge.command_failed.connect(lambda *a: failed.append(a))

        async def buggy():
            raise KeyError("a bug")
        monkeypatch.setattr(bridge.client, "ready", buggy)
        bridge.ready()
        await until(lambda: crashes)
        assert crashes[0][0] is KeyError and failed == []
        assert not console.message.isVisible()
    desk.run(scenario())


def test_tls_pins_the_server_at_first_use_and_warns_when_it_changes(desk, call_world, tmp_path):
    """A real agent-ctid over TLS (the embedded one runs plaintext): the desk trusts its
    certificate at the first connection, keeps the pin and says so; a pin that does not
    match is refused with the warning in the console, and the pin is left as it was."""
    from agent_app.config import WorkstationSettings
    from agent_app.cti.tls import make_certificate
    from tests.cti.ctidproc import Ctid

    cert = make_certificate(tmp_path / "tls", ["127.0.0.1"])
    server = Ctid(call_world.db.url, tmp_path / "ctid", "--tls-cert", str(cert.cert),
                  "--tls-key", str(cert.key))
    port = server.start()
    other = "AA:" * 31 + "AA"

    async def scenario():
        w, feature, _ = desk()
        bridge, console = feature.bridge, feature.console
        await until(lambda: bridge.connected, 20)
        assert "Plaintext" in console.link_light.toolTip()  # the embedded demo server
        bridge.disconnect_link()
        s = bridge.ctx.settings
        s.cti_port, s.cti_plaintext = port, False
        bridge.connect_link()
        await until(lambda: bridge.connected, 20)
        assert s.cti_pin == cert.fingerprint == WorkstationSettings.load().cti_pin
        assert cert.fingerprint in console.link_light.toolTip()
        assert any(cert.fingerprint in label.text() for label in w.findChildren(QLabel)
                   if label.isVisible())  # the notice
        bridge.disconnect_link()
        s.cti_pin = other
        bridge.connect_link()
        await until(lambda: bridge.detail == "tls_pin_changed", 20)
        said = console.message.text()
        assert console.message.isVisible() and "CHANGED" in said
        assert cert.fingerprint in said and other in said
        assert not bridge.connected and s.cti_pin == other
        assert WorkstationSettings.load().cti_pin == cert.fingerprint  # not overwritten
    try:
        desk.run(scenario())
    finally:
        server.terminate()


def test_a_locked_account_is_told_in_words(desk, call_world):
    """The CTI server refuses a locked account (the desk's lock-out, shared): the console
    says so, not a code."""
    import datetime as dt

    from sqlalchemy import update

    from db.models import Employee

    async def scenario():
        w, feature, _ = desk()
        await until(lambda: feature.bridge.connected, 20)
        feature.bridge.disconnect_link()
        await until(lambda: not feature.bridge._tasks)
        with call_world.db.transaction() as s:
            s.execute(update(Employee).where(Employee.login == "1001").values(
                locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)))
        feature.bridge.connect_link()
        console = feature.console
        await until(lambda: feature.bridge.detail == "account_locked", 20)
        assert console.message.text() == ("Link: the account is locked after repeated failed "
                                          "logins; try again later")
    desk.run(scenario())
