"""The ACD: agents, groups, queues and calls, as plain synchronous Python.

No sockets and no clock: every operation takes `now` (seconds) and returns the effects it
caused (who must hear about what), so the rules are tested exhaustively and the server is
a thin layer that turns effects into events. Routing rules (cti-protocol.md, "Routing"):

- an inbound call for group G rings the ready agent of G ready the longest (ties: lowest
  seat); a caller answered by agent A within 24 h goes to A first when A is ready;
- no ready agent in G: the overflow group by the same rule, then G's FIFO queue up to
  max_queue, beyond which the caller is rejected;
- ring-no-answer after the group's ring timeout: the agent goes busy ("no_answer") and the
  call is offered to the next agent (or waits again at the head of its queue);
- after a call the agent wraps up for the group's wrap-up seconds, then is ready again
  (or busy, if it asked for busy during the call).

Cost: choosing an agent pops a per-group heap keyed by (ready since, seat) — O(log n) in
the group's agents, stale entries dropped lazily; an agent turning ready looks only at the
heads of its groups' queues — O(groups). Nothing scans all agents or all calls.
"""
from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

CALLER_MEMORY_S = 24 * 3600


class RoutingError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class GroupConfig:
    number: str
    name: str = ""
    overflow: str | None = None
    max_queue: int = 50
    ring_timeout_s: float = 15
    wrapup_s: float = 10


@dataclass
class Agent:
    user: str
    name: str
    seat: str
    groups: tuple[str, ...]
    since: float
    state: str = "busy"
    reason: str | None = None
    call_id: str | None = None
    ready_since: float | None = None
    token: int = 0                      # bumps whenever a heap entry must go stale
    busy_after: str | None = None       # asked for busy during a call
    wrapup_until: float | None = None
    state_before_dial: str | None = None
    disconnected_at: float | None = None

    def public(self, iso) -> dict[str, Any]:
        return {"user": self.user, "name": self.name, "seat": self.seat,
                "groups": list(self.groups), "state": self.state, "reason": self.reason,
                "since": iso(self.since), "call_id": self.call_id}


@dataclass
class Call:
    call_id: str
    direction: str
    caller: str
    dialed: str
    group: str | None
    queued_at: float
    state: str = "queued"
    user: str | None = None
    seat: str | None = None
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    end_cause: str | None = None
    internal: bool = False
    ring_deadline: float | None = None
    recording_id: str | None = None
    skipped: set[str] = field(default_factory=set)  # agents who let it ring out

    def public(self, iso) -> dict[str, Any]:
        return {"call_id": self.call_id, "direction": self.direction, "caller": self.caller,
                "dialed": self.dialed, "seat": self.seat, "user": self.user,
                "group": self.group, "state": self.state, "queued_at": iso(self.queued_at),
                "answered_at": iso(self.answered_at), "ended_at": iso(self.ended_at),
                "end_cause": self.end_cause, "internal": self.internal,
                "recording_id": self.recording_id}

    @property
    def talk_s(self) -> float:
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        return round(self.ended_at - self.answered_at, 3)


@dataclass(frozen=True)
class StateChange:
    """One agent state transition as agent_state_log keeps it: `reason` is the busy
    state's reason, or why the agent was logged out (logout, connection_lost)."""
    at: float
    user: str
    seat: str
    state: str
    reason: str
    groups: tuple[str, ...]
    call_id: str | None

    def row(self) -> dict[str, Any]:
        return {"at": self.at, "agent_login": self.user, "seat": self.seat,
                "state": self.state, "reason": self.reason, "groups": ",".join(self.groups),
                "call_id": self.call_id}


# Effects: (kind, payload). Kinds: "agent" Agent, "ringing" Call, "answered" Call,
# "held"/"resumed"/"transferred" Call, "ended" Call, "queue" group number, "started" Call,
# "state" StateChange (one per agent state transition, for agent_state_log: an "agent"
# effect names the Agent object, whose state may have moved on by the end of the batch).
Effect = tuple[str, Any]


class Acd:
    def __init__(self, groups: dict[str, GroupConfig], internal_numbers: set[str] | None = None,
                 grace_s: float = 30.0) -> None:
        self.groups = dict(groups)
        self.internal_numbers = set(internal_numbers or ())
        self.grace_s = grace_s
        self.agents: dict[str, Agent] = {}
        self.calls: dict[str, Call] = {}
        self.queues: dict[str, deque[str]] = {g: deque() for g in groups}
        self._ready: dict[str, list[tuple]] = {g: [] for g in groups}
        self.memory: dict[str, tuple[str, float]] = {}
        self._fx: list[Effect] = []
        self._seq = itertools.count(1)

    # -- configuration -------------------------------------------------------------------
    def configure(self, groups: dict[str, GroupConfig], internal_numbers: set[str]) -> None:
        """Apply new configuration without a restart; queues of kept groups survive."""
        for g in groups:
            self.queues.setdefault(g, deque())
            self._ready.setdefault(g, [])
        self.groups = dict(groups)
        self.internal_numbers = set(internal_numbers)

    def new_call_id(self, now: float) -> str:
        return f"C{int(now * 1000):x}{next(self._seq):05d}"

    # -- helpers ---------------------------------------------------------------------------
    def _drain(self) -> list[Effect]:
        fx, self._fx = self._fx, []
        return fx

    def _agent(self, user: str) -> Agent:
        a = self.agents.get(user)
        if a is None:
            raise RoutingError("not_logged_in", "not logged in")
        return a

    def _set(self, a: Agent, state: str, now: float, reason: str | None = None, *,
             call_id: str | None = None, why: str = "") -> None:
        """Change an agent's state. A change of state or of busy reason is a transition
        (a "state" effect); setting the same again (resume puts a ready agent back in the
        heaps) is not. `call_id`: the call a wrap-up or a ring-no-answer follows; `why`:
        the log's reason for a logout."""
        if (a.state, a.reason) != (state, reason):
            self._fx.append(("state", StateChange(
                now, a.user, a.seat, state, (why or reason or "")[:32], a.groups,
                a.call_id or call_id)))
        a.state, a.reason, a.since = state, reason, now
        a.token += 1
        if state == "ready":
            a.ready_since = now
            key = (int(a.seat) if a.seat.isdigit() else 1 << 62, a.seat)
            for g in a.groups:
                heapq.heappush(self._ready[g], (now, key, a.user, a.token))
        else:
            a.ready_since = None
        if state != "wrapup":
            a.wrapup_until = None
        self._fx.append(("agent", a))
        for g in a.groups:
            self._fx.append(("queue", g))

    def _is_ready(self, a: Agent | None) -> bool:
        return (a is not None and a.state == "ready" and a.call_id is None
                and a.disconnected_at is None)

    def _top_ready(self, group: str, exclude: set[str]) -> Agent | None:
        heap = self._ready.get(group)
        if not heap:
            return None
        skipped = []
        found = None
        while heap:
            ready_since, key, user, token = heap[0]
            a = self.agents.get(user)
            if a is None or a.token != token or not self._is_ready(a):
                heapq.heappop(heap)  # stale: the agent left ready since
                continue
            if user in exclude:
                skipped.append(heapq.heappop(heap))
                continue
            found = a
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def _pick(self, call: Call, now: float) -> Agent | None:
        groups = [call.group]
        overflow = self.groups[call.group].overflow if call.group in self.groups else None
        if overflow and overflow in self.groups:
            groups.append(overflow)
        remembered = self.memory.get(call.caller)
        if remembered and now - remembered[1] <= CALLER_MEMORY_S:
            a = self.agents.get(remembered[0])
            if self._is_ready(a) and a.user not in call.skipped and any(
                    g in a.groups for g in groups):
                return a
        for g in groups:
            a = self._top_ready(g, call.skipped)
            if a is not None:
                return a
        return None

    def _ring(self, call: Call, a: Agent, now: float) -> None:
        cfg = self.groups.get(call.group or "", GroupConfig(call.group or ""))
        call.state, call.user, call.seat = "ringing", a.user, a.seat
        call.offered_at = now
        call.ring_deadline = now + min(max(cfg.ring_timeout_s, 1), 60)
        a.call_id = call.call_id
        self._set(a, "ringing", now)
        self._fx.append(("ringing", call))

    def _offer(self, call: Call, now: float, *, front: bool = False) -> None:
        a = self._pick(call, now)
        if a is not None:
            if call.call_id in self.queues.get(call.group, ()):
                self.queues[call.group].remove(call.call_id)
            self._ring(call, a, now)
            return
        q = self.queues.setdefault(call.group, deque())
        if call.call_id in q:
            return
        if not front and len(q) >= self.groups[call.group].max_queue:
            self._end(call, "rejected", now)
            return
        call.state, call.user, call.seat, call.ring_deadline = "queued", None, None, None
        (q.appendleft if front else q.append)(call.call_id)
        self._fx.append(("queue", call.group))

    def _end(self, call: Call, cause: str, now: float) -> None:
        if call.state == "ended":
            return
        if call.group and call.call_id in self.queues.get(call.group, ()):
            self.queues[call.group].remove(call.call_id)
            self._fx.append(("queue", call.group))
        call.state, call.end_cause, call.ended_at = "ended", cause, now
        call.ring_deadline = None
        self._fx.append(("ended", call))
        del self.calls[call.call_id]

    def _after_call(self, a: Agent, now: float) -> None:
        """The agent's call is over: wrap-up, or busy if it asked, then maybe ready."""
        ended, a.call_id = a.call_id, None
        if a.state_before_dial is not None:  # an outbound call that never connected
            before, a.state_before_dial = a.state_before_dial, None
            if a.busy_after is not None:
                reason, a.busy_after = a.busy_after, None
                self._set(a, "busy", now, reason, call_id=ended)
            elif before == "ready":
                self._set(a, "ready", now, call_id=ended)
                self._serve(a, now)
            else:
                self._set(a, before, now, a.reason, call_id=ended)
            return
        if a.busy_after is not None:
            reason, a.busy_after = a.busy_after, None
            self._set(a, "busy", now, reason or None, call_id=ended)
            return
        wrap = max((self.groups[g].wrapup_s for g in a.groups if g in self.groups), default=0)
        if wrap > 0:
            self._set(a, "wrapup", now, call_id=ended)
            a.wrapup_until = now + wrap
        else:
            self._set(a, "ready", now, call_id=ended)
            self._serve(a, now)

    def _serve(self, a: Agent, now: float) -> None:
        """A ready agent takes the oldest waiting call of its groups (or of groups that
        overflow into them)."""
        if not self._is_ready(a):
            return
        groups = set(a.groups) | {g for g, cfg in self.groups.items() if cfg.overflow in a.groups}
        best: Call | None = None
        for g in groups:
            for cid in self.queues.get(g, ()):
                c = self.calls[cid]
                if a.user in c.skipped:
                    continue
                if best is None or c.queued_at < best.queued_at:
                    best = c
                break
        if best is not None:
            self.queues[best.group].remove(best.call_id)
            self._fx.append(("queue", best.group))
            self._ring(best, a, now)

    def _call_of(self, a: Agent, call_id: str) -> Call:
        c = self.calls.get(call_id)
        if c is None or c.user != a.user or a.call_id != call_id:
            raise RoutingError("no_such_call", "no such call for this agent")
        return c

    # -- session ---------------------------------------------------------------------------
    def login(self, user: str, name: str, seat: str, groups: list[str], now: float) -> list[Effect]:
        for g in groups:
            if g not in self.groups:
                raise RoutingError("no_such_group", f"no group {g}")
        if user in self.agents:
            raise RoutingError("bad_state", "already logged in")
        for other in self.agents.values():
            if other.seat == seat:
                raise RoutingError("seat_in_use", f"seat {seat} is held by {other.user}")
        a = Agent(user=user, name=name, seat=seat, groups=tuple(groups), since=now,
                  state="logged_out")  # so that the login's busy is a transition
        self.agents[user] = a
        self._set(a, "busy", now)
        return self._drain()

    def disconnect(self, user: str, now: float) -> list[Effect]:
        a = self.agents.get(user)
        if a is not None:
            a.disconnected_at = now
            a.token += 1  # out of the ready heaps while away
        return self._drain()

    def resume(self, user: str, seat: str, now: float) -> tuple[Agent | None, list[Effect]]:
        """A new connection within the grace period takes the agent back as it was."""
        a = self.agents.get(user)
        if a is None or a.disconnected_at is None or a.seat != seat:
            return None, []
        a.disconnected_at = None
        if a.state == "ready":
            self._set(a, "ready", a.since)  # back into the heaps, idle time kept
            self._serve(a, now)             # calls may have queued while it was away
        return a, self._drain()

    # -- restarts ----------------------------------------------------------------------------
    @staticmethod
    def snapshot(a: Agent) -> dict[str, Any]:
        """What the journal keeps of an agent, so a restarted server can give it back."""
        return {"user": a.user, "name": a.name, "seat": a.seat, "groups": list(a.groups),
                "state": a.state, "reason": a.reason, "since": a.since,
                "call_id": a.call_id, "busy_after": a.busy_after}

    def restore(self, snap: dict[str, Any], now: float) -> Agent | None:
        """An agent the previous server life had, back as if its link had just dropped: the
        grace period runs from `now`, and a login from the same seat resumes it. Its call
        did not survive (the switch dropped it), so a ringing agent is ready again and a
        talking one wraps up as after any call."""
        groups = tuple(g for g in snap.get("groups") or () if g in self.groups)
        user, seat = str(snap.get("user") or ""), str(snap.get("seat") or "")
        if not groups or not user or not seat or user in self.agents or any(
                o.seat == seat for o in self.agents.values()):
            return None
        state, had_call = snap.get("state"), snap.get("call_id") is not None
        since = snap.get("since") if isinstance(snap.get("since"), (int, float)) else now
        busy_after = snap.get("busy_after")
        a = Agent(user=user, name=str(snap.get("name") or user), seat=seat, groups=groups,
                  since=since, state="busy", reason=snap.get("reason"), disconnected_at=now)
        wrap = max((self.groups[g].wrapup_s for g in groups), default=0)
        if state == "busy" or (had_call and busy_after is not None):
            if had_call and busy_after is not None:  # asked for busy during the call
                a.since, a.reason = now, busy_after or None
        elif state == "ready" and not had_call:
            a.state = "ready"  # resume() puts it back in the heaps, idle time kept
        elif state in ("ready", "ringing"):  # a dial or an offer that did not survive
            a.state, a.since, a.reason = "ready", now, None
        elif wrap > 0:  # talking or wrapping up: as after any call
            a.state, a.since, a.reason, a.wrapup_until = "wrapup", now, None, now + wrap
        else:
            a.state, a.since, a.reason = "ready", now, None
        self.agents[user] = a
        if (a.state, a.reason) != (state, snap.get("reason")):
            # changed by the restart (a call that did not survive): a transition, logged
            # once the server's journal is open (drain())
            self._fx.append(("state", StateChange(
                now, user, seat, a.state, a.reason or "", groups, snap.get("call_id"))))
        return a

    def drain(self) -> list[Effect]:
        """Effects left by restore(), for the server to journal once it can."""
        return self._drain()

    def stop_calls(self, cause: str, now: float) -> list[Effect]:
        """The server is stopping: every call ends with `cause`; agents keep their place
        (a ringing one is ready again, a talking one wraps up)."""
        agents = []
        for c in list(self.calls.values()):
            a = self.agents.get(c.user or "")
            self._end(c, cause, now)
            if a is not None and a.call_id == c.call_id:
                agents.append((a, c))
        for a, c in agents:
            if c.direction == "in" and c.answered_at is None:
                a.call_id = None
                self._set(a, "ready", now, call_id=c.call_id)
            else:
                self._after_call(a, now)
        return self._drain()

    def logout(self, user: str, now: float) -> list[Effect]:
        self._logout(self._agent(user), now)
        return self._drain()

    def _logout(self, a: Agent, now: float, why: str = "logout") -> None:
        user = a.user
        if a.call_id and a.call_id in self.calls:
            c = self.calls[a.call_id]
            if c.state == "ringing" and c.direction == "in":
                c.skipped.add(user)
                a.call_id = None
                self._offer(c, now, front=True)
            else:
                self._end(c, "answered" if c.answered_at else "abandoned", now)
        a.call_id = None
        self._set(a, "logged_out", now, why=why)
        del self.agents[user]

    # -- agent requests --------------------------------------------------------------------
    def ready(self, user: str, now: float) -> list[Effect]:
        a = self._agent(user)
        if a.call_id is not None or a.state not in ("busy", "wrapup", "ready"):
            raise RoutingError("bad_state", f"cannot become ready while {a.state}")
        if a.state != "ready":
            self._set(a, "ready", now)
            self._serve(a, now)
        return self._drain()

    def busy(self, user: str, reason: str | None, now: float) -> list[Effect]:
        a = self._agent(user)
        if a.call_id is not None:  # takes effect after the call
            a.busy_after = reason or ""
            return self._drain()
        if a.state not in ("busy", "ready", "wrapup"):
            raise RoutingError("bad_state", f"cannot become busy while {a.state}")
        self._set(a, "busy", now, reason)
        return self._drain()

    def answer(self, user: str, call_id: str, now: float) -> list[Effect]:
        a = self._agent(user)
        c = self._call_of(a, call_id)
        if c.state != "ringing" or c.direction != "in":
            raise RoutingError("bad_state", f"the call is {c.state}")
        c.state, c.answered_at, c.ring_deadline = "talking", now, None
        self.memory[c.caller] = (user, now)
        self._set(a, "talking", now)
        self._fx.append(("answered", c))
        return self._drain()

    def hangup(self, user: str, call_id: str, now: float) -> list[Effect]:
        a = self._agent(user)
        c = self._call_of(a, call_id)
        if c.direction == "in" and c.state == "ringing":
            raise RoutingError("bad_state", "answer the call first (or let it ring out)")
        self._end(c, "answered" if c.answered_at else "no_answer", now)
        self._after_call(a, now)
        return self._drain()

    def hold(self, user: str, call_id: str, held: bool, now: float) -> list[Effect]:
        a = self._agent(user)
        c = self._call_of(a, call_id)
        if c.state != ("talking" if held else "held"):
            raise RoutingError("bad_state", f"the call is {c.state}")
        c.state = "held" if held else "talking"
        self._fx.append(("held" if held else "resumed", c))
        return self._drain()

    def transfer(self, user: str, call_id: str, to: dict[str, str], now: float) -> list[Effect]:
        a = self._agent(user)
        c = self._call_of(a, call_id)
        if c.state not in ("talking", "held"):
            raise RoutingError("bad_state", f"the call is {c.state}")
        if "group" in to:
            if to["group"] not in self.groups:
                raise RoutingError("no_such_group", f"no group {to['group']}")
            c.group, c.user, c.seat = to["group"], None, None
            c.skipped = {user}
            self._fx.append(("transferred", c))
            self._after_call(a, now)
            c.queued_at = now
            self._offer(c, now)
        elif "user" in to:
            target = self.agents.get(to["user"])
            if not self._is_ready(target):
                raise RoutingError("bad_state", f"agent {to['user']} is not ready")
            self._fx.append(("transferred", c))
            self._after_call(a, now)
            self._ring(c, target, now)
        elif "number" in to:
            self._fx.append(("transferred", c))
            self._end(c, "transferred", now)
            self._after_call(a, now)
        else:
            raise RoutingError("bad_args", "'to' needs group, user or number")
        return self._drain()

    def dial(self, user: str, number: str, caller_id: str, now: float) -> tuple[Call, list[Effect]]:
        a = self._agent(user)
        if a.call_id is not None or a.state not in ("ready", "busy", "wrapup"):
            raise RoutingError("bad_state", f"cannot dial while {a.state}")
        c = Call(call_id=self.new_call_id(now), direction="out", caller=caller_id or a.seat,
                 dialed=number, group=None, queued_at=now, state="ringing", user=user,
                 seat=a.seat, offered_at=now, internal=number in self.internal_numbers)
        self.calls[c.call_id] = c
        a.state_before_dial = "ready" if a.state == "wrapup" else a.state
        a.call_id = c.call_id
        a.token += 1  # while the dialled call is up the agent gets no queued call
        self._fx.append(("agent", a))
        self._fx.append(("started", c))
        return c, self._drain()

    # -- the switch's side -------------------------------------------------------------------
    def inbound(self, caller: str, dialed: str, group: str, now: float,
                call_id: str | None = None) -> tuple[Call, list[Effect]]:
        if group not in self.groups:
            raise RoutingError("no_such_group", f"no group {group}")
        c = Call(call_id=call_id or self.new_call_id(now), direction="in", caller=caller,
                 dialed=dialed, group=group, queued_at=now,
                 internal=caller in self.internal_numbers)
        self.calls[c.call_id] = c
        self._fx.append(("started", c))
        self._offer(c, now)
        return c, self._drain()

    def caller_hangup(self, call_id: str, now: float) -> list[Effect]:
        c = self.calls.get(call_id)
        if c is None:
            return []
        a = self.agents.get(c.user) if c.user else None
        if c.state in ("queued", "ringing") and c.direction == "in":
            self._end(c, "abandoned", now)
            if a is not None and a.call_id == call_id:
                a.call_id = None
                self._set(a, "ready", now, call_id=call_id)
                self._serve(a, now)
        else:
            self._end(c, "answered" if c.answered_at else "abandoned", now)
            if a is not None and a.call_id == call_id:
                self._after_call(a, now)
        return self._drain()

    def far_answer(self, call_id: str, now: float) -> list[Effect]:
        """The far end of a dialled call answered."""
        c = self.calls.get(call_id)
        if c is None or c.direction != "out" or c.state != "ringing":
            return []
        a = self.agents.get(c.user or "")
        c.state, c.answered_at = "talking", now
        if a is not None:
            a.state_before_dial = None
            self._set(a, "talking", now)
        self._fx.append(("answered", c))
        return self._drain()

    def far_failed(self, call_id: str, cause: str, now: float) -> list[Effect]:
        c = self.calls.get(call_id)
        if c is None or c.state != "ringing":
            return []
        a = self.agents.get(c.user or "")
        self._end(c, cause, now)
        if a is not None and a.call_id == call_id:
            self._after_call(a, now)
        return self._drain()

    # -- time ----------------------------------------------------------------------------------
    def tick(self, now: float) -> list[Effect]:
        for c in [c for c in self.calls.values()
                  if c.state == "ringing" and c.direction == "in"
                  and c.ring_deadline is not None and c.ring_deadline <= now]:
            a = self.agents.get(c.user or "")
            c.skipped.add(c.user or "")
            if a is not None:
                a.call_id = None
                self._set(a, "busy", now, "no_answer", call_id=c.call_id)
            self._offer(c, now, front=True)
        for a in [a for a in self.agents.values()
                  if a.state == "wrapup" and a.wrapup_until is not None and a.wrapup_until <= now]:
            self._set(a, "ready", now)
            self._serve(a, now)
        for a in [a for a in self.agents.values()
                  if a.disconnected_at is not None and now - a.disconnected_at >= self.grace_s]:
            self._logout(a, now, "connection_lost")
        return self._drain()

    def next_deadline(self) -> float | None:
        times = [c.ring_deadline for c in self.calls.values() if c.ring_deadline is not None]
        times += [a.wrapup_until for a in self.agents.values() if a.wrapup_until is not None]
        times += [a.disconnected_at + self.grace_s for a in self.agents.values()
                  if a.disconnected_at is not None]
        return min(times) if times else None

    def queue_status(self, group: str, now: float) -> dict[str, Any]:
        q = self.queues.get(group, deque())
        members = [a for a in self.agents.values() if group in a.groups]
        oldest = self.calls[q[0]].queued_at if q else None
        return {"group": group, "waiting": len(q),
                "longest_wait_s": round(now - oldest, 1) if oldest is not None else 0,
                "ready": sum(a.state == "ready" for a in members),
                "busy": sum(a.state in ("busy", "wrapup") for a in members),
                "talking": sum(a.state in ("talking", "ringing") for a in members)}
