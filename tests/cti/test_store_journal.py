"""A finished call's record survives a database outage: journalled, then replayed."""
from __future__ import annotations

import time

from sqlalchemy import select

from agent_app.cti.main import main as ctid_main
from agent_app.cti.store import Store
from db.engine import Database
from db.models import CallRecord


def test_journal_then_replay(database, tmp_path):
    journal = tmp_path / "journal.jsonl"
    down = Store(Database.open("mysql+pymysql://root@127.0.0.1:9/nowhere"), journal)
    down.start()
    rec = {"call_id": "C1", "direction": "in", "caller": "13800138000", "dialed": "4006000000",
           "seat": "8001", "agent_login": "1001", "group_number": "21",
           "queued_at": time.time() - 60, "answered_at": time.time() - 50,
           "ended_at": time.time(), "end_cause": "answered", "talk_s": 50.0}
    down.call_ended(rec)
    down.flush()
    down.stop()
    down.db.dispose()
    assert journal.exists() and "C1" in journal.read_text()
    up = Store(database, journal)  # the server restarts with the database back
    up.start()
    up.flush()
    up.stop()
    assert not journal.exists()
    with database.reading() as s:
        row = s.scalar(select(CallRecord).where(CallRecord.call_id == "C1"))
        assert (row.agent_login, row.end_cause, row.talk_s) == ("1001", "answered", 50.0)


def test_ctid_refuses_a_database_without_schema(tmp_path, capsys):
    assert ctid_main(["--db", f"sqlite:///{tmp_path / 'empty.sqlite3'}"]) == 2
    assert "init-db" in capsys.readouterr().err
    assert ctid_main(["--db", "sqlite:///x", "--tls-cert", "only-one.pem"]) == 2
