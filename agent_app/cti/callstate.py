"""The agent's and its calls' state as the desk knows it: one immutable snapshot.

`CtiClient` owns the only copy (`client.state`) and replaces it on every event of ours, on
the login result (a resync after a reconnect) and on the result of our own `dial`; the UI
renders from it and keeps none of its own. The rules live here as pure functions of
(snapshot, message) so they are tested without sockets.

What the protocol tells only implicitly, and how it is read here:
- A call that rang out unanswered: the server sends no call event to the agent, only
  `agent_state` busy with reason `no_answer` and `call_id` null. A live call that is no
  longer the agent's `call_id` has therefore left this seat: ringing → `no_answer` (rang
  out here) or `taken_elsewhere` (offered to another agent, e.g. after a logout); talking
  or held → `transferred` (a transfer to an agent tells only the new agent).
- A call event about our live call that names another agent (seen by a monitoring
  supervisor) likewise means the call went elsewhere.
- A login result (first, or resumed after a reconnect) is the server's whole view: a live
  call it does not list ended while the link was down (cause unknown until a `call_ended`
  for it arrives, which then fills it in).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

# the client's own end causes, beside the protocol's (cti-protocol.md, "Calls")
TAKEN_ELSEWHERE = "taken_elsewhere"

AGENT_STATES = ("logged_out", "busy", "ready", "ringing", "talking", "wrapup")
LIVE = ("ringing", "talking", "held")


@dataclass(frozen=True)
class CallView:
    """One call as this desk sees it. `state` is ringing/talking/held/ended (a queued call
    is nobody's at a desk); `since` is when it entered that state (protocol timestamp)."""

    call_id: str
    direction: str = "in"
    caller: str = ""
    dialed: str = ""
    group: str | None = None
    user: str | None = None
    state: str = "ringing"
    end_cause: str | None = None
    since: str | None = None
    queued_at: str | None = None
    answered_at: str | None = None
    ended_at: str | None = None
    talk_s: float | None = None
    recording_id: str | None = None
    dialled_here: bool = False      # placed by this desk's dial()
    raw: MappingProxyType = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def as_dict(self) -> dict[str, Any]:
        """The protocol's call object, with this view's state (for code that takes dicts)."""
        return {**self.raw, "call_id": self.call_id, "direction": self.direction,
                "caller": self.caller, "dialed": self.dialed, "group": self.group,
                "user": self.user, "state": self.state, "end_cause": self.end_cause,
                "queued_at": self.queued_at, "answered_at": self.answered_at,
                "ended_at": self.ended_at, "recording_id": self.recording_id}


@dataclass(frozen=True)
class CallState:
    """The snapshot: link status, this agent, and its call(s) — the live ones first, then
    the last ended one (kept so the console can say how it ended, until the next call)."""

    user: str = ""
    status: str = "disconnected"
    agent_state: str = "logged_out"
    reason: str | None = None
    agent_since: str | None = None
    agent_call_id: str | None = None
    calls: tuple[CallView, ...] = ()

    @property
    def logged_in(self) -> bool:
        return self.status == "logged_in"

    @property
    def current(self) -> CallView | None:
        """The live call (ringing, talking or held), if any."""
        return next((c for c in self.calls if c.live), None)

    @property
    def shown(self) -> CallView | None:
        """What the console shows: the live call, else the last one that ended."""
        return self.current or (self.calls[-1] if self.calls else None)

    @property
    def ringing(self) -> CallView | None:
        """An inbound call ringing at this agent: the only thing Answer can act on."""
        return next((c for c in self.calls if c.state == "ringing" and c.direction == "in"
                     and c.user == self.user), None)

    def call(self, call_id: str | None) -> CallView | None:
        return next((c for c in self.calls if c.call_id == call_id), None)


def _view(call: dict, *, state: str | None = None, since: str | None = None,
          old: CallView | None = None, **extra: Any) -> CallView:
    st = state or call.get("state") or (old.state if old else "ringing")
    if st == "queued":  # handed back to the queue: not at this desk any more
        st = "ended"
    keep_since = old is not None and old.state == st and old.since
    return CallView(
        call_id=str(call.get("call_id")),
        direction=call.get("direction") or (old.direction if old else "in"),
        caller=call.get("caller") or (old.caller if old else ""),
        dialed=call.get("dialed") or (old.dialed if old else ""),
        group=call.get("group") if call.get("group") is not None else (old.group if old else None),
        user=call.get("user") if "user" in call else (old.user if old else None),
        state=st,
        end_cause=extra.pop("end_cause", call.get("end_cause")),
        since=(old.since if keep_since else None) or since,
        queued_at=call.get("queued_at") or (old.queued_at if old else None),
        answered_at=call.get("answered_at") or (old.answered_at if old else None),
        ended_at=call.get("ended_at") or (old.ended_at if old else None),
        talk_s=extra.pop("talk_s", old.talk_s if old else None),
        recording_id=call.get("recording_id") or (old.recording_id if old else None),
        dialled_here=bool(old and old.dialled_here) or bool(extra.pop("dialled_here", False)),
        raw=MappingProxyType(dict(call)),
    )


def _put(s: CallState, view: CallView) -> CallState:
    """Insert or replace a call; a new live call drops the ended ones; one ended call kept."""
    others = [c for c in s.calls if c.call_id != view.call_id]
    if view.live and s.call(view.call_id) is None:
        others = [c for c in others if c.live]
    live = [c for c in others if c.live] + ([view] if view.live else [])
    ended = [c for c in others if not c.live] + ([] if view.live else [view])
    return dataclasses.replace(s, calls=tuple(live + ended[-1:]))


def _end(s: CallState, view: CallView, cause: str | None, ts: str | None) -> CallState:
    return _put(s, dataclasses.replace(view, state="ended", end_cause=cause, since=ts,
                                       ended_at=view.ended_at or ts))


def _left_seat(s: CallState, ts: str | None) -> CallState:
    """Live calls that are no longer the agent's call have left this seat."""
    for c in [c for c in s.calls if c.live and c.call_id != s.agent_call_id]:
        if c.state == "ringing" and c.direction == "in":
            cause = "no_answer" if s.reason == "no_answer" else TAKEN_ELSEWHERE
        elif c.state == "ringing":
            continue  # our dial: its result may come after the agent_state naming it
        else:
            cause = "transferred"
        s = _end(s, c, cause, ts)
    return s


def with_status(s: CallState, status: str) -> CallState:
    return s if s.status == status else dataclasses.replace(s, status=status)


def logged_out(s: CallState) -> CallState:
    """stop(): the agent is logged out; nothing of the session is current any more."""
    return CallState(user=s.user, status="disconnected")


def on_login(s: CallState, result: dict, ts: str | None = None) -> CallState:
    """The login result: the server's whole view of this agent (resync after reconnect)."""
    agent = result.get("agent") if isinstance(result.get("agent"), dict) else {}
    call = result.get("call") if isinstance(result.get("call"), dict) else None
    s = dataclasses.replace(s, agent_state=agent.get("state") or "busy",
                            reason=agent.get("reason"), agent_since=agent.get("since"),
                            agent_call_id=agent.get("call_id") or (call or {}).get("call_id"))
    for c in [c for c in s.calls if c.live and c.call_id != (call or {}).get("call_id")]:
        s = _end(s, c, None, ts)  # ended while we were away: call_ended may tell how
    if call is not None and call.get("call_id"):
        old = s.call(str(call["call_id"]))
        s = _put(s, _view(call, since=ts, old=old))
    return s


def on_dialled(s: CallState, call_id: str, number: str, caller_id: str, seat: str,
               ts: str | None = None) -> CallState:
    """Our dial's result: the outbound call exists (its outcome comes as events)."""
    old = s.call(call_id)
    if old is not None:
        return _put(s, dataclasses.replace(old, dialled_here=True))
    return _put(s, _view({"call_id": call_id, "direction": "out", "caller": caller_id,
                          "dialed": number, "seat": seat, "user": s.user,
                          "state": "ringing"}, since=ts, dialled_here=True))


def on_event(s: CallState, msg: dict) -> CallState:
    """One server event → the next snapshot (the same object when it is not about us)."""
    name, ts = msg.get("event"), msg.get("ts")
    if name == "agent_state":
        agent = msg.get("agent")
        if not isinstance(agent, dict) or agent.get("user") != s.user:
            return s
        s = dataclasses.replace(s, agent_state=agent.get("state") or s.agent_state,
                                reason=agent.get("reason"), agent_since=agent.get("since"),
                                agent_call_id=agent.get("call_id"))
        return _left_seat(s, ts)
    call = msg.get("call")
    if not (isinstance(name, str) and name.startswith("call_")) or not isinstance(call, dict) \
            or call.get("call_id") is None:
        return s
    cid = str(call["call_id"])
    old = s.call(cid)
    mine = call.get("user") == s.user
    if not mine:
        if old is None or not old.live:
            return s  # another agent's call, seen because we monitor
        cause = "transferred" if name == "call_transferred" or old.state != "ringing" \
            else TAKEN_ELSEWHERE
        if name == "call_ended":
            return _put(s, _view(call, state="ended", since=ts, old=old,
                                 talk_s=msg.get("talk_s")))
        return _end(s, old, cause, ts)
    if name == "call_ended":
        return _put(s, _view(call, state="ended", since=ts, old=old, talk_s=msg.get("talk_s")))
    if old is not None and not old.live and name != "call_ringing":
        return s  # a late event about a call that already left this seat
    state = {"call_ringing": "ringing", "call_answered": "talking", "call_held": "held",
             "call_resumed": "talking"}.get(name)
    return _put(s, _view(call, state=state, since=ts, old=old))
