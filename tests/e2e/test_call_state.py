"""Acceptance: a call that rings out unanswered is not shown as ringing.

The site as the README sets it up (MariaDB, `agent-admin`), the group's ring timeout made
short with `agent-admin cti group set 21 --ring-timeout 2` (agent-ctid re-reads its groups
within seconds), `agent-ctid` and one `agent-app` as processes, logged in through the real
dialogs. The agent goes ready (F4), a call rings and nobody answers. The console then says
置忙 · 未接 in words, the call box says the call ended unanswered, Answer is disabled, and
there is no error line; F2 then does nothing (no request, no error line).
"""
from __future__ import annotations

import json

import pytest

from agent_app.phones import mask_phone
from tests.e2e.desk import Ctid, run_admin, until
from tests.e2e.site import install_site
from tests.e2e.test_site_acceptance import first_login, main_title, sim_call

pytestmark = [pytest.mark.e2e, pytest.mark.mysql]

RING_TIMEOUT_S = 2


def test_a_call_that_rings_out_shows_no_ringing_call(mysql_url, tmp_path):
    site = install_site(mysql_url, tmp_path)
    run_admin("cti", "group", "set", "21", "--url", site.url,
              "--ring-timeout", str(RING_TIMEOUT_S), "--wrapup", "0")
    a = site.people["a"]
    ctid = Ctid(site.ctid_url, tmp_path / "ctid").start()
    desk = site.desk("a", cti_port=ctid.port)
    try:
        desk.start()
        first_login(desk, a)
        desk.wait_log(rf"main window shown for {a.login}\b", 60)
        desk.wait_log(rf"CTI agent {a.login}: busy", 60)
        # over TLS: the desk trusted agent-ctid's certificate at this first connection
        # and kept its fingerprint in the workstation settings
        settings = json.loads((desk.home / "workstation.json").read_text(encoding="utf-8"))
        assert settings["cti_pin"] == ctid.fingerprint != ""
        desk.focus_window(main_title(a))
        desk.keys("F4")
        desk.wait_log(rf"CTI agent {a.login}: ready", 30)

        call_id = sim_call(ctid, site.customer_phone)
        desk.wait_log(rf"CTI call_ringing {call_id}", 30)
        until(lambda: desk.drive("enabled", name="answerButton"), 30, "Answer while ringing")
        assert desk.drive("text", name="callState") == "呼入 · 振铃"

        # nobody answers: after the ring timeout the server takes the call back
        desk.wait_log(rf"CTI agent {a.login}: busy no_answer", 60)
        until(lambda: desk.drive("text", name="stateLightText") == "置忙 · 未接", 30,
              "the state in words")
        assert desk.drive("text", name="callState") == "呼入 · 已结束 · 无人接听"
        # the operator has no 查看完整号码: the caller shown masked
        assert desk.drive("text", name="callCaller") == mask_phone(site.customer_phone)
        assert not desk.drive("enabled", name="answerButton")
        assert not desk.drive("exists", name="consoleMessage")  # no (stale) error line
        desk.screenshot(tmp_path / "rang-out.png")

        # F2 with nothing ringing does nothing; F4 after it proves the keys were handled
        desk.focus_window(main_title(a))
        desk.keys("F2", "F4")
        until(lambda: desk.drive("text", name="stateLightText") == "空闲", 30, "ready again")
        assert "CTI answer" not in desk.log()
        assert not desk.drive("exists", name="consoleMessage")
    finally:
        code = desk.stop()
        ctid.stop()
    assert code == 0, desk.log()[-3000:]
