"""Start-up checks: each database problem gets a message saying what to do, changes
nothing, and the shell offers settings / retry / quit instead of a traceback."""
from __future__ import annotations

import argparse
import sqlite3

import pytest
from sqlalchemy import text

from agent_app.dbcheck import open_checked, probe
from agent_app.errors import DatabaseUnavailable, SchemaMismatch, ValidationError
from db.engine import Database
from db.migrate import upgrade
from ui.errors import error_text


def test_missing_sqlite_file_is_not_created(tmp_path):
    path = tmp_path / "nope.sqlite3"
    with pytest.raises(ValidationError) as e:
        open_checked(f"sqlite:///{path}")
    assert e.value.field == "data_source" and str(path) in error_text(e.value)
    assert not path.exists()


def test_not_a_url(tmp_path):
    with pytest.raises(ValidationError) as e:
        open_checked("postgresql+nosuchdriver://x/y")
    assert e.value.field == "data_source"


def test_empty_older_and_newer_schemas_say_what_to_do(tmp_path):
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()
    with pytest.raises(SchemaMismatch) as e:
        open_checked(f"sqlite:///{path}")
    assert "agent-admin init-db" in error_text(e.value)
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    upgrade(url)
    db = Database.open(url)
    with db.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    db.dispose()
    with pytest.raises(SchemaMismatch) as e:
        open_checked(url)
    assert "newer version" in error_text(e.value)


def test_current_schema_passes(sqlite_db):
    assert probe(sqlite_db.url).startswith("sqlite")


@pytest.mark.mysql
def test_mysql_empty_and_unreachable(mysql_url):
    with pytest.raises(SchemaMismatch) as e:
        open_checked(mysql_url)
    assert "empty" in error_text(e.value)
    with pytest.raises(DatabaseUnavailable) as e:
        open_checked("mysql+pymysql://root@127.0.0.1:1/agent_x")
    assert "Cannot reach the database" in error_text(e.value)


def test_shell_offers_settings_then_quits_without_traceback(qapp, aloop, tmp_path,
                                                            monkeypatch):
    from agent_app.config import WorkstationSettings
    from ui.shell import Shell

    args = argparse.Namespace(demo=False, screenshot=None, size=(800, 600), lang=None)
    settings = WorkstationSettings(data_source=f"sqlite:///{tmp_path / 'gone.sqlite3'}")
    shell = Shell(qapp, args, settings, reporter=None)
    shown: list[str] = []
    answers = iter(["retry", "settings", "quit"])

    async def fake_problem(text):
        shown.append(text)
        return next(answers)

    async def fake_settings():
        settings.data_source = f"sqlite:///{tmp_path / 'still-gone.sqlite3'}"
        return True

    monkeypatch.setattr(shell, "_db_problem", fake_problem)
    monkeypatch.setattr(shell, "open_settings", fake_settings)
    try:
        db = aloop.run_until_complete(shell._open_database(settings.database_url()))
    finally:
        shell.runner.shutdown()
    assert db is None
    assert len(shown) == 3 and "gone.sqlite3" in shown[0] and "still-gone.sqlite3" in shown[2]
