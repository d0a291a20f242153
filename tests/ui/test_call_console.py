"""The call console against a real agent-ctid on loopback, in a real window (offscreen):
connect and log in, ready/busy, a call pops the caller's record, answer → talking →
hang up → today's list; an unknown number opens a new-customer form with its region."""
from __future__ import annotations

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
        from agent_app.services.contacts import ContactService

        w, feature, sales = desk()
        console = feature.console
        await logged_in_ready(feature)
        ctid.inbound(KNOWN_MOBILE)
        await until(lambda: "show_bundle" in sales.names(), 20)
        name, (bundle,), kw = sales.calls[0]
        assert bundle.customer.id == call_world.customer_id
        assert kw["call"]["caller"] == KNOWN_MOBILE
        assert sales.banner.startswith(f"Call {KNOWN_MOBILE} → {HOTLINE}")
        assert "group 21" in sales.banner and "江苏卫视" in sales.banner and "护眼仪" in sales.banner
        assert feature.pop.pop_latencies_ms and feature.pop.pop_latencies_ms[0] < 2000
        assert console.caller.text() == KNOWN_MOBILE and console.dialed.text() == HOTLINE
        assert console.answer_button.isEnabled() and not console.hangup_button.isEnabled()

        feature.shortcuts["F2"].activated.emit()  # F2 answers
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
        assert row.caller == KNOWN_MOBILE and row.customer_name == "张三"
        assert console.today_model.index(0, 0).data() == "Inbound"
        assert console.today_model.index(0, 5).data() == "Answered"

        await feature.pop.drain()
        contacts = ContactService(call_world.db).for_customer(call_world.customer_id)
        assert [c.call_id for c in contacts] == [row.call_id]
        assert contacts[0].content == "想要两台, 下周再来电" and contacts[0].channel == "call_in"
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
    from ui.call import install

    ctx = call_ctx()
    ctx.credentials = None
    w = MainWindow(ctx, database_label="test", install_features=False)
    qtbot.addWidget(w)
    feature = install(w, ctx)
    w.show()
    feature.console.toggle_link()
    assert feature.bridge.client is None
    assert feature.bridge.detail == "no credentials"
    assert "no credentials" in feature.console.message.text()


def test_a_call_ending_while_its_lookup_runs_is_still_logged(desk, ctid, call_world,
                                                             monkeypatch):
    """The caller hangs up (早释) while the screen-pop lookup is still on the worker: once
    the lookup is back, the call is written on the customer's contacts all the same."""
    import threading

    from agent_app.services.calls import CallService
    from agent_app.services.contacts import ContactService

    real = CallService.pop_context
    release = threading.Event()

    def slow(self, *args, **kwargs):
        assert release.wait(30), "the test never released the lookup"
        return real(self, *args, **kwargs)
    monkeypatch.setattr(CallService, "pop_context", slow)

    async def scenario():
        w, feature, sales = desk()
        await logged_in_ready(feature)
        ended = []
        feature.bridge.call_ended.connect(lambda ev: ended.append(ev))
        ctid.inbound(KNOWN_MOBILE, hangup_after_s=0.3)
        await until(lambda: ended, 20)
        assert "show_bundle" not in sales.names()  # the lookup is still running
        release.set()
        await until(lambda: "show_bundle" in sales.names(), 20)
        call_id = ended[0]["call"]["call_id"]
        await until(lambda: any(c.call_id == call_id for c in ContactService(
            call_world.db).for_customer(call_world.customer_id)), 20)
    desk.run(scenario())
