from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from agent_app.cli.identity import SHELL
from agent_app.services.accounts import AccountService
from db.enums import Permission, Role
from db.models import CtiGroup, DialedNumber, Medium, Placement, Variety

PASSWORD = "secret99"
AGENTS = [("1001", "李娜"), ("1002", "张伟"), ("1003", "刘芳"), ("2001", "周敏")]


@pytest.fixture
def cti_db(database):
    """Employees and fast-moving group settings for socket tests."""
    accounts = AccountService(database)
    accounts.add_employee(SHELL, login="0002", name="赵敏", role=Role.ADMIN, password=PASSWORD,
                          permissions={Permission.MONITOR, Permission.BROADCAST},
                          must_change_password=False)
    for login, name in AGENTS:
        accounts.add_employee(SHELL, login=login, name=name, role=Role.OPERATOR,
                              password=PASSWORD, must_change_password=False)
    with database.transaction() as s:
        s.execute(update(CtiGroup).values(ring_timeout_s=1, wrapup_s=0))
        s.execute(update(CtiGroup).where(CtiGroup.number == "21").values(max_queue=1))
        # the hotline advertises on a medium whose advert started a minute ago (site time)
        medium = Medium(type="电视", name="江苏卫视", updated_by_login="t")
        variety = Variety(name="眼保姆", updated_by_login="t")
        s.add_all([medium, variety])
        s.flush()
        local = dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(minutes=1)
        s.add(Placement(medium_id=medium.id, variety_id=variety.id, air_date=local.date(),
                        start_time=local.time().replace(microsecond=0), length_s=180,
                        updated_by_login="t"))
        s.add(DialedNumber(digits="4006000000", group_number="21", medium_id=medium.id,
                           updated_by_login="t"))
    return database


@pytest.fixture
def run_server(cti_db, tmp_path):
    """run_server(scenario) runs `await scenario(server)` against a fresh CtiServer."""
    from agent_app.cti.server import CtiServer, ServerOptions

    def run(scenario, **opts):
        async def main():
            server = CtiServer(cti_db.url, ServerOptions(
                port=0, recordings=Path(tmp_path / "rec"), grace_s=opts.pop("grace_s", 1.0),
                heartbeat_s=opts.pop("heartbeat_s", 15), outcome_delay=(0.05, 0.1), **opts))
            await server.start()
            try:
                return await asyncio.wait_for(scenario(server), 60)
            finally:
                await server.stop()
        return asyncio.run(main())
    return run
