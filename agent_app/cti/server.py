"""agent-ctid's socket layer: JSON-lines connections around the ACD core.

One asyncio task per connection reads and handles requests in order; each connection has
a bounded send queue drained by its own writer task, so a slow client never delays
another: when its queue is full it is dropped with a log line. The ACD runs on the event
loop (it is fast and never blocks); the database is reached only through Store's thread
and run_in_executor. Timers (ring-no-answer, wrap-up, grace) come from one task that
sleeps until the ACD's next deadline.

Crash safety: every effect is journalled (Store → journal.py) before its events are
queued, and a sender holds a message back until the journal is durable up to where the
message was queued. At start, what the last life journalled is applied, the calls it had
in flight are closed (server_stopped) and its agents wait a grace period to be resumed.
"""
from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import logging
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app import __version__
from agent_app.cti import protocol as P
from agent_app.cti.handlers import Handlers
from agent_app.cti.logins import Logins
from agent_app.cti.recordings import RecordingStore, sha256_of
from agent_app.cti.routing import Acd, Call, RoutingError
from agent_app.cti.store import Recovery, Store
from agent_app.cti.switch import SimSwitch
from agent_app.cti.tickets import Tickets, load_key
from db.engine import Database
from db.enums import Permission

log = logging.getLogger("agent_ctid")
STOP_DRAIN_S = 1.0     # at a clean stop, how long the last events may take to go out


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = P.DEFAULT_PORT
    recordings: Path = Path("recordings")
    heartbeat_s: float = 15.0
    grace_s: float = 30.0
    send_queue: int = 2000
    config_reload_s: float = 5.0
    tls: ssl.SSLContext | None = None
    switch_seed: int | None = None
    outcome_delay: tuple[float, float] = (1.0, 3.0)
    data: Path | None = None          # journal, ticket key; default: ctid-data beside recordings
    journal_fsync: bool = True        # fdatasync the journal before events go out
    resume_tickets: bool = True
    alive_s: float = 1.0              # how often the journal notes the server was alive
    # connections not logged in yet: at most this many in all, and from one address
    # (more are closed with busy_server); each has login_timeout_s to log in
    max_pending: int = 256
    max_pending_per_address: int = 16
    login_timeout_s: float = 10.0
    # failed logins from one address within the window, after which its password logins
    # are refused unchecked (rate_limited; resume tickets still work)
    address_failures: int = 20
    address_window_s: float = 300.0


@dataclass(eq=False)
class Connection:
    writer: asyncio.StreamWriter
    peer: str
    queue: asyncio.Queue
    seq: int = 0
    hello: bool = False
    user: str | None = None
    role: str = ""
    permissions: frozenset[str] = frozenset()
    monitor: bool = False
    last_seen: float = field(default_factory=time.monotonic)
    closed: bool = False
    ip: str = ""
    seat: str = ""
    password_hash: str = ""   # to refresh the resume ticket at each ping
    logging_in: bool = False  # a login request is being checked

    def can(self, perm: Permission) -> bool:
        return self.role == "superadmin" or str(perm) in self.permissions

    @property
    def is_admin(self) -> bool:
        return self.role in ("superadmin", "admin")


class CtiServer(Handlers):
    def __init__(self, db_url: str, options: ServerOptions | None = None) -> None:
        self.opts = options or ServerOptions()
        self.db = Database.open(db_url)
        # not inside the recordings folder: get_recording must never reach the ticket key
        self.data = Path(self.opts.data or Path(self.opts.recordings).parent / "ctid-data")
        self.store = Store(self.db, self.data, fsync=self.opts.journal_fsync,
                           legacy=Path(self.opts.recordings) / "journal.jsonl")
        self.journal = self.store.journal
        self.recordings = RecordingStore(Path(self.opts.recordings))
        self.tickets = Tickets(load_key(self.data), ttl_s=4 * self.opts.heartbeat_s) \
            if self.opts.resume_tickets else None
        self.logins = Logins(self.store, self.tickets,
                             address_failures=self.opts.address_failures,
                             address_window_s=self.opts.address_window_s)
        self.switch = SimSwitch(self.opts.switch_seed, self.opts.outcome_delay)
        self.acd = Acd({}, grace_s=self.opts.grace_s)
        self.dialed: dict[str, tuple[str, int | None]] = {}
        self.conns: set[Connection] = set()
        self.pending: set[Connection] = set()   # connected, not logged in (yet)
        self.pending_by_ip: collections.Counter[str] = collections.Counter()
        self.by_user: dict[str, Connection] = {}
        # calls the last life had in flight, closed at start: told to their agents at login
        self.stopped: dict[str, list[dict[str, Any]]] = {}
        self._stopped_until = 0.0   # … within the grace period after the start
        self._recording: set[asyncio.Task] = set()
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._handlers: set[asyncio.Task] = set()  # one per connection
        self._wake = asyncio.Event()
        # recordings this process made, so a fetch right after recording_ready does not
        # depend on the call record having reached the database yet (bounded, FIFO)
        self.recent: collections.OrderedDict[str, tuple[str | None, str]] = collections.OrderedDict()
        self.entered: dict[str, float] = {}        # call id → when it entered the server
        self.ring_latency: list[float] = []        # seconds, enter → call_ringing written
        self.event_delay_max = 0.0
        self.port = self.opts.port

    # -- life cycle --------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = await loop.run_in_executor(None, self.store.load_config)
        self._apply(cfg)
        # what the last life left: applied and closed before anyone can connect
        recovery = await loop.run_in_executor(None, self.store.recover)
        self._restore(recovery)
        await loop.run_in_executor(None, self.logins.warm_up, list(self.acd.agents))
        self.store.start(loop, self._checkpoint)
        self._journal(self.acd.drain(), time.time())  # restored agents' changed states
        self._attach_recordings(recovery.unrecorded)
        self.switch.attach(self, loop)
        self._server = await asyncio.start_server(
            self._client, self.opts.host, self.opts.port, limit=P.MAX_LINE + 2,
            ssl=self.opts.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        self._tasks = [asyncio.create_task(self._timers(), name="ctid-timers"),
                       asyncio.create_task(self._reload(), name="ctid-reload"),
                       asyncio.create_task(self._watchdog(), name="ctid-watchdog"),
                       asyncio.create_task(self._stats(), name="ctid-stats"),
                       asyncio.create_task(self._alive(), name="ctid-alive")]
        log.info("agent-ctid %s listening on %s:%s (%s)", __version__, self.opts.host,
                 self.port, "TLS" if self.opts.tls is not None else "plaintext, no TLS")

    async def stop(self) -> None:
        # calls in flight end now, told to their desks, so no record stays open; agents
        # keep their place for the next start's grace period
        self._effects(self.acd.stop_calls("server_stopped", time.time()))
        if self._recording:
            await asyncio.wait(set(self._recording), timeout=10)
        await self._drain(STOP_DRAIN_S)
        self.store.stopped()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
        for c in list(self.conns):
            self._close(c)
        # the per-connection handlers too: left running, they are destroyed pending when
        # the loop closes ("Exception in callback … CancelledError")
        handlers = [t for t in self._handlers if t is not asyncio.current_task()]
        for t in handlers:
            t.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        await self.logins.drain()  # the last logins' audit rows
        await asyncio.get_running_loop().run_in_executor(None, self.store.stop)
        self.logins.close()
        self.db.dispose()

    def abort(self) -> None:
        """After a failed start: release what __init__ and start() took (the journal, if
        opened, keeps what it holds for the next start)."""
        if self._server is not None:
            self._server.close()
        for t in self._tasks:
            t.cancel()
        self.store.abort()
        self.logins.close()
        self.db.dispose()

    async def _drain(self, timeout: float) -> None:
        """Wait (bounded) until every connection's queued messages are written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                not c.queue.empty() for c in self.conns if not c.closed):
            await asyncio.sleep(0.01)

    def _restore(self, rec: Recovery) -> None:
        now = time.time()
        restored = [a for a in (self.acd.restore(s, now) for s in rec.agents) if a]
        if self.tickets is not None:
            for user, at in rec.revoked.items():
                self.tickets.revoke(user, at)
        for c in rec.closed:
            if c.get("user"):
                self.stopped.setdefault(c["user"], []).append(c)
        self._stopped_until = now + self.opts.grace_s
        if restored:
            log.info("%d agents wait %.0f s to resume after the restart", len(restored),
                     self.opts.grace_s)

    def _attach_recordings(self, unrecorded: list[tuple[str, float]]) -> None:
        for call_id, answered_at in unrecorded:
            # a recording written just before the kill, never announced: attach it
            path = self.recordings.path_for(call_id, dt.datetime.fromtimestamp(answered_at))
            if path.is_file():
                task = asyncio.get_running_loop().create_task(self._attach(call_id, path))
                self._recording.add(task)
                task.add_done_callback(self._recording.discard)

    async def _attach(self, call_id: str, path: Path) -> None:
        digest = await asyncio.get_running_loop().run_in_executor(None, sha256_of, path)
        self.store.call({"call_id": call_id, "recording_id": call_id,
                         "recording_bytes": path.stat().st_size, "recording_sha256": digest,
                         "recording_path": str(path.relative_to(self.recordings.root))})

    def _checkpoint(self) -> dict[str, Any]:
        """Heads every journal segment, so the newest one alone restores the agents."""
        return {"agents": [self.acd.snapshot(a) for a in self.acd.agents.values()],
                "revoked": self.tickets.recent_revocations(time.time()) if self.tickets
                else {}}

    async def _alive(self) -> None:
        while True:
            await asyncio.sleep(self.opts.alive_s)
            self.store.alive()

    def _apply(self, cfg) -> None:
        self.acd.configure(cfg.groups, cfg.internal)
        self.dialed = cfg.dialed

    async def _reload(self) -> None:
        loop = asyncio.get_running_loop()
        last_purge = 0.0
        while True:
            await asyncio.sleep(self.opts.config_reload_s)
            if time.time() - last_purge > 86_400:  # recordings past retention, daily
                last_purge = time.time()
                gone = await loop.run_in_executor(None, self.recordings.purge)
                if gone:
                    log.info("purged %d recordings past retention", gone)
            try:
                self._apply(await loop.run_in_executor(None, self.store.load_config))
            except Exception as exc:  # noqa: BLE001 - keep the last good configuration
                log.warning("configuration not reloaded: %s", exc)

    async def _timers(self) -> None:
        while True:
            deadline = self.acd.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - time.time())
            self._wake.clear()
            # asyncio.wait, not wait_for: Python 3.11's wait_for can swallow a cancel that
            # races with the event being set, and then stop() would wait forever.
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=timeout)
            finally:
                waiter.cancel()
            self._effects(self.acd.tick(time.time()))

    def stats(self, reset: bool = False) -> dict[str, Any]:
        """Routing latency (call entered → call_ringing written) and worst event delay."""
        lat = sorted(self.ring_latency)
        pick = (lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 3)) if lat \
            else (lambda q: None)
        out = {"rings": len(lat), "ring_p50_ms": pick(0.5), "ring_p99_ms": pick(0.99),
               "ring_max_ms": round(lat[-1] * 1000, 3) if lat else None,
               "event_delay_max_ms": round(self.event_delay_max * 1000, 3),
               "agents": len(self.acd.agents), "calls": len(self.acd.calls),
               "connections": len(self.conns), "journal_syncs": self.journal.syncs,
               "journal_sync_max_ms": round(self.journal.sync_max_s * 1000, 3),
               "logins_by_ticket": self.logins.by_ticket,
               "logins_by_password": self.logins.by_password,
               "password_checks": self.logins.verifies,
               "logins_refused_unchecked": self.logins.refused_unchecked,
               "pending": len(self.pending)}
        if reset:
            self.ring_latency.clear()
            self.event_delay_max = 0.0
            self.journal.syncs, self.journal.sync_max_s = 0, 0.0
        return out

    async def _stats(self) -> None:
        while True:
            await asyncio.sleep(10)
            if self.ring_latency:
                log.info("stats %s", json.dumps(self.stats(reset=True)))

    async def _watchdog(self) -> None:
        limit = 3 * self.opts.heartbeat_s
        while True:
            await asyncio.sleep(min(limit / 3, 5))
            now = time.monotonic()
            for c in list(self.conns):
                if now - c.last_seen > limit:
                    log.info("dropping %s: silent for %.0f s", c.peer, now - c.last_seen)
                    self._close(c)

    # -- connections ---------------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = (writer.get_extra_info("peername") or ("?", "?"))[:2]
        peer = f"{host}:{port}"
        conn = Connection(writer, peer, asyncio.Queue(self.opts.send_queue), ip=str(host))
        full = self._admit(conn)
        if full:
            log.warning("refusing %s: %s", peer, full)
            await self._error_frame(conn, "busy_server", full)
            await self._linger(reader, writer)
            return
        self.conns.add(conn)
        deadline = asyncio.get_running_loop().call_later(
            self.opts.login_timeout_s, self._login_deadline, conn)
        me = asyncio.current_task()
        self._handlers.add(me)
        me.add_done_callback(self._handlers.discard)
        sender = asyncio.create_task(self._sender(conn))
        try:
            while not conn.closed:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.IncompleteReadError:
                    break  # peer closed (a partial last line is never acted on)
                except asyncio.LimitOverrunError:
                    await self._bad_frame(conn, f"line longer than {P.MAX_LINE} bytes")
                    break
                conn.last_seen = time.monotonic()
                try:
                    msg = P.parse_frame(line.rstrip(b"\r\n") if line.endswith(b"\r\n") else line[:-1])
                except P.FrameError as exc:
                    await self._bad_frame(conn, str(exc))
                    break
                await self._handle(conn, msg)
        except (ConnectionError, OSError):
            pass
        finally:
            deadline.cancel()
            self._close(conn)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    def _admit(self, conn: Connection) -> str | None:
        """Count a new connection among those not logged in; why not, when over a cap."""
        if len(self.pending) >= self.opts.max_pending:
            return "too many connections waiting to log in; try again shortly"
        if self.pending_by_ip[conn.ip] >= self.opts.max_pending_per_address:
            return "too many connections from this address waiting to log in"
        self.pending.add(conn)
        self.pending_by_ip[conn.ip] += 1
        return None

    def _settled(self, conn: Connection) -> None:
        """Logged in or closed: no longer counted against the caps."""
        if conn in self.pending:
            self.pending.discard(conn)
            self.pending_by_ip[conn.ip] -= 1
            if self.pending_by_ip[conn.ip] <= 0:
                del self.pending_by_ip[conn.ip]

    def _login_deadline(self, conn: Connection) -> None:
        if conn.closed or conn.user is not None or conn not in self.pending:
            return
        if conn.logging_in:
            # queued behind a storm of password checks (150 desks after a restart, on a
            # slow machine) is not idling: look again when it has had its answer
            asyncio.get_running_loop().call_later(1.0, self._login_deadline, conn)
            return
        log.info("dropping %s: not logged in within %.0f s", conn.peer,
                 self.opts.login_timeout_s)
        self._send(conn, P.error_frame(
            "login_timeout", f"not logged in within {self.opts.login_timeout_s:g} s"))
        asyncio.get_running_loop().call_later(0.05, self._close, conn)

    async def _bad_frame(self, conn: Connection, why: str) -> None:
        log.info("bad frame from %s: %s", conn.peer, why)
        await self._error_frame(conn, "bad_frame", why)

    async def _error_frame(self, conn: Connection, code: str, why: str) -> None:
        """Said straight on the socket, before a close (not through the send queue)."""
        try:
            conn.writer.write(P.encode(P.error_frame(code, why)))
            await asyncio.wait_for(conn.writer.drain(), 2)
        except (Exception, asyncio.CancelledError):  # noqa: BLE001 - closing anyway
            pass

    @staticmethod
    async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Close after an error frame so that the peer reads it: a close with the peer's
        hello still unread sends a reset, and the reset can discard the frame before the
        peer reads it. So: end our side, read what the peer sent (a second at most)."""
        try:
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(1.0):
                while await reader.read(4096):
                    pass
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        finally:
            writer.close()

    async def _sender(self, conn: Connection) -> None:
        try:
            while True:
                data, queued, entered, pos = await conn.queue.get()
                if pos > self.journal.synced:  # write-ahead: durable before it is told
                    await self.journal.wait_synced(pos)
                conn.writer.write(data)
                await conn.writer.drain()
                if queued is not None:
                    now = time.perf_counter()
                    self.event_delay_max = max(self.event_delay_max, now - queued)
                    if entered is not None:  # a call_ringing: call entered → ringing left
                        self.ring_latency.append(now - entered)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass

    def _close(self, conn: Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        self.conns.discard(conn)
        self._settled(conn)
        if conn.user and self.by_user.get(conn.user) is conn:
            del self.by_user[conn.user]
            if conn.user in self.acd.agents:
                self._effects(self.acd.disconnect(conn.user, time.time()))
                self._wake.set()
        try:
            conn.writer.close()
        except Exception:  # noqa: BLE001
            pass

    def _send(self, conn: Connection, msg: dict[str, Any], *, timed: bool = False,
              entered: float | None = None) -> None:
        if conn.closed:
            return
        try:
            conn.queue.put_nowait((P.encode(msg), time.perf_counter() if timed else None,
                                   entered, self.journal.appended))
        except asyncio.QueueFull:
            log.warning("dropping %s (%s): send queue full, it cannot keep up",
                        conn.peer, conn.user)
            self._close(conn)

    def _event(self, conn: Connection, name: str, entered: float | None = None,
               **data: Any) -> None:
        conn.seq += 1
        self._send(conn, P.event(name, conn.seq, **data), timed=True, entered=entered)

    # -- requests ------------------------------------------------------------------------------
    async def _handle(self, conn: Connection, msg: dict[str, Any]) -> None:
        verb, req_id = msg["type"], msg.get("id")
        if not isinstance(req_id, int) or isinstance(req_id, bool):
            self._send(conn, P.fail(req_id if isinstance(req_id, (str, int)) else None,
                                    "bad_args", "'id' must be an integer"))
            return
        handler = self.HANDLERS.get(verb)
        if handler is None:
            self._send(conn, P.fail(req_id, "unknown_type", f"unknown type {verb!r}"))
            return
        if verb != "hello" and not conn.hello:
            self._send(conn, P.fail(req_id, "bad_state", "say hello first"))
            return
        if verb not in ("hello", "login", "ping", "logout") and conn.user is None:
            self._send(conn, P.fail(req_id, "not_logged_in", "log in first"))
            return
        try:
            result = handler(self, conn, msg)
            if asyncio.iscoroutine(result):
                result = await result
            if result is not None:
                self._send(conn, P.ok(req_id, **result))
        except P.BadArgs as exc:
            self._send(conn, P.fail(req_id, "bad_args", str(exc)))
        except RoutingError as exc:
            self._send(conn, P.fail(req_id, exc.code, str(exc)))
        except Exception:  # noqa: BLE001 - a bug must not take the server down
            log.exception("internal error handling %s from %s", verb, conn.peer)
            self._send(conn, P.fail(req_id, "internal", "internal error; see the server log"))

    # -- the switch's side -------------------------------------------------------------------
    def switch_caller_hangup(self, call_id: str) -> None:
        self._effects(self.acd.caller_hangup(call_id, time.time()))
        self._wake.set()

    def switch_far_answer(self, call_id: str) -> None:
        self._effects(self.acd.far_answer(call_id, time.time()))

    def switch_far_failed(self, call_id: str, cause: str) -> None:
        self._effects(self.acd.far_failed(call_id, cause, time.time()))
        self._wake.set()

    # -- effects → events, records, recordings ------------------------------------------------
    def _monitors(self):
        return [c for c in self.conns if c.monitor and not c.closed]

    def _to(self, user: str | None, name: str, entered: float | None = None, **data) -> None:
        c = self.by_user.get(user) if user else None
        if c is not None:
            self._event(c, name, entered=entered, **data)
        for t in self._monitors():
            if t is not c:
                self._event(t, name, **data)

    def _effects(self, fx) -> None:
        now = time.time()
        self._journal(fx, now)  # write-ahead: every record below is on disk before it is told
        groups: set[str] = set()
        for kind, obj in fx:
            if kind == "queue":
                groups.add(obj)
            elif kind == "agent":
                self._to(obj.user, "agent_state", agent=obj.public(P.ts_iso))
            elif kind == "ringing":
                c: Call = obj
                # only a first offer counts towards routing latency (not a re-offer
                # after ring-no-answer, nor a call that waited in queue)
                t0 = self.entered.pop(c.call_id, None)
                self._to(c.user, "call_ringing", entered=t0, call=c.public(P.ts_iso), pop={
                    "caller": c.caller, "dialed": c.dialed, "group": c.group,
                    "queue_wait_s": round((c.offered_at or now) - c.queued_at, 3)})
            elif kind in ("answered", "held", "resumed", "transferred"):
                self._to(obj.user, f"call_{kind}", call=obj.public(P.ts_iso))
            elif kind == "ended":
                self._ended(obj, now)
        monitors = self._monitors() if groups else []
        for g in groups if monitors else ():  # O(agents) each: only when someone watches
            status = self.acd.queue_status(g, now)
            for m in monitors:
                self._event(m, "queue_status", **status)

    def _journal(self, fx, now: float) -> None:
        """Each agent and call the effects touch, once, as it is now (the last state is what
        the events below tell)."""
        agents: dict[str, Any] = {}
        calls: dict[str, Call] = {}
        for kind, obj in fx:
            if kind == "agent":
                agents[obj.user] = obj
            elif kind == "state":  # every transition, in order (agent_state_log)
                self.store.state(obj.row())
            elif kind in ("started", "ringing", "answered", "transferred", "ended"):
                calls[obj.call_id] = obj
        for a in agents.values():
            self.store.agent(self.acd.snapshot(a))
        for c in calls.values():
            rec = self._record(c, now)
            if c.state == "ended":
                rec.update(end_cause=c.end_cause, talk_s=c.talk_s,
                           wait_s=round(((c.offered_at or c.ended_at or now) - c.queued_at), 3))
            self.store.call(rec)

    def _record(self, c: Call, now: float) -> dict[str, Any]:
        group, medium = self.dialed.get(c.dialed, (c.group, None))
        return {"call_id": c.call_id, "direction": c.direction, "caller": c.caller,
                "dialed": c.dialed, "seat": c.seat, "agent_login": c.user,
                "group_number": c.group, "queued_at": c.queued_at, "offered_at": c.offered_at,
                "answered_at": c.answered_at, "ended_at": c.ended_at,
                "end_cause": c.end_cause,  # None in flight: a replay reopens, recovery closes
                "internal": c.internal,
                "lead": c.direction == "in" and not c.internal and c.dialed in self.dialed,
                "medium_id": medium if c.direction == "in" else None}

    def _ended(self, c: Call, now: float) -> None:
        self.entered.pop(c.call_id, None)
        self.switch.ended(c.call_id)
        self._to(c.user, "call_ended", call=c.public(P.ts_iso), talk_s=c.talk_s)
        if c.answered_at is not None:
            task = asyncio.get_running_loop().create_task(self._record_audio(c))
            self._recording.add(task)
            task.add_done_callback(self._recording.discard)

    async def _record_audio(self, c: Call) -> None:
        when = dt.datetime.fromtimestamp(c.answered_at or time.time())
        try:
            r = await asyncio.get_running_loop().run_in_executor(
                None, self.recordings.record, c.call_id, c.talk_s, when,
                self.opts.journal_fsync)
        except OSError as exc:
            log.error("recording of %s not written: %s", c.call_id, exc)
            return
        rec = {"call_id": c.call_id, "recording_id": r.recording_id, "recording_bytes": r.bytes,
               "recording_sha256": r.sha256,
               "recording_path": str(r.path.relative_to(self.recordings.root))}
        self.store.call(rec)  # journalled before recording_ready below
        self.recent[r.recording_id] = (c.user, rec["recording_path"])
        while len(self.recent) > 5000:
            self.recent.popitem(last=False)
        conn = self.by_user.get(c.user or "")
        targets = self._monitors() + ([conn] if conn and conn not in self._monitors() else [])
        for t in targets:
            self._event(t, "recording_ready", call_id=c.call_id, recording_id=r.recording_id,
                        bytes=r.bytes, sha256=r.sha256)
