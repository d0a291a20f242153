"""The one bridge between the asyncio CTI client and Qt.

CtiBridge owns one agent_app.cti.client.CtiClient on the qasync loop. The client owns the
agent's and its calls' state (one immutable CallState snapshot, agent_app/cti/callstate.py);
the bridge exposes it (`state`, and `state_changed` carrying each new one) and keeps no copy.
Panels never touch the socket: they call a method here and render from the snapshot.

Commands never raise into Qt, never block and never open a dialog. A refusal from the server
(CtiError: an error result, a dropped link, a timeout) is reported through
`command_failed(verb, text)` in the agent's words; a command that succeeded is reported
through `command_done(verb)`. Any other exception in a command is a bug in this program: it
goes to sys.excepthook (the crash dialog), never to the agent dressed up as a refusal.
`fetch_recording` is the exception: it is awaited by its caller, which shows the error.

Events that are not state (recordings, messages, and what a monitoring supervisor sees of
the other agents) are passed on as they come.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from agent_app.cti.callstate import CallState
from agent_app.cti.client import CtiClient
from agent_app.cti.link import CtiError
from agent_app.cti.tls import desk_options
from ui.call import common as C

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """A refusal as one line: the server's message (code in brackets) or the OS error."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    code = getattr(exc, "code", None)
    return f"{message} ({code})" if code else message


class CtiBridge(QObject):
    status_changed = Signal(str, str)      # status, detail
    state_changed = Signal(object)         # CallState: every new snapshot of the client's
    recording_ready = Signal(dict)
    message = Signal(dict)
    monitor_event = Signal(dict)           # agent_state / queue_status / call_* of anyone
    dial_placed = Signal(dict)             # the outbound call object right after `dial`
    command_failed = Signal(str, str)      # verb, text
    command_done = Signal(str)             # verb: the server accepted it
    pinned = Signal(str)                   # SHA-256 of the CTI server's certificate, first use

    def __init__(self, ctx, *, client_factory: Callable[..., Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._factory = client_factory
        self.client = None
        self.status = "disconnected"
        self.detail = ""
        self._tasks: set[asyncio.Future] = set()
        self._manual_disconnect = False
        self._dispatch: dict[str, Callable[[dict], None]] = {
            "agent_state": self.monitor_event.emit,
            "call_ringing": self.monitor_event.emit,
            "call_answered": self.monitor_event.emit,
            "call_held": self.monitor_event.emit,
            "call_resumed": self.monitor_event.emit,
            "call_transferred": self.monitor_event.emit,
            "call_ended": self.monitor_event.emit,
            "recording_ready": self._ev_recording,
            "queue_status": self.monitor_event.emit,
            "message": self.message.emit,
        }

    # -- state ------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """True when commands can reach the server as this agent (logged in)."""
        return self.status == "logged_in"

    @property
    def state(self) -> CallState:
        """The client's snapshot (a logged-out one while there is no client)."""
        client = self.client
        state = getattr(client, "state", None) if client is not None else None
        return state if isinstance(state, CallState) else CallState(user=self.login)

    @property
    def agent(self) -> dict | None:
        """This agent's agent object (protocol shape), read from the client."""
        return getattr(self.client, "agent", None) if self.client is not None else None

    @property
    def call(self) -> dict | None:
        """This agent's live call (protocol shape), read from the snapshot."""
        current = self.state.current
        return current.as_dict() if current is not None else None

    @property
    def login(self) -> str:
        return self.ctx.actor.login

    def _credentials(self) -> tuple[str, str] | None:
        """The login's (login, password) for the CTI link's own login, held in memory."""
        if not self.ctx.credentials:
            return None
        login, password = self.ctx.credentials
        return (login or self.login, password) if password else None

    def can_connect(self) -> bool:
        return bool(self.ctx.settings.seat) and self._credentials() is not None

    # -- link -------------------------------------------------------------------------------
    def auto_connect(self) -> None:
        """Connect once the event loop runs (install() is called before it does at start-up,
        and the client's supervisor task needs a running loop), unless the agent has
        disconnected by hand since."""
        if self._manual_disconnect or self.client is not None:
            return
        if not C.loop_running():
            QTimer.singleShot(50, self, self.auto_connect)
            return
        self.connect_link()

    def connect_link(self) -> None:
        """Connect and log in; the client then reconnects by itself until disconnect."""
        self._manual_disconnect = False
        if self.client is not None:
            return
        cred = self._credentials()
        settings = self.ctx.settings
        if cred is None or not settings.seat:
            self._set_status("disconnected", "no credentials" if cred is None else "no seat")
            return
        try:
            factory = self._factory or CtiClient
            client = factory(settings.cti_host, int(settings.cti_port), user=cred[0],
                             password=cred[1], seat=settings.seat,
                             groups=list(settings.groups), **desk_options(settings),
                             on_pin=self._pinned)
        except Exception as exc:  # noqa: BLE001 - a missing client module, bad settings
            log.exception("cannot create the CTI client")
            self._set_status("disconnected", error_text(exc))
            return
        # callbacks only while this client is the bridge's: a stopped client's late
        # "disconnected" must not overwrite the status of the one that replaced it
        client.on_status = lambda *a, c=client: self._on_status(*a) if c is self.client else None
        client.on_event = lambda ev, c=client: self._on_event(ev) if c is self.client else None
        client.add_listener(
            lambda st, c=client: self.state_changed.emit(st) if c is self.client else None)
        self.client = client
        self._spawn("connect", client.start())

    def disconnect_link(self) -> None:
        self._manual_disconnect = True
        client, self.client = self.client, None
        if client is not None:
            self._spawn("disconnect", client.stop())
        self._set_status("disconnected", "")
        self.state_changed.emit(self.state)

    async def aclose(self) -> None:
        """Stop the client and wait for it (used when the window closes and by tests)."""
        # a connect or command still queued runs first (they are short: the client bounds
        # every wait), so a start() scheduled just before cannot outlive the stop()
        await self._settle()
        client, self.client = self.client, None
        if client is not None:
            try:
                await client.stop()
            except Exception:  # noqa: BLE001 - closing must not fail
                log.exception("CTI client stop failed")
        await self._settle()

    async def _settle(self) -> None:
        pending = list(self._tasks)
        if pending:
            _done, stuck = await asyncio.wait(pending, timeout=3)
            for t in stuck:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # -- agent commands ---------------------------------------------------------------------
    def ready(self) -> None:
        self._command("ready", lambda c: c.ready())

    def busy(self, reason: str | None = None) -> None:
        self._command("busy", lambda c: c.busy(reason or None))

    def answer(self) -> None:
        """Answer the call ringing here; nothing at all when none is (F2 on an idle desk)."""
        ringing = self.state.ringing
        if ringing is None or not self.connected:
            return
        self._command("answer", lambda c: c.answer(ringing.call_id))

    def hangup(self) -> None:
        self._call_command("hangup", lambda c, cid: c.hangup(cid))

    def hold(self) -> None:
        self._call_command("hold", lambda c, cid: c.hold(cid))

    def unhold(self) -> None:
        self._call_command("unhold", lambda c, cid: c.unhold(cid))

    def transfer(self, to: dict) -> None:
        self._call_command("transfer", lambda c, cid: c.transfer(cid, dict(to)))

    def dial(self, number: str) -> None:
        number = "".join(ch for ch in number.strip() if not ch.isspace() and ch != "-")
        caller_id = self.ctx.settings.caller_id or None

        async def run(c) -> None:
            result = await c.dial(number, caller_id=caller_id)
            placed = self.state.call((result or {}).get("call_id"))
            if placed is not None:
                self.dial_placed.emit(placed.as_dict())
        self._command("dial", run)

    def monitor(self) -> None:
        async def run(c) -> None:
            snapshot = await c.monitor()
            # the snapshot reaches the supervisor table like any later event
            for agent in (snapshot or {}).get("agents", []):
                self.monitor_event.emit({"event": "agent_state", "agent": agent})
            for group in (snapshot or {}).get("groups", []):
                self.monitor_event.emit({"event": "queue_status", **group})
        self._command("monitor", run)

    def broadcast(self, text: str) -> None:
        self._command("broadcast", lambda c: c.broadcast(text))

    async def fetch_recording(self, recording_id: str) -> Path:
        """Download a recording into the recordings folder; raises on refusal."""
        if self.client is None:
            raise ConnectionError(self.tr("CTI link not connected"))
        folder = self.ctx.settings.recordings_folder()
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch for ch in recording_id if ch.isalnum() or ch in "-_.") or "recording"
        dest = folder / (safe if safe.endswith(".wav") else f"{safe}.wav")
        return await self.client.fetch_recording(recording_id, dest)

    # -- scheduling -------------------------------------------------------------------------
    def _spawn(self, verb: str, coro: Coroutine) -> asyncio.Future:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except CtiError as exc:  # the server (or the link) said no: the agent's business
                log.info("CTI %s refused: %s", verb, exc)
                self.command_failed.emit(verb, self.refusal_text(exc))
            except Exception:  # noqa: BLE001 - a bug: the crash dialog, never a "refusal"
                log.error("CTI %s failed", verb, exc_info=True)
                sys.excepthook(*sys.exc_info())
            else:
                self.command_done.emit(verb)
        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def refusal_text(self, exc: BaseException) -> str:
        """A refusal in the user's words: the common codes translated, others as the
        server worded them (its messages are English)."""
        texts = {"bad_state": self.tr("Not possible in the present state of the agent or "
                                      "the call."),
                 "forbidden": self.tr("You are not permitted to do this."),
                 "not_connected": self.tr("CTI link not connected"),
                 "disconnected": self.tr("The CTI link dropped; try again when it is back."),
                 "timeout": self.tr("The CTI server did not answer in time."),
                 "no_such_call": self.tr("The call has already ended."),
                 "bad_args": self.tr("Not accepted: {detail}")}
        text = texts.get(getattr(exc, "code", None) or "")
        if text is None:
            return error_text(exc)
        return text.format(detail=getattr(exc, "message", "") or str(exc))

    def _command(self, verb: str, fn: Callable[[Any], Coroutine]) -> None:
        if self.client is None or not self.connected:
            self.command_failed.emit(verb, self.tr("CTI link not connected"))
            return
        self._spawn(verb, fn(self.client))

    def _call_command(self, verb: str, fn: Callable[[Any, str], Coroutine]) -> None:
        current = self.state.current
        if current is None:
            self.command_failed.emit(verb, self.tr("There is no call."))
            return
        self._command(verb, lambda c: fn(c, current.call_id))

    # -- client callbacks -------------------------------------------------------------------
    def _set_status(self, status: str, detail: str) -> None:
        if (status, detail or "") != (self.status, self.detail):
            log.info("CTI link: %s %s", status, detail or "")
        self.status, self.detail = status, detail or ""
        self.status_changed.emit(status, self.detail)

    def _on_status(self, status: str, detail: str = "") -> None:
        # A dropped link keeps the call on the server for the grace period: the client's
        # snapshot keeps it too, until the resumed login or an event says otherwise.
        self._set_status(status, detail)

    def _pinned(self, fp: str) -> None:
        # on the loop's thread, between the handshake and the login: a small file write
        try:
            self.ctx.settings.remember_cti_pin(fp)
        except OSError:
            log.exception("the CTI server's pin was not saved; it is pinned until the "
                          "desk closes")
        self.pinned.emit(fp)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate the CTI server showed, "" without TLS."""
        return getattr(self.client, "server_fingerprint", "") if self.client else ""

    @property
    def pin(self) -> str:
        return getattr(self.client, "pin", "") if self.client else ""

    def _on_event(self, event: dict) -> None:
        # the client has already folded the event into its snapshot (state_changed)
        name = event.get("event", "")
        if name == "agent_state" and (event.get("agent") or {}).get("user") == self.login:
            agent = event["agent"]
            log.info("CTI agent %s: %s %s", self.login, agent.get("state"),
                     agent.get("reason") or "")
        elif name.startswith("call_") and self.state.call(
                (event.get("call") or {}).get("call_id")) is not None:
            log.info("CTI %s %s", name, event["call"]["call_id"])
        handler = self._dispatch.get(name)
        if handler is None:
            return  # unknown events are ignored (forward compatibility)
        try:
            handler(event)
        except Exception:  # noqa: BLE001 - one bad event must not stop the stream
            log.exception("CTI event %s not handled", event.get("event"))

    def _ev_recording(self, event: dict) -> None:
        self.monitor_event.emit(event)
        self.recording_ready.emit(event)

