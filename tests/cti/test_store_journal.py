"""The write-ahead journal and the Store's recovery: records survive a database outage and
a restart; a torn or corrupt journal line is skipped with a log line, never a crash."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import time

import pytest
from sqlalchemy import select

from agent_app.cti.journal import Journal
from agent_app.cti.main import main as ctid_main
from agent_app.cti.store import Store
from db.engine import Database
from db.models import CallRecord
from tests.cti.wire import Wire

T0 = time.time() - 60
START = {"call_id": "C1", "direction": "in", "caller": "13800138000", "dialed": "4006000000",
         "seat": "8001", "agent_login": "1001", "group_number": "21", "queued_at": T0,
         "offered_at": T0 + 2, "answered_at": None, "ended_at": None}


def _life(store: Store, body) -> None:
    """Run one server life of `store` (journal open, writer running) around body()."""
    async def main():
        store.start(asyncio.get_running_loop(), lambda: {"agents": [], "revoked": {}})
        body()
    asyncio.run(main())


def test_records_wait_in_the_journal_while_the_database_is_down(database, tmp_path):
    down = Store(Database.open("mysql+pymysql://root@127.0.0.1:9/nowhere"), tmp_path)

    def body():
        down.call(START)
        down.call({"call_id": "C1", "answered_at": T0 + 10, "ended_at": T0 + 60,
                   "end_cause": "answered", "talk_s": 50.0})
        down.flush()
        assert down.down  # retried later, nothing lost
    _life(down, body)
    down.stop()
    down.db.dispose()
    assert "C1" in "".join(p.read_text() for p in down.journal.segments())
    up = Store(database, tmp_path)  # the server restarts with the database back
    rec = up.recover()
    assert (rec.calls, rec.closed) == (1, [])
    with database.reading() as s:
        row = s.scalar(select(CallRecord).where(CallRecord.call_id == "C1"))
        assert (row.agent_login, row.end_cause, row.talk_s) == ("1001", "answered", 50.0)
    _life(up, lambda: None)
    up.stop()
    assert len(up.journal.segments()) == 1  # the applied ones are gone


def test_recovery_closes_calls_in_flight_at_the_last_moment_known(database, tmp_path, caplog):
    j = Journal(tmp_path / "journal", fsync=False)
    j.open(None, lambda: [{"k": "life", "started": T0 - 5}, {"k": "agents", "agents": []}])
    j.append("call", rec=START)
    j.append("call", rec={**START, "call_id": "C2", "answered_at": T0 + 5})
    j.append("agent", a={"user": "1001", "name": "李娜", "seat": "8001", "groups": ["21"],
                         "state": "talking", "reason": None, "since": T0, "call_id": "C2",
                         "busy_after": None})
    last = j.append("alive")
    assert last == 6
    j.close()
    path = j.segments()[-1]
    alive_t = json.loads(path.read_text().splitlines()[-1])["t"]
    with path.open("ab") as f:  # a write torn by the kill, and garbage from a power cut
        f.write(b'{"k":"call","rec":{"call_id":"C3","dire')
    with path.open("rb+") as f:
        lines = f.read().split(b"\n")
        lines.insert(3, b"\x00\x00\x00 not json")
        f.seek(0)
        f.write(b"\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="agent_ctid.journal"):
        rec = Store(database, tmp_path).recover()
    skipped = [r.getMessage() for r in caplog.records]
    assert any("torn last write" in m for m in skipped), skipped
    assert any("line 4 skipped" in m for m in skipped), skipped
    assert {c["call_id"] for c in rec.closed} == {"C1", "C2"}
    assert [a["user"] for a in rec.agents] == ["1001"]
    with database.reading() as s:
        rows = {r.call_id: r for r in s.scalars(select(CallRecord))}
        assert set(rows) == {"C1", "C2"}  # the torn C3 was never told to anyone
        for r in rows.values():
            assert r.end_cause == "server_stopped"
            assert abs(r.ended_at.timestamp() - alive_t) < 1.01  # DATETIME may drop the ms
        assert rows["C1"].answered_at is None and rows["C1"].talk_s == 0.0
        assert rows["C2"].answered_at is not None
        assert abs(rows["C2"].talk_s - (alive_t - (T0 + 5))) < 1.01
        first = {r.call_id: (r.ended_at, r.end_cause, r.talk_s) for r in rows.values()}
    # killed again before the old segments were dropped: the replay reopens the calls and
    # this recovery closes them again, the same way
    again = Store(database, tmp_path).recover()
    assert {c["call_id"] for c in again.closed} == {"C1", "C2"}
    with database.reading() as s:
        assert {r.call_id: (r.ended_at, r.end_cause, r.talk_s)
                for r in s.scalars(select(CallRecord))} == first


def test_an_idle_server_journal_rotates_too(database, tmp_path):
    store = Store(database, tmp_path, fsync=False, segment_bytes=400)

    def body():
        for _ in range(40):
            store.alive()
        store.flush()
    _life(store, body)
    store.stop()
    assert len(store.journal.segments()) == 1  # closed segments applied and deleted
    assert store.journal.segment > 3


def test_legacy_failed_write_journal_is_replayed(database, tmp_path):
    (tmp_path / "journal.jsonl").write_text(json.dumps({"kind": "end", "rec": {
        **START, "answered_at": T0 + 3, "ended_at": T0 + 30, "end_cause": "answered",
        "talk_s": 27.0}}) + "\n{broken\n", encoding="utf-8")
    rec = Store(database, tmp_path).recover()
    assert rec.calls == 1 and rec.closed == []
    assert not (tmp_path / "journal.jsonl").exists()


def test_ctid_refuses_a_database_without_schema(tmp_path, capsys):
    assert ctid_main(["--db", f"sqlite:///{tmp_path / 'empty.sqlite3'}", "--plaintext"]) == 2
    assert "init-db" in capsys.readouterr().err
    assert ctid_main(["--db", "sqlite:///x", "--tls-cert", "only-one.pem"]) == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_ctid_that_cannot_start_says_why(db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.setswitchinterval", lambda _s: None)  # not for the test run
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    assert ctid_main(["--db", db_url, "--plaintext", "--port", "0", "--data", str(blocker),
                      "--recordings", str(tmp_path / "rec")]) == 2
    assert "cannot use the data folder" in capsys.readouterr().err
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        assert ctid_main(["--db", db_url, "--plaintext", "--port", str(taken.getsockname()[1]),
                          "--data", str(tmp_path / "data"),
                          "--recordings", str(tmp_path / "rec")]) == 2
    finally:
        taken.close()
    assert "cannot start" in capsys.readouterr().err
    # what it journalled before giving up is still there for the next start
    assert list((tmp_path / "data" / "journal").glob("*.jsonl"))


def test_server_starts_over_a_damaged_journal(run_server, tmp_path, caplog):
    seg = tmp_path / "ctid-data" / "journal" / "000001.jsonl"  # beside tmp_path / "rec"
    seg.parent.mkdir(parents=True)
    seg.write_bytes(
        b'{"k":"life","t":1,"started":1}\n'
        b'{"k":"agents","t":1,"agents":[{"user":"1001"}]}\n'         # no seat: not restored
        b'{"k":"agent","t":1,"a":"not an agent"}\n'                  # skipped
        b'{"k":"call","t":2,"rec":{"call_id":"X1"}}\n'               # the database refuses it
        b'\x00\x01garbage\n'
        b'{"k":"call","t":3,"rec":{"call_id":"C9","dire')            # torn by the kill

    async def scenario(server):
        w = await Wire.connect(server.port)
        r = await w.login("1001", "secret99", "8001", ["21"])
        assert r["ok"] and r["resumed"] is False
        await w.close()
    with caplog.at_level(logging.INFO):
        run_server(scenario)
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "torn last write" in said and "line 5 skipped" in said
    assert "journal entry skipped" in said and "X1 refused by the database" in said
    assert "X1" in (tmp_path / "ctid-data" / "rejected.jsonl").read_text()
