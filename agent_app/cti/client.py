"""The desktop's CTI client: one supervised connection to agent-ctid (plain asyncio, no Qt).

Protocol: docs/cti-protocol.md; choices where it is silent: docs/cti-client.md.

    client = CtiClient("127.0.0.1", 6020, user="1001", password="…", seat="8001", groups=["21"])
    client.on_status = lambda status, detail: …     # "disconnected"/"connecting"/…, a code
    client.on_event = lambda event: …               # every event dict, as received
    await client.start()                            # returns at once; the supervisor connects
    await client.ready()
    …
    await client.stop()                             # logs out, never hangs

The supervisor task connects, says hello, logs in and then waits for the connection to end
(peer closed, a ping unanswered, garbage from the server). Every request still waiting then
fails with CtiError("disconnected") and the supervisor connects again after a back-off
(0.5, 1, 2, 2, 2, 4, 8 s, capped at the last; reset by a successful login). Logging in again
as the same user and seat within the server's grace period (30 s) resumes the agent and its
call; after a server restart, the agent's place (its call was dropped: server_stopped), and
the server's resume ticket spares it the password hash.

Refusals that retrying cannot cure by itself - auth_failed, account_locked,
password_change_required, rate_limited, seat_in_use, no_such_group, and a hello the server
refuses (another protocol) - are not retried blindly: the status becomes
"disconnected" with that code as its detail, and the next attempt waits the cap interval
(an administrator may fix the account, free the seat or add the group meanwhile).

TLS (docs/cti-client.md): with `ssl` a context that verifies (a CA file), the handshake
checks the server; with `pinning=True` (a context that verifies nothing, tls.client_context())
the server's certificate must have the SHA-256 fingerprint `pin`, checked right after the
handshake and before a byte of ours (the password) is sent. An empty pin takes the first
certificate seen and reports it through `on_pin`, for the caller to keep; a different one
later is refused ("tls_pin_changed") on every attempt, until the pin is cleared.

Waits in long-lived tasks use asyncio.wait with a timeout rather than asyncio.wait_for, which
on Python 3.11 can swallow a cancellation that races with completion (stop() must never hang).
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import logging
import os
import random
import ssl as ssl_module
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_app.cti import callstate as CS
from agent_app.cti import protocol as P
from agent_app.cti.callstate import CallState
from agent_app.cti.link import READ_LIMIT, CtiError, Dropped, Link, bounded, refusal
from agent_app.cti.tls import fingerprint, same_fingerprint

__all__ = ["CallState", "CtiClient", "CtiError"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0                # TCP connect + TLS handshake
LOGIN_TIMEOUT_S = 10.0                 # hello and login (the server hashes the password)
STOP_LOGOUT_S = 0.8                    # stop() waits this long for logout's result
STOP_TASKS_S = 0.6                     # then this long for the supervisor to finish
# Steps of 2 s until ~10 s after the link dropped: agent-ctid takes 1.5-5 s to restart
# (more on a busy machine), and a 4 s step falling in that window made desks come back
# up to 4 s after the server was listening again; only a longer outage backs off further.
BACKOFF = (0.5, 1, 2, 2, 2, 4, 8)
PERMANENT = frozenset({"auth_failed", "seat_in_use", "no_such_group", "protocol", "tls_failed",
                       "tls_pin_changed", "account_locked", "password_change_required",
                       "rate_limited"})


class CtiClient:
    def __init__(self, host: str, port: int, *, user: str, password: str, seat: str,
                 groups: list[str] | tuple[str, ...], ssl: ssl_module.SSLContext | None = None,
                 pinning: bool = False, pin: str = "",
                 on_pin: Callable[[str], Any] | None = None,
                 client_name: str = "agent-app/0.1",
                 backoff: tuple[float, ...] = BACKOFF) -> None:
        if not backoff:
            raise ValueError("backoff needs at least one interval")
        if pinning and ssl is None:
            raise ValueError("pinning needs TLS")
        self.host, self.port, self.ssl = host, port, ssl
        self.pinning, self.pin, self.on_pin = pinning, pin, on_pin
        self.server_fingerprint = ""        # SHA-256 of the certificate of the last handshake
        self.user, self.password, self.seat = user, password, seat
        self.groups = list(groups)
        self.client_name = client_name
        self.backoff = tuple(float(b) for b in backoff)
        self.request_timeout = 10.0
        self.on_status: Callable[[str, str], Any] | None = None
        self.on_event: Callable[[dict], Any] | None = None
        self.status = "disconnected"        # disconnected, connecting, connected, logged_in
        self.detail = ""                    # why disconnected (a code), "resumed" when so
        # the one record of this agent's and its calls' state (agent_app/cti/callstate.py):
        # replaced, never changed, on every event of ours; listeners get each new one
        self.state = CallState(user=user)
        self._listeners: list[Callable[[CallState], Any]] = []
        self._agent_raw: dict | None = None  # the agent object's fixed parts (name, seat…)
        self.resumed = False                # the last login resumed a place kept in grace
        self.heartbeat_s = 15.0
        self.server: str | None = None
        self.seq_gaps = 0
        # the server's resume ticket (docs/cti-client.md): lets a re-login after a server
        # restart skip the password hash; a server without tickets simply never sends one
        self._ticket: str | None = None
        self._link: Link | None = None
        self._last_seq: int | None = None
        self._supervisor: asyncio.Task | None = None
        self._stopping = False
        self._got_in = False
        self._logged_in = asyncio.Event()

    # -- state -----------------------------------------------------------------------------------
    def add_listener(self, fn: Callable[[CallState], Any]) -> Callable[[], None]:
        """Call `fn(snapshot)` after every change of `state`; returns the unsubscriber."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def _update(self, new: CallState) -> None:
        if new == self.state:
            return
        self.state = new
        for fn in list(self._listeners):
            try:
                fn(new)
            except Exception:  # a listener's bug must not stop the link or the others
                log.exception("CTI state listener failed")

    @property
    def agent(self) -> dict | None:
        """Our agent object (protocol shape), its state fields from the snapshot."""
        if self._agent_raw is None:
            return None
        s = self.state
        return {**self._agent_raw, "state": s.agent_state, "reason": s.reason,
                "since": s.agent_since, "call_id": s.agent_call_id}

    @property
    def call(self) -> dict | None:
        """Our live call (protocol shape), or None."""
        current = self.state.current
        return current.as_dict() if current is not None else None

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Launch the supervisor; returns at once (watch on_status or wait_logged_in)."""
        if self._supervisor is None or self._supervisor.done():
            self._stopping = False
            self._supervisor = asyncio.create_task(self._supervise(), name="cti-supervisor")

    async def wait_logged_in(self, timeout: float) -> bool:
        if self.status != "logged_in":
            waiter = asyncio.ensure_future(self._logged_in.wait())
            done, _ = await asyncio.wait({waiter}, timeout=timeout)
            if not done:
                waiter.cancel()
        return self.status == "logged_in"

    async def stop(self) -> None:
        """Log out if logged in, end the supervisor, close the socket. Bounded: < 2 s."""
        self._stopping = True
        self._ticket = None  # logged out: the server revokes it anyway
        link = self._link
        if self.status == "logged_in" and link is not None and link.alive:
            with contextlib.suppress(CtiError):
                await link.call("logout", {}, STOP_LOGOUT_S)
        task, self._supervisor = self._supervisor, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_TASKS_S)
        if self._link is not None:
            self._link.close("client stopped")
        self._agent_raw = None  # logged out (or soon, after the grace period)
        self._update(CS.logged_out(self.state))
        self._set_status("disconnected", "stopped")

    # -- requests --------------------------------------------------------------------------------
    def _live(self) -> Link:
        link = self._link
        if self.status != "logged_in" or link is None or not link.alive:
            raise CtiError("not_connected", "the CTI link is not logged in")
        return link

    async def request(self, type: str, *, timeout: float | None = None, **args: Any) -> dict:
        """Send one request; its result data on ok, CtiError on a refusal or failure."""
        link = self._live()
        return await link.call(type, args, self.request_timeout if timeout is None else timeout)

    async def ready(self) -> dict:
        return await self.request("ready")

    async def busy(self, reason: str | None = None) -> dict:
        return await self.request("busy", **({"reason": reason} if reason else {}))

    async def answer(self, call_id: str) -> dict:
        return await self.request("answer", call_id=call_id)

    async def hangup(self, call_id: str) -> dict:
        return await self.request("hangup", call_id=call_id)

    async def hold(self, call_id: str) -> dict:
        return await self.request("hold", call_id=call_id)

    async def unhold(self, call_id: str) -> dict:
        return await self.request("unhold", call_id=call_id)

    async def transfer(self, call_id: str, to: dict) -> dict:
        return await self.request("transfer", call_id=call_id, to=to)

    async def dial(self, number: str, caller_id: str | None = None) -> dict:
        """Checked here by the server's own rule, so a typo never costs a round trip."""
        args = {"number": number, **({"caller_id": caller_id} if caller_id else {})}
        for name in args:
            try:
                P.arg_digits(args, name)
            except P.BadArgs as exc:
                raise CtiError("bad_args", str(exc)) from None
        result = await self.request("dial", **args)
        call_id = result.get("call_id") if isinstance(result, dict) else None
        if call_id:
            self._update(CS.on_dialled(self.state, str(call_id), number, caller_id or "",
                                       self.seat, P.ts_iso(time.time())))
        return result

    async def monitor(self) -> dict:
        """Subscribe to the supervisor's view. The subscription ends with the connection:
        call it again when on_status reports "logged_in" after a reconnect."""
        return await self.request("monitor")

    async def broadcast(self, text: str) -> dict:
        return await self.request("broadcast", text=text)

    async def fetch_recording(self, recording_id: str, dest: Path) -> Path:
        """Fetch a recording into `dest` (via dest.with_suffix('.part'), SHA-256 checked).
        The request timeout applies between chunks, not to the whole file."""
        link = self._live()
        dest = Path(dest)
        part = dest.with_suffix(".part")
        rid, queue = link.stream("get_recording", {"recording_id": recording_id})
        digest, expected = hashlib.sha256(), 0
        try:
            # chunks are at most 32 KiB: writing them in the loop costs less than a thread hop
            with open(part, "wb") as out:
                while True:
                    msg = await bounded(queue.get(), self.request_timeout)
                    if msg is None:
                        raise CtiError("timeout", "the recording stopped arriving")
                    if isinstance(msg, CtiError):
                        raise msg
                    if not msg.get("ok"):
                        raise refusal(msg)
                    if msg.get("chunk") != expected:
                        raise CtiError("bad_frame", f"chunk {msg.get('chunk')} out of order")
                    try:
                        data = base64.b64decode(msg.get("data", ""), validate=True)
                    except (binascii.Error, TypeError, ValueError):
                        raise CtiError("bad_frame", "a chunk is not base64") from None
                    out.write(data)
                    digest.update(data)
                    expected += 1
                    if msg.get("last"):
                        break
            if msg.get("sha256") != digest.hexdigest():
                raise CtiError("bad_checksum", "the recording does not match its SHA-256")
            os.replace(part, dest)
            return dest
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            link.unstream(rid)

    # -- supervisor ------------------------------------------------------------------------------
    async def _supervise(self) -> None:
        step = 0
        while not self._stopping:
            self._set_status("connecting")
            self._got_in = False
            try:
                await self._session()
                code = "connection_lost"
            except Dropped as exc:
                code = exc.code
                if code == "auth_failed":
                    self._ticket = None  # refused even with the password: start from it
                log.warning("CTI link %s:%s dropped: %s", self.host, self.port, exc)
            except ssl_module.SSLError as exc:  # not verified, or not TLS at the other end
                code = "tls_failed"
                log.warning("CTI link %s:%s: %s", self.host, self.port, exc)
            except (OSError, EOFError) as exc:
                code = "connect_failed" if self._link is None else "connection_lost"
                log.warning("CTI link %s:%s: %s", self.host, self.port, exc)
            except Exception:  # a bug here must not end the supervisor: log, retry later
                code = "internal"
                log.exception("CTI link %s:%s failed", self.host, self.port)
            finally:
                link, self._link = self._link, None
                if link is not None:
                    link.close("the CTI link dropped")
            if self._stopping:
                break
            if self._got_in:
                step = 0  # a login succeeded on this connection: back-off starts again
            self._set_status("disconnected", code)
            if code in PERMANENT:
                delay = self.backoff[-1]
            else:
                delay = self.backoff[min(step, len(self.backoff) - 1)]
                step += 1
            # jitter: after a server restart 150 desks must not all hash passwords at once
            await asyncio.sleep(delay * random.uniform(0.8, 1.0))

    async def _session(self) -> None:
        """One connection, from connect to its end (raises Dropped or OSError)."""
        opened = await bounded(asyncio.open_connection(
            self.host, self.port, limit=READ_LIMIT, ssl=self.ssl,
            ssl_handshake_timeout=CONNECT_TIMEOUT_S if self.ssl else None), CONNECT_TIMEOUT_S)
        if opened is None:
            raise Dropped("connect_failed", "connect timed out")
        if self.ssl is not None:
            self._check_certificate(opened[1])
        self._last_seq = None
        link = self._link = Link(*opened, on_event=self._on_event)
        self._set_status("connected")
        beating: asyncio.Task | None = None
        try:
            hello = await self._handshake(link, "hello", {"protocol": P.PROTOCOL,
                                                          "client": self.client_name})
            self.heartbeat_s = float(hello.get("heartbeat_s") or 15)
            self.server = hello.get("server")
            login = {"user": self.user, "password": self.password, "seat": self.seat,
                     "groups": self.groups}
            if self._ticket:
                login["ticket"] = self._ticket
            await self._handshake(link, "login", login)
            log.info("CTI logged in as %s at seat %s%s", self.user, self.seat,
                     " (resumed)" if self.resumed else "")
            self._got_in = True
            self._logged_in.set()
            self._set_status("logged_in", "resumed" if self.resumed else "")
            beating = asyncio.create_task(self._heartbeat(link), name="cti-heartbeat")
            done, _ = await asyncio.wait({link.reading, beating},
                                         return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                t.result()  # raises Dropped with the reason
        finally:
            self._logged_in.clear()
            tasks = {t for t in (link.reading, beating) if t is not None}
            for t in tasks:
                t.cancel()
            await asyncio.wait(tasks, timeout=STOP_TASKS_S)
            for t in tasks:  # retrieved, so asyncio never reports them as forgotten
                if t.done() and not t.cancelled():
                    t.exception()

    def _check_certificate(self, writer: asyncio.StreamWriter) -> None:
        """Note the server's fingerprint; with pinning, refuse one that is not the pin
        (the socket is closed here: nothing of ours has been sent on it)."""
        tls = writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        if not der:
            writer.transport.abort()
            raise Dropped("tls_failed", "the server showed no certificate")
        fp = fingerprint(der)
        self.server_fingerprint = fp
        if not self.pinning:
            return
        if not self.pin:
            self.pin = fp
            log.warning("CTI server %s:%s trusted at first use: certificate SHA-256 %s",
                        self.host, self.port, fp)
            if self.on_pin is not None:
                try:
                    self.on_pin(fp)  # the caller keeps it
                except Exception:  # not kept: pinned for this client's life all the same
                    log.exception("the CTI server's pin was not kept")
        elif not same_fingerprint(fp, self.pin):
            writer.transport.abort()
            raise Dropped("tls_pin_changed", f"the server's certificate is SHA-256 {fp}, "
                          f"not the pinned {self.pin}")

    async def _handshake(self, link: Link, verb: str, args: dict) -> dict:
        hook = self._logged_in_as if verb == "login" else None
        call = asyncio.ensure_future(link.call(verb, args, LOGIN_TIMEOUT_S, hook))
        try:
            done, _ = await asyncio.wait({call, link.reading}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not call.done():  # cancelled (stop), or the reader ended first
                call.cancel()
        if call not in done:  # the connection is gone
            link.reading.result()
            raise Dropped("connection_lost", f"closed during {verb}")
        try:
            return call.result()
        except CtiError as exc:
            if verb == "hello" and exc.code == "bad_args":
                raise Dropped("protocol", exc.message) from None
            raise Dropped(exc.code, exc.message) from None

    def _logged_in_as(self, msg: dict) -> None:
        # runs in the reader: events written right after the result (agent_state, call_*)
        # are read before the supervisor runs again, and must update this, not be undone
        agent = msg.get("agent")
        self._agent_raw = dict(agent) if isinstance(agent, dict) else {"user": self.user}
        self._update(CS.on_login(self.state, msg, P.ts_iso(time.time())))
        self.resumed = bool(msg.get("resumed"))
        self._keep_ticket(msg)

    def _keep_ticket(self, msg: dict) -> None:
        ticket = msg.get("ticket")
        self._ticket = ticket if isinstance(ticket, str) and ticket else self._ticket

    async def _heartbeat(self, link: Link) -> None:
        # a ping unanswered by the time the next one is due means the link is dead
        interval = max(self.heartbeat_s, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                self._keep_ticket(await link.call("ping", {}, interval))  # refreshed
            except CtiError as exc:
                raise Dropped("ping_timeout" if exc.code == "timeout" else exc.code,
                              exc.message) from None

    # -- events ----------------------------------------------------------------------------------
    def _on_event(self, msg: dict) -> None:
        seq = msg.get("seq")
        if isinstance(seq, int):
            if self._last_seq is not None and seq != self._last_seq + 1:
                self.seq_gaps += 1
                log.warning("CTI event seq gap: %s after %s", seq, self._last_seq)
            self._last_seq = seq
        try:
            self._update(CS.on_event(self.state, msg))
            if self.on_event is not None:
                self.on_event(msg)
        except Exception:  # a bug in a handler must not end the link
            log.exception("CTI event handler failed on %s", msg.get("event"))

    def _set_status(self, status: str, detail: str = "") -> None:
        if (status, detail) == (self.status, self.detail):
            return
        self.status, self.detail = status, detail
        self._update(CS.with_status(self.state, status))
        if self.on_status is not None:
            try:
                self.on_status(status, detail)
            except Exception:
                log.exception("CTI on_status handler failed")
