"""agent-ctid's requests, one method each (mixed into CtiServer, which owns the state).

HANDLERS is the dispatch table: CtiServer._handle checks the envelope (id, hello, login)
and calls the handler; a handler returns the result's data, or None when it has sent the
result itself, and raises P.BadArgs or RoutingError for a refusal.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from typing import TYPE_CHECKING

from agent_app import __version__
from agent_app.cti import protocol as P
from agent_app.cti.routing import RoutingError
from db.enums import Permission

if TYPE_CHECKING:
    from agent_app.cti.server import Connection

log = logging.getLogger("agent_ctid")


class Handlers:
    def h_hello(self, conn: Connection, msg) -> dict:
        if msg.get("protocol") != P.PROTOCOL:
            raise P.BadArgs(f"this server speaks protocol {P.PROTOCOL}")
        conn.hello = True
        return {"protocol": P.PROTOCOL, "server": f"agent-ctid/{__version__}",
                "heartbeat_s": self.opts.heartbeat_s}

    async def h_login(self, conn: Connection, msg) -> dict | None:
        user = P.arg_str(msg, "user", max_len=32)
        password = P.arg_str(msg, "password", max_len=200, control_ok=True)
        seat = P.arg_str(msg, "seat", max_len=16)
        groups = P.arg_groups(msg)
        if conn.user is not None:
            raise RoutingError("bad_state", "already logged in on this connection")
        conn.logging_in = True
        try:
            check, by_ticket = await self.logins.check(user, password, seat, conn.ip,
                                                       msg.get("ticket"), time.time())
        finally:
            conn.logging_in = False
        now = time.time()
        for g in groups:
            if g not in self.acd.groups:
                raise RoutingError("no_such_group", f"no group {g}")
        live = self.by_user.get(user)
        if live is not None and not live.closed:
            raise RoutingError("bad_state", "this user is logged in on another connection")
        agent, resume_fx = self.acd.resume(user, seat, now)
        resumed = agent is not None
        if not resumed:
            if user in self.acd.agents:  # away, but from another seat: start afresh
                self._effects(self.acd.logout(user, now))
            self._effects(self.acd.login(user, check.name, seat, groups, now))
            agent = self.acd.agents[user]
        conn.user, conn.role, conn.permissions = user, check.role, check.permissions
        conn.seat, conn.password_hash = seat, check.password_hash
        self.by_user[user] = conn
        self._settled(conn)  # no longer counted against the caps on pending connections
        call = self.acd.calls.get(agent.call_id) if agent.call_id else None
        log.info("login %s seat %s groups %s%s%s", user, seat, groups,
                 " (resumed)" if resumed else "", " (ticket)" if by_ticket else "")
        self._send(conn, P.ok(msg["id"], agent=agent.public(P.ts_iso), resumed=resumed,
                              call=call.public(P.ts_iso) if call else None,
                              **self.logins.ticket(user, seat, conn.ip, check.password_hash,
                                                   now)))
        self._effects(resume_fx or [("agent", agent)])
        # the call it had when the last server life ended: closed at start, told now
        stopped = self.stopped.pop(user, [])
        if now < self._stopped_until:
            for c in stopped:
                c = dict(c)
                talk_s = c.pop("talk_s", 0.0)
                self._event(conn, "call_ended", call=c, talk_s=talk_s)
        return None

    def h_ping(self, conn: Connection, msg) -> dict:
        if conn.user is None or not conn.password_hash:
            return {}
        # a fresh ticket: one stolen from an ended session is void ttl_s after its last ping
        return self.logins.ticket(conn.user, conn.seat, conn.ip, conn.password_hash,
                                  time.time())

    def h_logout(self, conn: Connection, msg) -> None:
        if conn.user and self.tickets is not None:
            self.tickets.revoke(conn.user, time.time())
        if conn.user and conn.user in self.acd.agents and self.by_user.get(conn.user) is conn:
            self._effects(self.acd.logout(conn.user, time.time()))
            del self.by_user[conn.user]
        conn.user = None
        self._send(conn, P.ok(msg["id"]))
        # close once the result has gone out
        asyncio.get_running_loop().call_later(0.05, self._close, conn)
        return None

    def _agent_op(self, fn, *args) -> dict:
        self._effects(fn(*args))
        self._wake.set()
        return {}

    def h_ready(self, conn, msg):
        return self._agent_op(self.acd.ready, conn.user, time.time())

    def h_busy(self, conn, msg):
        reason = P.arg_str(msg, "reason", required=False, max_len=64)
        return self._agent_op(self.acd.busy, conn.user, reason, time.time())

    def h_answer(self, conn, msg):
        cid = P.arg_str(msg, "call_id", max_len=64)
        r = self._agent_op(self.acd.answer, conn.user, cid, time.time())
        self.switch.answered(cid)
        return r

    def h_hangup(self, conn, msg):
        return self._agent_op(self.acd.hangup, conn.user, P.arg_str(msg, "call_id", max_len=64),
                              time.time())

    def h_hold(self, conn, msg):
        return self._agent_op(self.acd.hold, conn.user, P.arg_str(msg, "call_id", max_len=64),
                              True, time.time())

    def h_unhold(self, conn, msg):
        return self._agent_op(self.acd.hold, conn.user, P.arg_str(msg, "call_id", max_len=64),
                              False, time.time())

    def h_transfer(self, conn, msg):
        cid = P.arg_str(msg, "call_id", max_len=64)
        to = msg.get("to")
        if not isinstance(to, dict) or len(to) != 1 or not all(
                k in ("group", "user", "number") and isinstance(v, str) for k, v in to.items()):
            raise P.BadArgs("'to' must be {group|user|number: text}")
        if "number" in to:
            P.arg_digits(to, "number")
        else:
            for k, v in to.items():
                if not v or len(v) > 32:
                    raise P.BadArgs(f"'to.{k}' must be 1 to 32 characters")
                P.check_text(v, f"to.{k}")
        return self._agent_op(self.acd.transfer, conn.user, cid, to, time.time())

    def h_dial(self, conn, msg):
        number = P.arg_digits(msg, "number")
        caller_id = msg.get("caller_id") or ""
        if caller_id:
            P.arg_digits(msg, "caller_id")
        call, fx = self.acd.dial(conn.user, number, caller_id, time.time())
        self.entered[call.call_id] = time.perf_counter()
        self._effects(fx)
        self.switch.dialled(call.call_id, number)
        return {"call_id": call.call_id}

    def h_sim_inbound(self, conn: Connection, msg):
        if not conn.is_admin:
            raise RoutingError("forbidden", "sim_inbound needs the administrator role")
        caller = P.arg_digits(msg, "caller")
        dialed = P.arg_digits(msg, "dialed")
        group = P.arg_str(msg, "group", required=False, max_len=8)
        group = group or self.dialed.get(dialed, (None, None))[0]
        if not group:
            raise P.BadArgs("'group' is required for a number that is not configured")
        hangup_after = P.arg_number(msg, "hangup_after_s")
        talk = P.arg_number(msg, "talk_s")
        call_id = self.inbound(caller, dialed, group, hangup_after, talk)
        return {"call_id": call_id}

    def inbound(self, caller: str, dialed: str, group: str, hangup_after_s=None,
                talk_s=None) -> str:
        """A call arrives from the switch (simulated or real)."""
        t0 = time.perf_counter()
        call, fx = self.acd.inbound(caller, dialed, group, time.time())
        self.entered[call.call_id] = t0
        self.switch.inbound(call.call_id, hangup_after_s, talk_s)
        self._effects(fx)
        if call.state != "ringing":
            self.entered.pop(call.call_id, None)  # queued or rejected: not a routing time
        self._wake.set()
        return call.call_id

    def h_monitor(self, conn: Connection, msg):
        if not conn.can(Permission.MONITOR):
            raise RoutingError("forbidden", "monitoring needs the monitor permission")
        conn.monitor = True
        now = time.time()
        return {"agents": [a.public(P.ts_iso) for a in self.acd.agents.values()],
                "groups": [self.acd.queue_status(g, now) for g in sorted(self.acd.groups)]}

    def h_broadcast(self, conn: Connection, msg):
        if not conn.can(Permission.BROADCAST):
            raise RoutingError("forbidden", "broadcasting needs the broadcast permission")
        text = P.arg_str(msg, "text", max_len=2000, control_ok=True)  # lines are allowed
        for c in list(self.by_user.values()):
            self._event(c, "message", **{"from": conn.user, "text": text, "broadcast": True})
        return {}

    async def h_get_recording(self, conn: Connection, msg) -> None:
        rid = P.arg_str(msg, "recording_id", max_len=64)
        loop = asyncio.get_running_loop()
        owner = self.recent.get(rid) or await loop.run_in_executor(
            None, self.store.recording_owner, rid)
        if owner is None:
            raise RoutingError("no_such_call", "no such recording")
        agent_login, stored = owner
        if agent_login != conn.user and not conn.can(Permission.RECORDINGS):
            raise RoutingError("forbidden", "only the agent who took the call, or a user "
                               "with the recordings permission, may fetch it")
        path = self.recordings.resolve(stored or "")
        if path is None:
            raise RoutingError("no_such_call", "the recording file is missing")
        data = await loop.run_in_executor(None, path.read_bytes)
        digest = hashlib.sha256(data).hexdigest()
        chunks = [data[i:i + P.RECORDING_CHUNK] for i in range(0, len(data), P.RECORDING_CHUNK)] or [b""]
        for k, chunk in enumerate(chunks):
            last = k == len(chunks) - 1
            extra = {"sha256": digest} if last else {}
            # awaited put: a big file waits for this client's queue, never others'
            await conn.queue.put((P.encode(P.ok(msg["id"], chunk=k,
                                                data=base64.b64encode(chunk).decode("ascii"),
                                                last=last, **extra)), None, None, 0))
        return None

    HANDLERS = {
        "hello": h_hello, "login": h_login, "ping": h_ping, "logout": h_logout,
        "ready": h_ready, "busy": h_busy, "answer": h_answer, "hangup": h_hangup,
        "hold": h_hold, "unhold": h_unhold, "transfer": h_transfer, "dial": h_dial,
        "sim_inbound": h_sim_inbound, "monitor": h_monitor, "broadcast": h_broadcast,
        "get_recording": h_get_recording,
    }
