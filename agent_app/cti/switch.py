"""Switch backends. The ACD decides who gets a call; a backend is what rings phones.

`SimSwitch` is the built-in simulated switch (demo, training, tests, load scenarios): it
creates inbound calls on request, hangs callers up after the times they were given, and
settles dialled calls by the number's last digit (cti-protocol.md, "Simulated switch").
A real PBX backend (Asterisk AMI, FreeSWITCH ESL) implements the same three hooks and
calls the server's `switch_*` methods; routing does not change.
"""
from __future__ import annotations

import asyncio
import random
from typing import Protocol

# last digit of a dialled number → how the simulated far end answers
OUTCOMES = {"0": "vacant", "1": "busy", "2": "no_answer", "3": "powered_off", "4": "unreachable"}


class SwitchEvents(Protocol):
    """What a backend may tell the server (implemented by CtiServer)."""

    def switch_caller_hangup(self, call_id: str) -> None: ...
    def switch_far_answer(self, call_id: str) -> None: ...
    def switch_far_failed(self, call_id: str, cause: str) -> None: ...


class SwitchBackend(Protocol):
    def attach(self, server: SwitchEvents, loop: asyncio.AbstractEventLoop) -> None: ...
    def dialled(self, call_id: str, number: str) -> None: ...
    def answered(self, call_id: str) -> None: ...
    def ended(self, call_id: str) -> None: ...


class SimSwitch:
    name = "sim"

    def __init__(self, seed: int | None = None, outcome_delay: tuple[float, float] = (1, 3)) -> None:
        self.rng = random.Random(seed)
        self.outcome_delay = outcome_delay
        self._talk: dict[str, float] = {}
        self._timers: dict[str, list[asyncio.TimerHandle]] = {}
        self.server: SwitchEvents | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def attach(self, server: SwitchEvents, loop: asyncio.AbstractEventLoop) -> None:
        self.server, self.loop = server, loop

    def _later(self, call_id: str, delay: float, fn, *args) -> None:
        assert self.loop is not None
        self._timers.setdefault(call_id, []).append(self.loop.call_later(delay, fn, *args))

    def inbound(self, call_id: str, hangup_after_s: float | None, talk_s: float | None) -> None:
        """A simulated caller: abandons after `hangup_after_s` unless answered; hangs up
        `talk_s` after being answered."""
        if hangup_after_s is not None:
            self._later(call_id, hangup_after_s, self.server.switch_caller_hangup, call_id)
        if talk_s is not None:
            self._talk[call_id] = talk_s

    def dialled(self, call_id: str, number: str) -> None:
        outcome = OUTCOMES.get(number[-1:])
        delay = self.rng.uniform(*self.outcome_delay)
        if outcome is None:
            self._later(call_id, delay, self.server.switch_far_answer, call_id)
        else:
            self._later(call_id, delay, self.server.switch_far_failed, call_id, outcome)

    def answered(self, call_id: str) -> None:
        # an answered call's abandon timer no longer applies
        for h in self._timers.pop(call_id, []):
            h.cancel()
        talk = self._talk.pop(call_id, None)
        if talk is not None:
            self._later(call_id, talk, self.server.switch_caller_hangup, call_id)

    def ended(self, call_id: str) -> None:
        self._talk.pop(call_id, None)
        for h in self._timers.pop(call_id, []):
            h.cancel()
