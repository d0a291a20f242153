"""agent-ctid's access to the shared database, off the event loop.

Call records are written ahead to the journal (journal.py) on the event loop, then applied
to the database by one writer thread in merged batches, so the ACD never waits on MySQL.
While the database is down they stay in the journal (and in memory) and are applied when
it is back. At start-up `recover()` applies what an earlier life left and closes the calls
it had in flight (end cause server_stopped). Configuration (groups, hotline numbers,
internal numbers) is re-read every few seconds, so `agent-admin cti …` changes apply
without a restart.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from agent_app.cti.journal import Journal
from agent_app.cti.protocol import ts_iso
from agent_app.cti.routing import GroupConfig
from agent_app.services.accounts import count_failure, lock_minutes, success_values
from agent_app.services.archives import ArchiveService
from agent_app.services.base import WORKSTATION, retrying
from db.engine import Database
from db.enums import EmployeeStatus, EndCause
from db.models import (
    AgentStateLog,
    AuditLog,
    CallRecord,
    CtiGroup,
    DialedNumber,
    Employee,
    EmployeePermission,
    InternalNumber,
)
from db.types import utcnow

log = logging.getLogger("agent_ctid.store")
UTC = dt.UTC
RETRY_S = 2.0            # while the database is down, try again this often
BATCH = 5000             # journal entries merged into one transaction at most
# a record the database refuses for what it contains (not because it is down): retrying
# cannot help, so it is set aside in rejected.jsonl and the rest goes on
POISON = (IntegrityError, DataError, ValueError, TypeError, KeyError)


def utc(epoch: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


@dataclass(frozen=True)
class Config:
    groups: dict[str, GroupConfig]
    dialed: dict[str, tuple[str, int | None]]   # digits → (group, medium id)
    internal: set[str]


@dataclass(frozen=True)
class LoginRecord:
    """An employee as the CTI login needs it; the server checks the password and the
    desk's login policy (AccountService: closed, banned, locked, must change password)."""
    name: str
    role: str
    permissions: frozenset[str]
    password_hash: str
    status: str = EmployeeStatus.ACTIVE
    locked_minutes: int | None = None      # lock-out left when read; None: not locked
    must_change_password: bool = False

    @property
    def active(self) -> bool:
        return self.status == EmployeeStatus.ACTIVE


@dataclass(frozen=True)
class LoginOutcome:
    """One CTI login's result, for the employee row's failure count and the audit log."""
    login: str
    address: str
    ok: bool
    why: str = ""             # a refusal: unknown, wrong_password, locked, closed, banned,
    by_ticket: bool = False   # must_change_password, rate_limited


@dataclass
class Recovery:
    """What start-up found: entries replayed, calls closed, agents to restore."""
    entries: int = 0
    calls: int = 0
    closed: list[dict[str, Any]] = field(default_factory=list)   # public call objects
    agents: list[dict[str, Any]] = field(default_factory=list)   # Acd.snapshot() dicts
    revoked: dict[str, float] = field(default_factory=dict)      # user → tickets void before
    unrecorded: list[tuple[str, float]] = field(default_factory=list)  # (call, answered at)


class Store:
    def __init__(self, db: Database, folder: Path, *, fsync: bool = True,
                 segment_bytes: int = 1 << 20, legacy: Path | None = None) -> None:
        self.db = db
        self.folder = Path(folder)
        self.journal = Journal(self.folder / "journal", fsync=fsync, segment_bytes=segment_bytes)
        # failed writes journalled by versions before the write-ahead journal (recordings/)
        self.legacy = legacy or self.folder / "journal.jsonl"
        self.rejected = self.folder / "rejected.jsonl"
        self._q: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ctid-store", daemon=True)
        self.archives = ArchiveService(db)
        self.written = 0
        self.down = False

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

    def login_records(self, logins: list[str]) -> dict[str, LoginRecord]:
        """The employees among `logins`, closed, banned and locked ones too (logins.py
        refuses them after the same password check as anyone, so that their refusal takes
        as long): one query for a whole batch of logins (logins.py coalesces them). Core
        rows, not ORM objects: this runs in the storm of logins after a restart."""
        now = utcnow()
        with self.db.reading() as s:
            rows = s.execute(select(Employee.id, Employee.login, Employee.name, Employee.role,
                                    Employee.password_hash, Employee.status,
                                    Employee.locked_until, Employee.must_change_password)
                             .where(Employee.login.in_(logins))).all()
            perms: dict[int, set[str]] = {r.id: set() for r in rows}
            active = [r.id for r in rows if r.status == EmployeeStatus.ACTIVE]
            # asked even when no row was found: a lookup takes as long for an unknown login
            for emp, perm in s.execute(select(EmployeePermission.employee_id,
                                              EmployeePermission.permission)
                                       .where(EmployeePermission.employee_id.in_(active))):
                perms[emp].add(perm)
        return {r.login: LoginRecord(r.name, r.role, frozenset(perms[r.id]), r.password_hash,
                                     r.status, lock_minutes(r.locked_until, now),
                                     bool(r.must_change_password))
                for r in rows}

    def login_outcomes(self, outcomes: list[LoginOutcome]) -> None:
        """Count and audit a batch of CTI logins in one retried transaction, by the desk's
        rules (accounts.count_failure / count_success): failures lock the account for the
        desk too, and a restart of agent-ctid forgets none of them."""
        retrying(lambda: self._write_outcomes(outcomes))

    def _write_outcomes(self, outcomes: list[LoginOutcome]) -> None:
        """Core statements for the common case (after a restart, 150 successes: one UPDATE,
        one multi-row INSERT); the ORM and the desk's count_failure only for refusals."""
        now = utcnow()
        rows: list[dict[str, Any]] = []
        refused: list[str] = []
        for o in outcomes:
            where = {"channel": "cti", "address": o.address}
            if o.ok:
                rows.append({"actor_login": o.login, "action": "login", "target": o.login,
                             "detail": {**where, **({"ticket": True} if o.by_ticket else {})}})
            else:
                rows.append({"actor_login": o.login[:32], "action": "login_failed",
                             "target": o.login[:32],
                             "detail": {**where, "why": o.why or "unknown"}})
                # every refusal reads its row the same way, the unknown ones too: only
                # the count differs, so the write takes about as long for each
                refused.append(o.login)
        for r in rows:
            r.update(at=now, workstation=WORKSTATION)
        ok = sorted({o.login for o in outcomes if o.ok})
        with self.db.transaction() as s:
            if ok:
                s.execute(update(Employee).where(Employee.login.in_(ok))
                          .values(**success_values(now))
                          .execution_options(synchronize_session=False))
            if refused:
                # a failure counts as on the desk: a wrong password for an active account
                # that is not locked now (another writer may have locked it meanwhile);
                # rows locked in login order, so two writers cannot deadlock on them
                found = {e.login: e for e in s.scalars(
                    select(Employee).where(Employee.login.in_(sorted(set(refused))))
                    .order_by(Employee.login).with_for_update())}
                for o in outcomes:
                    e = None if o.ok or o.why != "wrong_password" else found.get(o.login)
                    if e is not None and e.status == EmployeeStatus.ACTIVE \
                            and lock_minutes(e.locked_until, now) is None:
                        count_failure(e, now)
            s.execute(insert(AuditLog), rows)

    def recording_owner(self, recording_id: str) -> tuple[str | None, str | None] | None:
        with self.db.reading() as s:
            row = s.execute(select(CallRecord.agent_login, CallRecord.recording_path)
                            .where(CallRecord.recording_id == recording_id)).first()
            return (row[0], row[1]) if row else None

    # -- the journal (event loop thread) -----------------------------------------------------
    def call(self, rec: dict[str, Any]) -> int:
        """A call record (whole or only the fields that changed): journalled, then queued
        for the database. Returns the journal position."""
        pos = self.journal.append("call", rec=rec)
        self._q.put(("call", rec))
        self._maybe_rotate()
        return pos

    def state(self, row: dict[str, Any]) -> int:
        """An agent state transition (routing.StateChange.row()) for agent_state_log:
        journalled, then queued for the writer thread, like a call record."""
        pos = self.journal.append("state", row=row)
        self._q.put(("state", row))
        self._maybe_rotate()
        return pos

    def agent(self, snapshot: dict[str, Any]) -> int:
        pos = self.journal.append("agent", a=snapshot)
        self._maybe_rotate()
        return pos

    def alive(self) -> None:
        """The server was alive now: the end time recovery gives calls in flight."""
        self.journal.append("alive")
        self._maybe_rotate()  # an idle server's segment must not grow for ever either

    def stopped(self) -> None:
        self.journal.append("stopped")

    def _maybe_rotate(self) -> None:
        if self.journal.full:
            # the closed segment is deleted once the writer has applied all before this
            self._q.put(("closed", self.journal.rotate()))

    # -- life cycle ------------------------------------------------------------------------
    def start(self, loop, checkpoint: Callable[[], dict[str, Any]]) -> None:
        """Open this life's journal segment, drop the segments recovery applied, start the
        writer. Every segment opens with `checkpoint()` ({"agents": [...], "revoked": {}})."""
        started = round(time.time(), 3)
        self.journal.open(loop, lambda: [{"k": "life", "started": started},
                                         {"k": "agents", **checkpoint()}])
        # the new segment and its checkpoint are on disk: the old ones can go
        self.journal.remove_before_current()
        self._thread.start()

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=10)
        self.journal.close()

    def abort(self) -> None:
        """After a failed start: stop the writer if it runs, close the journal if open."""
        if self._thread.is_alive():
            self.stop()
        elif self.journal.is_open:
            self.journal.close()

    def flush(self, timeout: float = 10) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        done = threading.Event()
        self._q.put(("mark", done))
        done.wait(timeout)

    def _run(self) -> None:
        pending: dict[str, dict[str, Any]] = {}
        states: list[dict[str, Any]] = []   # agent_state_log rows, in order
        closed: list[int] = []
        retry_at = 0.0
        while True:
            timeout = max(0.05, retry_at - time.monotonic()) if pending or states else None
            try:
                items: list = [self._q.get(timeout=timeout)]
            except queue.Empty:
                items = []
            while len(items) < BATCH:
                try:
                    items.append(self._q.get_nowait())
                except queue.Empty:
                    break
            stop, marks = False, []
            for item in items:
                if item is None:
                    stop = True
                    continue
                kind, obj = item
                if kind == "call":  # merged: the last value of each field wins
                    pending.setdefault(obj["call_id"], {}).update(obj)
                elif kind == "state":
                    states.append(obj)
                elif kind == "closed":
                    closed.append(obj)
                elif kind == "mark":
                    marks.append(obj)
            if (pending or states) and (stop or time.monotonic() >= retry_at):
                try:
                    if pending:
                        self._apply(list(pending.values()))
                        self.written += len(pending)
                        pending.clear()
                    if states:
                        self._apply_states(states)
                        states.clear()
                    if self.down:
                        self.down = False
                        log.info("database reachable again: call records written")
                except Exception as exc:  # noqa: BLE001 - down: the journal keeps them
                    if not self.down:
                        self.down = True
                        log.warning("call records not written (%s); kept in the journal, "
                                    "retried every %.0f s", exc, RETRY_S)
                    retry_at = time.monotonic() + RETRY_S
            if not pending and not states and closed:
                self.journal.remove(closed)
                closed.clear()
            for done in marks:
                done.set()
            if stop:
                return

    # -- writing records (writer thread; recovery) -------------------------------------------
    def _apply(self, recs: list[dict[str, Any]]) -> None:
        try:
            self._apply_batch(recs)
        except POISON:
            # one record the database refuses: write the others one by one, set it aside
            for rec in recs:
                try:
                    self._apply_batch([rec])
                except POISON as exc:
                    log.error("call record %s refused by the database (%s); kept in %s",
                              rec.get("call_id"), exc, self.rejected)
                    with self.rejected.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def _apply_batch(self, recs: list[dict[str, Any]]) -> None:
        ids = [r["call_id"] for r in recs]
        existing: dict[str, int] = {}
        with self.db.reading() as s:
            for i in range(0, len(ids), 500):
                existing.update(s.execute(select(CallRecord.call_id, CallRecord.id)
                                          .where(CallRecord.call_id.in_(ids[i:i + 500]))).all())
        rows = []
        for rec in recs:
            values = _values(rec)
            if rec["call_id"] not in existing and values.get("medium_id") \
                    and values.get("queued_at"):
                # which advert the caller answers: the placement running on that medium then
                placement = self.archives.placement_at(values["queued_at"],
                                                       medium_id=values["medium_id"])
                values["placement_id"] = placement.id if placement else None
            rows.append((rec["call_id"], values))
        retrying(lambda: self._write_rows(rows, existing))

    def _write_rows(self, rows: list[tuple[str, dict[str, Any]]],
                    existing: dict[str, int]) -> None:
        with self.db.transaction() as s:
            for call_id, values in rows:
                if call_id in existing:
                    s.execute(update(CallRecord).where(CallRecord.id == existing[call_id])
                              .values(**values))
                else:
                    s.add(CallRecord(call_id=call_id, **values))

    def _apply_states(self, rows: list[dict[str, Any]]) -> None:
        """Insert agent_state_log rows (writer thread): one multi-row INSERT; a row the
        database refuses is set aside in rejected.jsonl and the others are written."""
        try:
            retrying(lambda: self._insert_states(rows))
        except POISON:
            for row in rows:
                try:
                    retrying(lambda row=row: self._insert_states([row]))
                except POISON as exc:
                    log.error("agent state row %s refused by the database (%s); kept in %s",
                              row, exc, self.rejected)
                    with self.rejected.open("a", encoding="utf-8") as f:
                        f.write(json.dumps({"state": row}, ensure_ascii=False) + "\n")

    def _insert_states(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        values = [{**r, "at": utc(r["at"]), "seat": r.get("seat"),
                   "reason": r.get("reason") or "", "groups": r.get("groups") or ""}
                  for r in rows]
        with self.db.transaction() as s:
            s.execute(insert(AgentStateLog), values)

    def _unwritten_states(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The journalled state rows not in the database yet (recovery). The writer
        inserts them in order, a batch per transaction, so some may be written and some
        not: each journalled row is matched with one stored row of the same agent, state,
        reason and call within a second (DATETIME may drop the fraction), and only the
        unmatched ones are left to insert. agent_state_log has no natural key to upsert on."""
        if not rows:
            return []
        first = utc(min(r["at"] for r in rows) - 2)
        last = utc(max(r["at"] for r in rows) + 2)
        logins = sorted({r["agent_login"] for r in rows})
        stored: dict[tuple, list[float]] = {}
        with self.db.reading() as s:
            for i in range(0, len(logins), 500):
                for r in s.execute(select(AgentStateLog.agent_login, AgentStateLog.state,
                                          AgentStateLog.reason, AgentStateLog.call_id,
                                          AgentStateLog.at)
                                   .where(AgentStateLog.agent_login.in_(logins[i:i + 500]),
                                          AgentStateLog.at >= first, AgentStateLog.at <= last)):
                    stored.setdefault((r[0], r[1], r[2] or "", r[3]), []).append(
                        r[4].timestamp())
        out = []
        for r in rows:
            times = stored.get((r["agent_login"], r["state"], r.get("reason") or "",
                                r.get("call_id")), [])
            match = next((t for t in times if abs(t - r["at"]) < 1.0), None)
            if match is None:
                out.append(r)
            else:
                times.remove(match)
        return out

    # -- start-up recovery -------------------------------------------------------------------
    def recover(self) -> Recovery:
        """Apply what earlier lives journalled, then close every call still open: end cause
        server_stopped, ended at the last moment the server is known to have been alive,
        answered_at kept. Blocking: run before the server listens. Raises when the database
        is unreachable (the journal is kept for the next start)."""
        out = Recovery()
        entries = self._legacy() + self.journal.load()
        calls: dict[str, dict[str, Any]] = {}
        agents: dict[str, dict[str, Any]] = {}
        revoked: dict[str, float] = {}
        states: list[dict[str, Any]] = []
        life: float | None = None
        last: float | None = None
        for e in entries:
            try:
                kind, t = e["k"], e.get("t")
                if isinstance(t, (int, float)):
                    last = t if last is None else max(last, t)
                if kind == "life" and life is None:
                    life = float(e["started"])
                elif kind == "agents":
                    agents = {a["user"]: a for a in e["agents"]}
                    revoked.update({str(u): float(at) for u, at in
                                    (e.get("revoked") or {}).items()})
                elif kind == "agent":
                    a = e["a"]
                    if a["state"] == "logged_out":
                        agents.pop(a["user"], None)
                        revoked[a["user"]] = float(t)  # its tickets too (see tickets.py)
                    else:
                        agents[a["user"]] = a
                elif kind == "call":
                    rec = e["rec"]
                    calls.setdefault(str(rec["call_id"]), {}).update(rec)
                elif kind == "state":
                    row = dict(e["row"])
                    row["at"] = float(row["at"])
                    states.append(row)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("journal entry skipped (%s): %.120r", exc, e)
        out.entries, out.calls = len(entries), len(calls)
        if calls:
            self._apply(list(calls.values()))
        if states:
            self._apply_states(retrying(lambda: self._unwritten_states(states)))
        unended = [c for c, r in calls.items() if not r.get("ended_at")]
        out.closed = retrying(lambda: self._close_open(life, last, unended))
        stopped = {c["call_id"] for c in out.closed}
        out.unrecorded = [(cid, float(r["answered_at"])) for cid, r in calls.items()
                          if r.get("answered_at") and r.get("end_cause")
                          and not r.get("recording_id") and cid not in stopped]
        out.agents, out.revoked = list(agents.values()), revoked
        self.legacy.unlink(missing_ok=True)
        if entries:
            log.info("recovery: %d journal entries, %d call records replayed, %d calls in "
                     "flight closed (server_stopped), %d agents to restore", out.entries,
                     out.calls, len(out.closed), len(out.agents))
        return out

    def _legacy(self) -> list[dict[str, Any]]:
        """Failed writes journalled by versions before the write-ahead journal."""
        out = []
        if self.legacy.exists():
            for line in self.legacy.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    out.append({"k": "call", "rec": dict(json.loads(line)["rec"])})
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("%s: line skipped (%s): %.80r", self.legacy.name, exc, line)
        return out

    def _close_open(self, life: float | None, last: float | None,
                    unended: list[str]) -> list[dict[str, Any]]:
        closed = []
        alive_from = utc(life - 1) if life is not None else None  # DATETIME may drop ms
        with self.db.transaction() as s:
            # an open row has no end cause (the (end_cause, queued_at) index finds them), or
            # is a journalled call without an end (end_cause None is journalled too)
            rows = {r.id: r for r in s.scalars(select(CallRecord)
                                               .where(CallRecord.end_cause.is_(None)))}
            for i in range(0, len(unended), 500):
                rows.update((r.id, r) for r in s.scalars(select(CallRecord).where(
                    CallRecord.call_id.in_(unended[i:i + 500]),
                    CallRecord.ended_at.is_(None))))
            for r in rows.values():
                stamps = [x for x in (r.queued_at, r.offered_at, r.answered_at, r.ended_at) if x]
                if last is not None and alive_from is not None and r.queued_at >= alive_from:
                    stamps.append(utc(last))  # it was still up when the server last wrote
                end = r.ended_at or max(stamps)
                r.ended_at, r.end_cause = end, EndCause.SERVER_STOPPED.value
                r.talk_s = round((end - r.answered_at).total_seconds(), 3) \
                    if r.answered_at else 0.0
                r.wait_s = round(((r.offered_at or end) - r.queued_at).total_seconds(), 3)
                closed.append(_public(r))
        return closed


def _values(rec: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in rec.items() if k != "call_id"}
    for k in ("queued_at", "offered_at", "answered_at", "ended_at"):
        if isinstance(values.get(k), (int, float)):
            values[k] = utc(values[k])
    return values


def _epoch(when: dt.datetime | None) -> float | None:
    return when.timestamp() if when is not None else None


def _public(r: CallRecord) -> dict[str, Any]:
    """A closed row as the protocol's call object (told to its agent at re-login)."""
    return {"call_id": r.call_id, "direction": r.direction, "caller": r.caller,
            "dialed": r.dialed, "seat": r.seat, "user": r.agent_login,
            "group": r.group_number, "state": "ended",
            "queued_at": ts_iso(_epoch(r.queued_at)),
            "answered_at": ts_iso(_epoch(r.answered_at)),
            "ended_at": ts_iso(_epoch(r.ended_at)), "end_cause": r.end_cause,
            "internal": bool(r.internal), "recording_id": r.recording_id,
            "talk_s": r.talk_s or 0.0}
