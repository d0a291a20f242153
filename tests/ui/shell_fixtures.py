"""Fixtures for the desktop-shell UI tests: a qasync loop per test, an in-memory keyring,
and a seeded SQLite database with a super administrator (UI tests run on SQLite only;
the services under them are tested on both back ends)."""
from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable

import keyring
import keyring.backend
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A stub backend: tests must never touch the real OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(before)


@pytest.fixture
def aloop(qapp):
    """Run a scenario coroutine on a qasync loop (asyncSlots need a running loop)."""
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    loop.close()


async def until(pred: Callable[[], object], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@pytest.fixture
def sqlite_db(_schema_sqlite, tmp_path):
    from db.engine import Database
    from db.seed import seed_reference_data

    path = tmp_path / "ui.sqlite3"
    shutil.copy(_schema_sqlite, path)
    url = f"sqlite:///{path}"
    seed_reference_data(url)
    db = Database.open(url)
    yield db
    db.dispose()


@pytest.fixture
def accounts(sqlite_db):
    from agent_app.services.accounts import AccountService
    from db.enums import Role

    svc = AccountService(sqlite_db)
    svc.add_employee(None, login="0001", name="王明辉", role=Role.SUPERADMIN,
                     password="admin123", department="直销部", must_change_password=False)
    svc.add_employee(None, login="1001", name="李娜", role=Role.OPERATOR,
                     password="pass1234", department="直销部", must_change_password=False)
    return svc


@pytest.fixture
def runner():
    from ui.worker import DbRunner

    r = DbRunner(max_workers=2)
    yield r
    r.shutdown()


@pytest.fixture
def make_ctx(sqlite_db, accounts, runner):
    from agent_app.config import WorkstationSettings
    from ui.context import AppContext, Services

    def make(login="0001", password="admin123"):
        actor = accounts.authenticate(login, password).actor
        return AppContext(actor=actor, settings=WorkstationSettings(), runner=runner,
                          services=Services(sqlite_db))
    return make


__all__ = ["accounts", "aloop", "make_ctx", "memory_keyring", "runner", "sqlite_db"]
