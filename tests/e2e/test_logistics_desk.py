"""The logistics clerk at the real program: `agent-admin demo-data` makes the site, clerk
3001 logs into `agent-app` (its own process and X display) through the real login dialog,
opens 出库目录 and 出库反馈 from the 物流管理 menu, scans a parcel in transit (the number
and Enter, then Enter), accepts the batch after the one question, and the database says
the parcel was fed back by 3001. On SQLite and MariaDB."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import DispatchFeedback, SalesOrder
from tests.e2e.desk import Desk, run_admin, until

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def demo_url(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'site.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("mysql_url"))
    run_admin("demo-data", "--url", url)
    return url


def test_a_clerk_feeds_back_a_parcel_at_the_real_desk(demo_url, tmp_path):
    db = Database.open(demo_url)
    try:
        with db.reading() as s:
            order_no, oid = s.execute(
                select(SalesOrder.order_no, SalesOrder.id)
                .where(SalesOrder.status == "in_transit")
                .order_by(SalesOrder.id.desc()).limit(1)).one()
    finally:
        db.dispose()
    desk = Desk(tmp_path / "desk", settings={"data_source": demo_url, "seat": "",
                                             "groups": [], "cti_port": 9}).start()
    try:
        desk.login("3001", "demo3001")
        desk.wait_log(r"main window shown for 3001\b", 60)
        desk.drive("trigger", name="act_logistics_catalog")
        until(lambda: desk.drive("table", name="dispatchRows")["rows"], 30, "出库目录's rows")
        desk.drive("trigger", name="act_logistics_feedback")
        desk.wait_widget("feedbackRef")
        desk.drive("type", name="feedbackRef", text=order_no)
        desk.drive("key", name="feedbackRef", key="Return")          # the scanner's Enter
        until(lambda: order_no in desk.drive("text", name="parcelSummary"), 30,
              "the parcel's summary")
        desk.drive("key", name="feedbackRef", key="Return")          # into the batch
        until(lambda: len(desk.drive("table", name="feedbackBatch")["rows"]) == 1, 30,
              "the batch line")
        desk.drive("click", name="acceptBatch")
        desk.wait_widget("confirmFeedback")
        desk.drive("click_button", name="confirmFeedback", button="Yes")
        until(lambda: "已受理 1 件" in desk.drive("text", name="feedbackStatus"), 30,
              "受理 done")
        assert desk.alive()
    finally:
        code = desk.stop()
    assert code == 0, desk.log()[-3000:]
    db = Database.open(demo_url)
    try:
        with db.reading() as s:
            o = s.get(SalesOrder, oid)
            fb = s.scalar(select(DispatchFeedback).where(DispatchFeedback.order_id == oid))
            assert (o.status, o.feedback_state) == ("accepted", "accepted")
            assert (fb.result, fb.actor_login) == ("delivered", "3001")
    finally:
        db.dispose()
