"""The screen-pop (弹屏): the caller's record on screen the moment the phone rings.

It renders from the CTI client's snapshot (bridge.state_changed): a call that appears
ringing for this agent (or, one this desk dialled, answered by the far end) pops; a popped
call that ends is written down; the record's banner names the call's state when it ended
(so a call that rang out is never left looking like one still ringing). The controller looks
the caller up with CallService.pop_context (one worker call, ≤ 50 ms), then hands the result
to the customer screen (ui.kit.contracts): one match → that record; several → a short pick list; none → a blank
new-customer form with the phone and region filled in. A banner names the hotline, medium
and product so the agent knows which advert the caller saw.

Each pop's latency, from the signal's arrival to the record painted (show_bundle returned
and one synchronous repaint), is kept in `pop_latencies_ms` for the benchmark.

When the call ends, the call is written into the customer's contact log (log_call, keyed by
call_id so it is written once and completed later with the recording; later notes are
saved over the contact's version this desk last saw); a customer
registered during the call is linked to the call record (CallService.link_customer).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from agent_app.services.privacy import shown_number
from ui.call import common as C
from ui.kit.changes import Change
from ui.kit.contracts import CustomerScreen
from ui.kit.panel import ServiceCalls

log = logging.getLogger(__name__)
KEEP_ENDED = 50  # ended calls remembered for a late registration or recording


@dataclass
class PoppedCall:
    call: dict
    direction: str
    at: dt.datetime
    customer_id: int | None = None
    registered: bool = False      # the customer was registered during this call
    talk_s: float | None = None
    recording_id: str | None = None
    ended: bool = False
    banner: str = ""              # the banner as popped, before the call's end is added
    # the version of this call's contact as this desk last wrote or read it: notes are
    # saved over that version only (someone's edit on the 联系 tab since is not lost)
    contact_version: int | None = None


class ScreenPop(ServiceCalls, QObject):
    popped = Signal(str, str)          # call_id, "record" | "pick" | "new"
    failed = Signal(str)               # text for the console's message line

    def __init__(self, ctx, bridge, screen: Callable[[], CustomerScreen | None],
                 window=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.bridge, self._screen, self.window = ctx, bridge, screen, window
        self.notes_source: Callable[[str], str | None] = lambda _cid: None
        self.pop_latencies_ms: list[float] = []
        self.calls: OrderedDict[str, PoppedCall] = OrderedDict()
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Future] = set()
        self._hooked: CustomerScreen | None = None
        self._banner_of: PoppedCall | None = None  # the call the record's banner is about
        bridge.state_changed.connect(self.on_state)
        bridge.recording_ready.connect(self.on_recording)

    # -- the customer screen ----------------------------------------------------------------
    def screen(self) -> CustomerScreen | None:
        screen = self._screen()
        if screen is not None and screen is not self._hooked:
            self._hooked = screen
            screen.customer_registered.connect(self.on_registered)
            screen.customer_opened.connect(self.on_opened)
        return screen

    # -- signals in -------------------------------------------------------------------------
    def on_state(self, st) -> None:
        """Each call of the snapshot that needs it: popped once, written down once."""
        for view in st.calls:
            known = self.calls.get(view.call_id)
            if known is None:
                mine = view.user in (None, st.user)
                if view.state == "ringing" and view.direction == "in" and mine:
                    self.on_ringing(view)
                elif view.state == "talking" and view.direction == "out" and view.dialled_here:
                    self.on_answered(view)  # outbound pops when the far end answers
            elif view.state == "ended" and not known.ended:
                self.on_ended(view)

    def on_ringing(self, view) -> None:
        t0 = time.perf_counter()
        call = view.as_dict()
        self._begin(call)  # now: the call may end before the pop task first runs
        self.spawn(self.pop(call, view.caller, view.dialed, view.group or "", t0))

    def on_answered(self, view) -> None:
        t0 = time.perf_counter()
        call = view.as_dict()
        self._begin(call)
        self.spawn(self.pop(call, view.dialed, "", view.group or "", t0))

    def on_ended(self, view) -> None:
        state = self.calls[view.call_id]
        if state.customer_id is None:  # picked from several matches during the call
            state.customer_id = self._record_shown_for(view.call_id)
        state.ended = True
        state.talk_s = view.talk_s
        state.call = {**state.call, **view.as_dict()}
        self._end_banner(state, view)
        self.spawn(self.log_call(state, notes=self.notes_source(view.call_id)))

    def _end_banner(self, state: PoppedCall, view) -> None:
        """The banner of the call on the record, with how it ended."""
        screen = self._screen()
        if screen is None or not state.banner or self._banner_of is not state:
            return
        words = C.call_state_text("ended")
        if view.end_cause:
            words += f" · {C.end_cause_text(view.end_cause)}"
        screen.set_pop_banner(f"{state.banner} · {words}")

    def on_recording(self, event: dict) -> None:
        state = self.calls.get(event.get("call_id"))
        if state is not None:
            state.recording_id = event.get("recording_id")
            if state.ended:
                self.spawn(self.log_call(state))

    def on_registered(self, customer_id: int, call_id: str) -> None:
        state = self.calls.get(call_id)
        if state is None:
            return
        state.customer_id, state.registered = customer_id, True
        self.spawn(self.link(state))

    def on_opened(self, customer_id: int, call_id: str) -> None:
        """The agent picked one of several matches (or opened a record) for this call."""
        state = self.calls.get(call_id)
        if state is not None and state.customer_id is None:
            state.customer_id = customer_id
            if state.ended:
                self.spawn(self.log_call(state))

    def _record_shown_for(self, call_id: str | None) -> int | None:
        """The customer the record shows for this call, if it shows one."""
        if self._hooked is None or not call_id:
            return None
        return self._hooked.customer_for_call(call_id)

    # -- the pop ----------------------------------------------------------------------------
    def _begin(self, call: dict) -> PoppedCall:
        cid = call.get("call_id") or ""
        direction = call.get("direction") or "in"
        at = C.parse_ts(call.get("answered_at") if direction == "out" else None) \
            or C.parse_ts(call.get("queued_at")) or dt.datetime.now(dt.UTC)
        state = self.calls[cid] = PoppedCall(call=dict(call), direction=direction, at=at)
        self._forget_old()
        return state

    async def pop(self, call: dict, caller: str, dialed: str, group: str, t0: float) -> None:
        cid = call.get("call_id") or ""
        state = self.calls.get(cid) or self._begin(call)
        # the advert running when the call came in, not when the lookup ran
        ctx = await self.call_service(C.call_service(self.ctx).pop_context,
                                      caller, dialed, state.at, viewer=self.ctx.actor)
        if ctx is None:
            return
        screen = self.screen()
        if screen is None:
            log.warning("screen pop for %s: no customer screen installed", cid)
            return
        state.banner = self.banner(state.direction, shown_number(self.ctx.actor, caller), dialed,
                                   group or ctx.group, ctx)
        self._banner_of = state
        screen.set_pop_banner(state.banner)
        if ctx.bundle is not None:
            state.customer_id = ctx.bundle.customer.id
            screen.show_bundle(ctx.bundle, call=call)
            kind = "record"
        elif len(ctx.matches) > 1:
            screen.pick_customer(list(ctx.matches), call=call)
            kind = "pick"
        elif ctx.matches:  # one match but no bundle loaded: open it (loads, then shows)
            state.customer_id = ctx.matches[0].id
            screen.open_customer(ctx.matches[0].id, call=call)
            kind = "record"
        else:
            screen.new_customer(phone=caller, region_id=ctx.region_id, call=call)
            kind = "new"
        self._repaint(screen)
        self.pop_latencies_ms.append((time.perf_counter() - t0) * 1000)
        log.info("screen-pop %s: %s, customer %s, %.0f ms", cid, kind, state.customer_id,
                 self.pop_latencies_ms[-1])
        self.popped.emit(cid, kind)
        if state.ended:
            ended = self.bridge.state.call(cid)
            if ended is not None:
                self._end_banner(state, ended)
        if state.ended and state.customer_id is not None:
            # the caller hung up while the lookup ran: on_ended had no customer to log
            await self.log_call(state, notes=self.notes_source(cid))

    def banner(self, direction: str, caller: str, dialed: str, group: str, ctx) -> str:
        if direction == "out":
            parts = [self.tr("Outbound call {number}").format(number=caller)]
        else:
            parts = [self.tr("Call {caller} → {dialed}").format(caller=caller, dialed=dialed)]
            if group:
                parts.append(self.tr("group {group}").format(group=group))
        parts += [p for p in (ctx.medium_name, ctx.product_name or ctx.variety_name) if p]
        return " · ".join(parts)

    def _repaint(self, screen: CustomerScreen) -> None:
        screen.record_dock().repaint()

    # -- writing the call down --------------------------------------------------------------
    async def log_call(self, state: PoppedCall, notes: str | None = None) -> bool:
        if state.customer_id is None:
            return False
        talk = state.talk_s
        async with self._lock:  # answer-time and end-time writes of one call in order
            _ok, contact = await self._write(
                C.contact_service(self.ctx).log_call, self.ctx.actor,
                customer_id=state.customer_id, call_id=state.call["call_id"],
                direction=state.direction, at=state.at,
                duration_s=None if talk is None else int(round(talk)),
                recording_id=state.recording_id, notes=notes,
                version=state.contact_version)
            if contact is not None:
                state.contact_version = contact.version
        if contact is not None:  # the record's 联系 tab shows it at once
            self.ctx.changes.announce(Change.CONTACT, contact.id,
                                      customer_id=state.customer_id)
        return True

    async def save_notes(self, call_id: str, text: str) -> bool:
        """The console's Save: the notes into this call's contact (False: no customer)."""
        state = self.calls.get(call_id)
        if state is None or state.customer_id is None:
            return False
        return await self.log_call(state, notes=text)

    async def link(self, state: PoppedCall) -> None:
        async with self._lock:
            linked, _ = await self._write(C.call_service(self.ctx).link_customer,
                                          self.ctx.actor, state.call["call_id"],
                                          state.customer_id)
        if linked:  # today's calls and the call query show the customer
            self.ctx.changes.announce(Change.CALL, 0, customer_id=state.customer_id)
        if state.ended:
            await self.log_call(state, notes=self.notes_source(state.call["call_id"]))

    async def _write(self, fn, *args, **kwargs) -> tuple[bool, object]:
        """(True, the service's result), or (False, None) after a known error, which goes
        to the console's message line; a bug propagates to the crash dialog."""
        return await self.attempt(self.ctx.runner.call(fn, *args, **kwargs))

    def show_failure(self, text: str) -> None:
        self.failed.emit(text)

    # -- housekeeping -----------------------------------------------------------------------
    def _forget_old(self) -> None:
        while len(self.calls) > KEEP_ENDED:
            self.calls.popitem(last=False)

    async def drain(self) -> None:
        """Wait for pops and writes in flight (tests, and before the window closes)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
