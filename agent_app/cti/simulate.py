"""Load scenarios against a running agent-ctid: simulated agents over real sockets.

N agents log in and go ready; each answers a ringing call after a drawn delay, talks for a
drawn time and hangs up (the server then applies the group's wrap-up). Calls arrive along
a curve — a TV advert's surge rises to a peak and decays — and callers abandon after a
drawn patience. At the end it prints what a supervisor plans staffing with.

Scenario file (JSON): {"agents": 20, "group": "21", "dialed": "4006000000",
 "calls": 200, "duration_s": 60, "peak_per_s": 8, "curve": "surge"|"flat",
 "answer_delay_s": [1, 4], "talk_s": [20, 90], "patience_s": [10, 60],
 "talk_dist": "uniform"|"exponential",
 "password": "…" (simulated agents' password; created in the database when missing)}

Talk times are uniform over talk_s, or with "talk_dist": "exponential" exponential with the
mean of talk_s's two ends: the M/M/N conditions of Erlang C (with a flat curve, whose
arrivals are a Poisson process given their number; tests/cti/test_simulate_erlang.py).
"""
from __future__ import annotations

import asyncio
import json
import math
import random
import ssl
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Scenario:
    agents: int = 10
    group: str = "21"
    dialed: str = "4006000000"
    calls: int = 100
    duration_s: float = 60
    peak_per_s: float = 5
    curve: str = "surge"
    answer_delay_s: tuple[float, float] = (1, 4)
    talk_s: tuple[float, float] = (20, 90)
    patience_s: tuple[float, float] = (10, 60)
    talk_dist: str = "uniform"
    password: str = "sim-agent-pw"
    seed: int = 1

    @classmethod
    def load(cls, path: Path) -> Scenario:
        raw = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        for k in ("answer_delay_s", "talk_s", "patience_s"):
            if k in known:
                known[k] = tuple(known[k])
        return cls(**known)

    def talk(self, rng: random.Random) -> float:
        """One drawn talk time (seconds)."""
        if self.talk_dist == "exponential":
            return rng.expovariate(2 / (self.talk_s[0] + self.talk_s[1]))
        if self.talk_dist != "uniform":
            raise ValueError(f"unknown talk_dist {self.talk_dist!r}")
        return rng.uniform(*self.talk_s)

    def arrivals(self) -> list[float]:
        """Arrival times: a surge rises fast to its peak then decays (an advert's shape);
        scaled so `calls` calls arrive over `duration_s`."""
        rng = random.Random(self.seed)
        if self.curve == "flat":
            return sorted(rng.uniform(0, self.duration_s) for _ in range(self.calls))
        # rate(t) = peak·(t/τ)·e^(1−t/τ) peaks at τ and integrates to ≈ peak·τ·e, so
        # τ = calls / (peak·e) gives the asked-for peak (capped to fit the window)
        tau = min(self.calls / (self.peak_per_s * math.e), self.duration_s / 3)
        out = []
        while len(out) < self.calls:
            t = rng.uniform(0, self.duration_s)
            if rng.random() < (t / tau) * math.exp(1 - t / tau):
                out.append(t)
        return sorted(out)


@dataclass
class Tally:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    rejected: int = 0
    waits: list[float] = field(default_factory=list)
    ring_latency: list[float] = field(default_factory=list)
    talk: float = 0.0


class _Link:
    """The simulator's own tiny client (the doc's framing, nothing more)."""

    def __init__(self, reader, writer) -> None:
        self.r, self.w, self.n = reader, writer, 0
        self.pending: dict[int, asyncio.Future] = {}
        self.on_event = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.r.readline():
            msg = json.loads(line)
            if msg.get("type") == "result":
                fut = self.pending.pop(msg["id"], None)
                if fut and not fut.done():
                    fut.set_result(msg)
            elif msg.get("type") == "event" and self.on_event:
                self.on_event(msg)

    async def call(self, verb: str, **args: Any) -> dict:
        self.n += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[self.n] = fut
        self.w.write((json.dumps({"type": verb, "id": self.n, **args}) + "\n").encode())
        return await asyncio.wait_for(fut, 30)

    def start_heartbeat(self, every_s: float) -> None:
        """Ping as the protocol asks: a link silent for 3 × heartbeat_s is dropped."""
        async def beat() -> None:
            while True:
                await asyncio.sleep(every_s)
                await self.call("ping")
        self.beat = asyncio.create_task(beat())

    async def close(self) -> None:
        self.w.close()
        self.task.cancel()
        if getattr(self, "beat", None) is not None:
            self.beat.cancel()


async def _connect(host: str, port: int, user: str, password: str, seat: str,
                   groups: list[str], tls: ssl.SSLContext | None = None) -> _Link:
    r, w = await asyncio.open_connection(host, port, limit=1 << 20, ssl=tls)
    link = _Link(r, w)
    hello = await link.call("hello", protocol=1, client="agent-ctid-simulate/1")
    link.start_heartbeat(float(hello.get("heartbeat_s", 15)))
    res = await link.call("login", user=user, password=password, seat=seat, groups=groups)
    if not res.get("ok"):
        raise RuntimeError(f"login {user}: {res.get('error')}")
    return link


async def run(sc: Scenario, host: str, port: int, admin: tuple[str, str],
              agents: list[tuple[str, str]], tls: ssl.SSLContext | None = None) -> Tally:
    rng = random.Random(sc.seed + 1)
    tally = Tally()
    offered_at: dict[str, float] = {}
    links = []
    pending: set[asyncio.Task] = set()

    def agent_handler(link: _Link):
        def on_event(ev):
            if ev["event"] == "call_ringing":
                cid = ev["call"]["call_id"]
                t0 = offered_at.pop(ev["call"]["caller"], None)
                if t0 is not None and ev["pop"]["queue_wait_s"] < 0.001:
                    tally.ring_latency.append(time.perf_counter() - t0)

                async def take():
                    try:
                        await asyncio.sleep(rng.uniform(*sc.answer_delay_s))
                        r = await link.call("answer", call_id=cid)
                        if r.get("ok"):
                            await asyncio.sleep(sc.talk(rng))
                            await link.call("hangup", call_id=cid)
                    except (TimeoutError, ConnectionError) as exc:
                        print(f"simulated agent: {exc!r} on {cid}", file=sys.stderr)
                t = asyncio.create_task(take())
                pending.add(t)
                t.add_done_callback(pending.discard)
            elif ev["event"] == "call_ended":
                c = ev["call"]
                if c["answered_at"]:
                    tally.answered += 1
                    tally.talk += ev["talk_s"]
            elif ev["event"] == "agent_state" and ev["agent"]["state"] == "busy" \
                    and ev["agent"]["reason"] == "no_answer":
                asyncio.ensure_future(link.call("ready"))
        return on_event

    for user, seat in agents:
        link = await _connect(host, port, user, sc.password, seat, [sc.group], tls)
        link.on_event = agent_handler(link)
        await link.call("ready")
        links.append(link)
    boss = await _connect(host, port, admin[0], admin[1], "9999", [sc.group], tls)
    waits: dict[str, float] = {}

    def boss_event(ev):
        if ev["event"] == "call_ended":
            c = ev["call"]
            if c["end_cause"] == "abandoned":
                tally.abandoned += 1
            elif c["end_cause"] == "rejected":
                tally.rejected += 1
        elif ev["event"] == "call_ringing":
            waits[ev["call"]["call_id"]] = ev["pop"]["queue_wait_s"]
    boss.on_event = boss_event
    await boss.call("monitor")
    start = time.perf_counter()
    logged_in = time.perf_counter()
    for t in sc.arrivals():
        delay = start + t - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        caller = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        # keyed by caller: the agent's call_ringing may arrive before our own result
        offered_at[caller] = time.perf_counter()
        r = await boss.call("sim_inbound", caller=caller, dialed=sc.dialed, group=sc.group,
                            hangup_after_s=rng.uniform(*sc.patience_s))
        if r.get("ok"):
            tally.offered += 1
    # let the last calls finish
    deadline = time.perf_counter() + sc.talk_s[1] + sc.patience_s[1] + sc.answer_delay_s[1] + 5
    while time.perf_counter() < deadline and (pending or tally.answered + tally.abandoned
                                              + tally.rejected < tally.offered):
        await asyncio.sleep(0.5)
    tally.waits = list(waits.values())
    elapsed = time.perf_counter() - logged_in
    tally.talk_share = tally.talk / max(1e-9, elapsed * len(agents))  # type: ignore[attr-defined]
    for link in links + [boss]:
        await link.close()
    return tally


def report(sc: Scenario, t: Tally) -> str:
    within = sum(1 for w in t.waits if w <= 20)
    lat = sorted(t.ring_latency)
    p = (lambda q: f"{lat[min(len(lat) - 1, int(q * len(lat)))] * 1000:.2f} ms") if lat else (lambda q: "-")
    lines = [
        f"scenario: {sc.calls} calls over {sc.duration_s:.0f} s ({sc.curve}, peak ~{sc.peak_per_s}/s), "
        f"{sc.agents} agents in group {sc.group}",
        f"offered {t.offered}  answered {t.answered}  abandoned {t.abandoned}  rejected {t.rejected}",
        f"service level (answered within 20 s): {100 * within / max(1, t.offered):.1f}%",
        f"wait: average {statistics.fmean(t.waits) if t.waits else 0:.1f} s, "
        f"maximum {max(t.waits) if t.waits else 0:.1f} s",
        f"agent occupancy (talk time / logged-in time): {100 * getattr(t, 'talk_share', 0):.1f}%",
        f"routing latency as seen by the agents (sim_inbound sent → call_ringing received): "
        f"p50 {p(0.5)}, p99 {p(0.99)}",
    ]
    return "\n".join(lines)


def ensure_sim_agents(db_url: str, sc: Scenario) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    """Simulated agents sim001… (and an administrator) in the shared database."""
    from agent_app.cli.identity import SHELL  # a shell command seeds its own agents
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    from db.enums import Permission, Role

    db = Database.open(db_url)
    try:
        accounts = AccountService(db)
        have = {e.login for e in accounts.list_employees(SHELL)}
        agents = []
        for k in range(sc.agents):
            login = f"sim{k + 1:03d}"
            if login not in have:
                accounts.add_employee(SHELL, login=login, name=f"模拟{k + 1}", role=Role.OPERATOR,
                                      password=sc.password, must_change_password=False)
            agents.append((login, str(7001 + k)))
        if "simadmin" not in have:
            accounts.add_employee(SHELL, login="simadmin", name="模拟管理员", role=Role.ADMIN,
                                  password=sc.password, must_change_password=False,
                                  permissions={Permission.MONITOR})
        return agents, ("simadmin", sc.password)
    finally:
        db.dispose()


def run_scenario(db_url: str, path: Path, host: str, port: int,
                 tls: ssl.SSLContext | None = None) -> int:
    sc = Scenario.load(path)
    agents, admin = ensure_sim_agents(db_url, sc)
    tally = asyncio.run(run(sc, host, port, admin, agents, tls))
    print(report(sc, tally))
    return 0


if __name__ == "__main__":
    sys.exit(run_scenario(sys.argv[1], Path(sys.argv[2]), "127.0.0.1", 6020))
