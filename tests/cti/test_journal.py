"""The write-ahead journal on its own: positions, the fsync gate, segments, torn lines."""
from __future__ import annotations

import asyncio
import json
import logging
import os

from agent_app.cti.journal import Journal


def header():
    return [{"k": "life", "started": 1.0}, {"k": "agents", "agents": []}]


def test_positions_and_the_fsync_gate(tmp_path):
    async def main():
        j = Journal(tmp_path, fsync=True)
        j.open(asyncio.get_running_loop(), header)
        pos = j.append("call", rec={"call_id": "C1"})
        assert pos == 3 and j.appended == 3
        # a sender waits for the sync thread's fdatasync, then goes on
        await asyncio.wait_for(j.wait_synced(pos), 5)
        assert j.synced >= pos and j.syncs >= 1
        await j.wait_synced(1)  # already durable: returns at once
        j.close()
        entries = j.load()
        assert [e["k"] for e in entries] == ["life", "agents", "call"]
        assert entries[2]["rec"] == {"call_id": "C1"} and entries[2]["t"] > 0
    asyncio.run(main())


def test_without_fsync_appends_are_synced_at_once(tmp_path):
    j = Journal(tmp_path, fsync=False)
    j.open(None, header)
    assert j.append("alive") == j.synced == 3
    j.close()


def test_segments_rotate_with_a_header_and_old_ones_can_go(tmp_path):
    j = Journal(tmp_path, fsync=False, segment_bytes=300)
    j.open(None, header)
    closed = []
    for n in range(20):
        j.append("call", rec={"call_id": f"C{n}", "pad": "x" * 40})
        if j.full:
            closed.append(j.rotate())
    assert len(closed) >= 3 and [p.stem for p in j.segments()][-1] == f"{j.segment:06d}"
    for path in j.segments():  # each segment opens with the header
        first = json.loads(path.read_text().splitlines()[0])
        assert first["k"] == "life"
    j.remove(closed)
    assert len(j.segments()) == 1
    j.close()
    # a new life starts after the old segments, and may drop them once it is open
    k = Journal(tmp_path, fsync=False)
    k.open(None, header)
    assert k.segment == j.segment + 1 and len(k.segments()) == 2
    k.remove_before_current()
    assert [p.stem for p in k.segments()] == [f"{k.segment:06d}"]
    k.close()


def test_bad_lines_are_skipped_with_a_log_line(tmp_path, caplog):
    (tmp_path / "000001.jsonl").write_bytes(
        b'{"k":"life","t":1,"started":1}\n'
        b'[1,2]\n'                                 # JSON, not an entry
        b'{"t":2}\n'                               # no kind
        b'\xff\xfe\n'                              # not UTF-8
        b'{"k":"alive","t":3}\n'
        b'\x00\x00\x00\x00\n'                      # zeros left by a power cut: silent
        b'{"k":"call","t":4,"rec":{"call_id":"C')  # torn by the kill
    with caplog.at_level(logging.WARNING, logger="agent_ctid.journal"):
        entries = Journal(tmp_path).load()
    assert [e["k"] for e in entries] == ["life", "alive"]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    assert "line 7 skipped (torn last write" in lines[-1]


def test_a_failing_disk_is_logged_not_fatal(tmp_path, caplog):
    j = Journal(tmp_path, fsync=False)
    j.open(None, header)
    os.close(j._fd)
    j._fd = os.open(os.devnull, os.O_RDONLY)  # every write now fails, like a dead disk
    with caplog.at_level(logging.ERROR, logger="agent_ctid.journal"):
        pos = j.append("alive")
        j.append("alive")
    assert pos == j.synced - 1  # events are not held back forever
    assert sum("journal write failed" in r.getMessage() for r in caplog.records) == 1
    j.close()
