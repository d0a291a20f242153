"""The link surviving a server restart, function keys, 未接来电 / 未接分配 and call back,
集团电话, and the supervisor's 监控 with a broadcast — against a real agent-ctid."""
from __future__ import annotations

import asyncio
import re

from PySide6.QtCore import Qt

from tests.ui.calls import KNOWN_MOBILE, logged_in_ready, until


def test_server_killed_and_restarted_is_survived_without_user_action(desk, ctid):
    async def scenario():
        w, feature, sales = desk()
        bridge, console = feature.bridge, feature.console
        seen: list[str] = []
        bridge.status_changed.connect(lambda status, _detail: seen.append(status))
        await logged_in_ready(feature)
        await asyncio.to_thread(ctid.stop)  # kill the server (its own loop and thread)
        await until(lambda: not bridge.connected, 20)
        assert console.link_light.text.text() != "Link: Connected"
        assert console.login_light.text.text() == "Not logged in"
        assert not console.ready_button.isEnabled()
        await asyncio.to_thread(ctid.start)  # same port; nobody touches the desk
        await until(lambda: bridge.connected, 20)
        assert "disconnected" in seen and seen[-1] == "logged_in"
        assert seen.index("disconnected") < len(seen) - 1
        assert console.login_light.text.text() == "Logged in"
        # and calls pop again on the new server
        bridge.ready()
        await until(lambda: (bridge.agent or {}).get("state") == "ready")
        ctid.inbound(KNOWN_MOBILE)
        await until(lambda: "show_bundle" in sales.names(), 20)
    desk.run(scenario())


def test_function_keys_on_the_main_window(desk, qtbot):
    async def scenario():
        w, feature, _ = desk()
        bridge = feature.bridge
        await until(lambda: bridge.connected, 20)
        w.activateWindow()
        qtbot.keyClick(w, Qt.Key.Key_F4)
        await until(lambda: (bridge.agent or {}).get("state") == "ready")
        feature.console.reason.setCurrentIndex(2)
        qtbot.keyClick(w, Qt.Key.Key_F5)
        await until(lambda: (bridge.agent or {}).get("state") == "busy")
        assert bridge.agent["reason"] == "Meeting"
        for key in ("F2", "F3", "F4", "F5"):
            assert feature.shortcuts[key].context() == Qt.ShortcutContext.WindowShortcut
    desk.run(scenario())


def test_missed_call_allocated_then_called_back(desk, ctid):
    async def scenario():
        # nobody is ready: the caller waits in the queue and hangs up (早释)
        admin_w, admin, _ = desk("0001", "admin123", seat="8009")
        await until(lambda: admin.bridge.connected, 20)
        ctid.inbound("13900001115", hangup_after_s=0.2)
        panel = admin.open_panel("missed")
        assert panel.scope.isVisibleTo(panel) and panel.allocate_button.isVisibleTo(panel)

        async def wait_for_record():  # the server writes the call record a moment later
            for _ in range(100):
                await panel.refresh()
                if panel.model.rows:
                    return
                await asyncio.sleep(0.1)
        await wait_for_record()
        missed = panel.model.rows[0]
        assert missed.caller == "13900001115" and missed.end_cause == "abandoned"
        await until(lambda: panel.agent.count() > 1)
        panel.agent.setCurrentIndex(panel.agent.findData("1001"))
        panel.model.set_all(True)
        assert await panel.allocate() == 1
        assert re.fullmatch(r"1 call(\(s\))? allocated to 1001\.", panel.status.text())
        assert panel.model.rows[0].assigned_to_login == "1001"

        w, feature, sales = desk()  # the operator sees the calls allocated to them
        await until(lambda: feature.bridge.connected, 20)
        mine = feature.open_panel("missed")
        assert not mine.allocate_button.isVisibleTo(mine)
        await until(lambda: mine.model.rowCount() == 1)
        mine.view.selectRow(0)
        mine.call_back()
        await until(lambda: (feature.bridge.call or {}).get("dialed") == "13900001115", 20)
        await until(lambda: mine.model.rowCount() == 0, 20)  # handled
        assert feature.console.caller.text() == ""  # an outbound call: our caller id
        assert feature.console.dialed.text() == "13900001115"
        # the far end answers (the simulated switch, after 1-3 s): the outbound call pops
        await until(lambda: {"show_bundle", "new_customer"} & set(sales.names()), 20)
        assert sales.banner.startswith("Outbound call 13900001115")
    desk.run(scenario())


def test_internal_numbers_added_edited_and_deleted(desk):
    async def scenario():
        from agent_app.services.calls import CallService

        w, feature, _ = desk("0001", "admin123", seat="8009")
        panel = feature.open_panel("internal")
        await until(lambda: panel.loaded)
        panel.new()
        panel.digits.setText("057188001234")
        panel.note.setText("总部前台")
        await panel.save()
        assert panel.model.rowCount() == 1 and panel.status.text() == "Saved 057188001234."
        panel.view.selectRow(0)
        panel.note.setText("总部前台 (2 楼)")
        await panel.save()
        svc = CallService(feature.ctx.services.db)
        assert [(n.digits, n.note) for n in svc.list_internal()] == [("057188001234",
                                                                      "总部前台 (2 楼)")]
        panel.new()
        panel.digits.setText("057188001234")  # the same number twice: refused, shown
        await panel.save()
        assert panel.status.text() and panel.model.rowCount() == 1
        panel.view.selectRow(0)
        await panel.delete()
        assert panel.model.rowCount() == 0 and svc.list_internal() == []
    desk.run(scenario())


def test_operator_sees_internal_numbers_read_only_and_no_monitoring(desk):
    async def scenario():
        w, feature, _ = desk()
        assert "supervisor" not in feature.actions
        panel = feature.open_panel("internal")
        assert not panel.save_button.isVisibleTo(panel) and panel.digits.isReadOnly()
        await until(lambda: panel.loaded)
    desk.run(scenario())


def test_supervisor_monitors_the_floor_and_broadcasts(desk):
    async def scenario():
        sup_w, sup, _ = desk("0001", "admin123", seat="8009")
        w, agent, _ = desk()
        await until(lambda: sup.bridge.connected and agent.bridge.connected, 20)
        panel = sup.open_panel("supervisor")

        def states():
            return {r.user: r.state for r in panel.agent_model.rows}
        await until(lambda: states().get("1001") == "busy", 20)
        agent.bridge.ready()
        await until(lambda: states().get("1001") == "ready", 20)
        assert panel.agent_model.index(
            [r.user for r in panel.agent_model.rows].index("1001"), 3).data() == "Ready"
        await until(lambda: "21" in panel.groups, 20)
        assert panel.groups["21"].ready >= 1
        panel.broadcast_text.setText("午饭时间到了")
        panel.send_broadcast()
        await until(lambda: any(
            "午饭时间到了" in t.text() for t in w.toaster.visible), 20)
        toast = next(t for t in w.toaster.visible if "午饭时间到了" in t.text())
        assert toast.text() == "Message from 0001: 午饭时间到了"
    desk.run(scenario())


def test_demo_toolbar_asks_the_built_in_server_for_a_call(desk, ctid):
    async def scenario():
        w, feature, sales = desk(demo_server=ctid.embedded)
        act = feature.actions["demo_call"]
        assert act in w.toolbar().actions() and act.text() == "Place a demo call"
        # the demo's first login goes ready by itself, and says so in a notice
        await until(lambda: (feature.bridge.agent or {}).get("state") == "ready", 20)
        assert any("ready for calls" in t.text() for t in w.toaster.visible)
        act.trigger()
        await until(lambda: feature.pop.pop_latencies_ms, 20)
        assert (feature.bridge.call or {}).get("state") == "ringing"
        assert sales.names()[0] in ("show_bundle", "new_customer")
    desk.run(scenario())


def test_no_demo_action_outside_the_demo(desk):
    async def scenario():
        w, feature, _ = desk()
        assert "demo_call" not in feature.actions
        states = []
        feature.bridge.agent_changed.connect(lambda agent: states.append(agent.get("state")))
        await until(lambda: feature.bridge.connected)
        await until(lambda: not feature.bridge._tasks)   # the desk's own commands are sent
        try:   # a reply: the server has handled every earlier command of this link
            await feature.bridge.client.monitor()
        except Exception:  # noqa: BLE001, S110 - a refusal is a reply as well
            pass
        assert "ready" not in states
        assert (feature.bridge.agent or {}).get("state") == "busy"  # 置忙 until the agent says
    desk.run(scenario())
