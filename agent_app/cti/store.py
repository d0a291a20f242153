"""agent-ctid's access to the shared database, off the event loop.

Call records go through one writer thread fed by a queue, so the ACD never waits on
MySQL. A write that fails (database down) is appended to a local journal file and
replayed later, so a finished call's record survives both a DB outage and a restart.
Configuration (groups, hotline numbers, internal numbers) is re-read every few seconds,
so `agent-admin cti …` changes apply without a restart.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from agent_app.cti.routing import GroupConfig
from agent_app.security import verify_password
from agent_app.services.archives import ArchiveService
from db.engine import Database
from db.enums import EmployeeStatus
from db.models import CallRecord, CtiGroup, DialedNumber, Employee, InternalNumber

log = logging.getLogger("agent_ctid.store")
UTC = dt.UTC


def utc(epoch: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


@dataclass(frozen=True)
class Config:
    groups: dict[str, GroupConfig]
    dialed: dict[str, tuple[str, int | None]]   # digits → (group, medium id)
    internal: set[str]


@dataclass(frozen=True)
class LoginCheck:
    name: str
    role: str
    permissions: frozenset[str]


class Store:
    def __init__(self, db: Database, journal: Path) -> None:
        self.db = db
        self.journal = journal
        self._q: queue.Queue[tuple[str, dict] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ctid-store", daemon=True)
        self.archives = ArchiveService(db)
        self.written = 0

    # -- configuration and logins (called through run_in_executor) -------------------------
    def load_config(self) -> Config:
        with self.db.reading() as s:
            groups = {g.number: GroupConfig(g.number, g.name, g.overflow_group, g.max_queue,
                                            min(max(g.ring_timeout_s, 1), 60), g.wrapup_s)
                      for g in s.scalars(select(CtiGroup))}
            dialed = {d.digits: (d.group_number, d.medium_id)
                      for d in s.scalars(select(DialedNumber))}
            internal = set(s.scalars(select(InternalNumber.digits)))
        return Config(groups, dialed, internal)

    def check_login(self, login: str, password: str) -> LoginCheck | None:
        with self.db.reading() as s:
            e = s.scalar(select(Employee).where(Employee.login == login))
            if e is None or e.status != EmployeeStatus.ACTIVE:
                return None
            if not verify_password(e.password_hash, password):
                return None
            return LoginCheck(e.name, e.role, frozenset(p.permission for p in e.permissions))

    def recording_owner(self, recording_id: str) -> tuple[str | None, str | None] | None:
        with self.db.reading() as s:
            row = s.execute(select(CallRecord.agent_login, CallRecord.recording_path)
                            .where(CallRecord.recording_id == recording_id)).first()
            return (row[0], row[1]) if row else None

    # -- call records ---------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        self._q.put(("replay", {}))

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=10)

    def call_started(self, rec: dict[str, Any]) -> None:
        self._q.put(("start", rec))

    def call_ended(self, rec: dict[str, Any]) -> None:
        self._q.put(("end", rec))

    def flush(self, timeout: float = 10) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        done = threading.Event()
        self._q.put(("mark", {"event": done}))
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            kind, rec = item
            if kind == "mark":
                rec["event"].set()
                continue
            if kind == "replay":
                self._replay()
                continue
            try:
                self._write(kind, rec)
                self.written += 1
            except Exception as exc:  # noqa: BLE001 - any DB failure: keep it on disk
                log.warning("call record %s not written (%s); journalled", rec.get("call_id"), exc)
                self._journal(kind, rec)

    def _write(self, kind: str, rec: dict[str, Any]) -> None:
        values = {k: v for k, v in rec.items() if k != "call_id"}
        for k in ("queued_at", "offered_at", "answered_at", "ended_at"):
            if isinstance(values.get(k), (int, float)):
                values[k] = utc(values[k])
        if kind == "start" and values.get("medium_id") and values.get("queued_at"):
            # which advert the caller answers: the placement running on that medium then
            placement = self.archives.placement_at(values["queued_at"],
                                                   medium_id=values["medium_id"])
            values["placement_id"] = placement.id if placement else None
        with self.db.transaction() as s:
            exists = s.scalar(select(CallRecord.id).where(CallRecord.call_id == rec["call_id"]))
            if exists is None:
                s.add(CallRecord(call_id=rec["call_id"], **values))
            else:
                s.execute(update(CallRecord).where(CallRecord.id == exists).values(**values))

    def _journal(self, kind: str, rec: dict[str, Any]) -> None:
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"kind": kind, "rec": rec}, ensure_ascii=False) + "\n")

    def _replay(self) -> None:
        if not self.journal.exists():
            return
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        left = []
        for line in lines:
            try:
                item = json.loads(line)
                self._write(item["kind"], item["rec"])
            except Exception:  # noqa: BLE001 - still down: keep the rest for next time
                left.append(line)
        if left:
            self.journal.write_text("\n".join(left) + "\n", encoding="utf-8")
        else:
            self.journal.unlink(missing_ok=True)
            log.info("replayed %d journalled call records", len(lines))

    def replay_soon(self) -> None:
        if self.journal.exists():
            self._q.put(("replay", {}))
