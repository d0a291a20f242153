"""End to end: the real main window (both feature areas, ui.sales and ui.call, installed as
the application installs them) against the real agent-ctid on loopback, offscreen.

A known customer calls: the record pops, the agent answers, takes notes, hangs up; the
call is in today's list, in the customer's contact log with the notes and, once recorded,
the recording; the recording plays for the call's length. An unknown number opens a new
customer form with the region filled in; registering the caller links the call. The
server is killed and restarted; the desk logs in again by itself and takes the next call.
"""
from __future__ import annotations

import asyncio

import pytest

from agent_app.phones import mask_phone
from tests.ui.calls import (
    HOTLINE,
    KNOWN_MOBILE,
    MULTIMEDIA_NOISE,
    UNKNOWN_LANDLINE,
    close_windows,
    until,
)

pytestmark = pytest.mark.qt_log_ignore(*MULTIMEDIA_NOISE)


@pytest.fixture
def app_window(call_ctx, aloop, qtbot):
    """Builds the main window exactly as the shell does (features by import, on the running
    loop); the test runs as one coroutine, so no task ever steps outside the loop."""
    from ui.main_window import MainWindow

    made = []

    def build():
        w = MainWindow(call_ctx(), database_label="e2e")
        w.resize(1366, 768)
        w.show()
        made.append(w)
        return w
    build.made = made
    yield build
    close_windows(made)
    qtbot.wait(10)


def test_calls_end_to_end(app_window, aloop, ctid, call_world):
    async def main():  # one coroutine, the links closed inside it (see tests/ui/calls.py)
        try:
            await asyncio.wait_for(scenario(app_window, ctid, call_world), 120)
        finally:
            for w in app_window.made:
                await w.features["call"].aclose()
            await asyncio.sleep(0.1)
    aloop.run_until_complete(main())


async def scenario(build, ctid, call_world):
    from sqlalchemy import select

    from agent_app.services.calls import CallService
    from agent_app.services.contacts import ContactService
    from db.models import CallRecord

    w = build()
    call, sales = w.features["call"], w.features["sales"]
    assert type(sales).__name__ == "SalesFeature"  # the real one, not a stand-in
    assert w.ctx.cti is call.bridge
    bridge, console, record = call.bridge, call.console, sales.record
    await until(lambda: bridge.connected, 20)  # connected by itself
    await until(lambda: record.choices_ready, 20)
    console.ready_button.click()
    await until(lambda: (bridge.agent or {}).get("state") == "ready")

    # 1. a known customer: the record pops with the banner
    recorded: list[dict] = []
    bridge.recording_ready.connect(recorded.append)
    ctid.inbound(KNOWN_MOBILE, talk_s=30)
    await until(lambda: call.pop.pop_latencies_ms, 20)
    assert record.customer_id == call_world.customer_id
    assert record.isVisible() and record.banner.isVisible()
    # 1001 has no 查看完整号码: the banner shows the caller masked
    assert record.banner.text().startswith(f"Call {mask_phone(KNOWN_MOBILE)} → {HOTLINE}")
    assert record.profile.edits["name"].text() == "张三"
    assert call.pop.pop_latencies_ms[0] < 500
    console.answer_button.click()
    await until(lambda: "Talking" in console.call_state.text())
    console.notes.setPlainText("要两台, 下周送货")
    await asyncio.sleep(1.2)  # a short talk, so the recording has length
    console.hangup_button.click()
    await until(lambda: recorded, 20)
    await until(lambda: any(r.recording_id for r in console.today_model.rows), 20)
    today = console.today_model.rows[0]
    assert today.caller == mask_phone(KNOWN_MOBILE) and today.customer_name == "张三"
    await call.pop.drain()
    contacts = ContactService(call_world.db).for_customer(call_world.customer_id)
    assert len(contacts) == 1
    c = contacts[0]
    assert (c.call_id, c.content, c.recording_id) == (today.call_id, "要两台, 下周送货",
                                                      recorded[0]["recording_id"])
    assert c.duration_s == round(today.talk_s)

    # the recording plays for the call's length
    query = call.open_panel("query")
    await query.search()
    query.view.selectRow(0)
    await query.play_current()
    await until(lambda: query.player.player.duration() > 0, 20)
    assert abs(query.player.player.duration() - today.talk_s * 1000) < 100
    assert today.talk_s > 1

    # 2. an unknown number: a new-customer form with the region; registering links it
    ctid.inbound(UNKNOWN_LANDLINE, talk_s=30)
    await until(lambda: len(call.pop.pop_latencies_ms) == 2, 20)
    assert record.customer_id is None
    assert record.profile.edits["landline"].text() == mask_phone(UNKNOWN_LANDLINE)
    assert record.profile.region.currentData() == call_world.region_id
    console.answer_button.click()
    await until(lambda: "Talking" in console.call_state.text())
    call_id = bridge.call["call_id"]
    record.profile.edits["name"].setText("李四")
    await record.save()
    new_id = record.customer_id
    assert new_id is not None
    await call.pop.drain()
    console.notes.setPlainText("新客户, 想了解护眼仪")  # a call without notes writes no contact
    console.hangup_button.click()
    await until(lambda: bridge.call is None, 20)
    await call.pop.drain()
    svc = CallService(call_world.db)
    rows = [r for r in svc.today(w.ctx.actor) if r.call_id == call_id]
    assert rows and rows[0].customer_id == new_id and rows[0].customer_name == "李四"
    with call_world.db.reading() as s:  # linked explicitly, not only through the phone
        assert s.scalar(select(CallRecord.customer_id)
                        .where(CallRecord.call_id == call_id)) == new_id
    assert [x.call_id for x in ContactService(call_world.db).for_customer(new_id)] == [call_id]

    # 3. the server dies and comes back: the desk logs in again with no one touching it
    seen: list[str] = []
    bridge.status_changed.connect(lambda s, _d: seen.append(s))
    await asyncio.to_thread(ctid.stop)  # its own loop and thread; not on this loop
    await until(lambda: not bridge.connected, 20)
    assert console.login_light.text.text() == "Not logged in"
    await asyncio.to_thread(ctid.start)
    await until(lambda: bridge.connected, 20)
    assert "disconnected" in seen and seen[-1] == "logged_in"
    bridge.ready()
    await until(lambda: (bridge.agent or {}).get("state") == "ready")
    ctid.inbound(KNOWN_MOBILE)
    await until(lambda: len(call.pop.pop_latencies_ms) == 3, 20)
    assert record.customer_id == call_world.customer_id
