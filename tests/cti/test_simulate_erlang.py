"""The simulator under M/M/N conditions and Erlang C.

`agent-ctid simulate` with a flat curve (n arrival times uniform over the run: a Poisson
process given its count), exponential talk times (talk_dist), no answer delay, no wrap-up
and callers too patient to give up is an M/M/N queue run in real time over sockets.

What a run of a few seconds can show, and what it cannot:
- The server's queue is exactly Erlang C's queue discipline: N agents, first come first
  served, nobody waits while an agent is free. Replaying the run's own arrival times and
  handle times (ringing → end, from the server's call records) through an ideal FCFS
  N-server queue gives every call the wait it had, to within the event loop's latency.
  This check is tight and deterministic.
- The measured P(wait), service level and ASA agree with Erlang C for the traffic the run
  offered (λ and the mean handle time measured, so the sockets' overhead, ~15 % of a
  0.2 s call, is in the formula) only within the run's noise, which is large: a queue's
  congested spells last several handle times, so 10 s of calls hold only a few dozen
  independent samples. The spread comes from 20,000 replicas of the ideal queue under the
  run's conditions; the run and Erlang C must both lie within it. A tight comparison
  needs long runs; tests/unit/test_erlang.py makes one with an event simulation of the
  ideal queue (which the first check shows the server is).
"""
from __future__ import annotations

import heapq
import random
import statistics

import pytest
from sqlalchemy import select, update

from agent_app.cti.simulate import Scenario, ensure_sim_agents, run
from agent_app.reports import erlang
from db.models import CallRecord, CtiGroup

AGENTS, MEAN_S, RHO, SECONDS = 6, 0.2, 0.6, 10.0
TARGET = 0.05      # the service level's "answered within" (seconds): a quarter of a call


def _ideal_waits(arrivals: list[float], handles: list[float], n: int) -> list[float]:
    """FCFS with n servers: each call starts when it arrives or the first agent frees."""
    free = [0.0] * n
    out = []
    for t, h in zip(arrivals, handles, strict=True):
        start = max(t, free[0])
        heapq.heapreplace(free, start + h)
        out.append(start - t)
    return out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the queue is the subject
def test_flat_mmn_scenario_is_erlang_c_queue(run_server, cti_db):
    with cti_db.transaction() as s:  # the fixture's one-place queue would reject calls
        s.execute(update(CtiGroup).where(CtiGroup.number == "21").values(max_queue=500))
    calls = round(RHO * AGENTS / MEAN_S * SECONDS)
    sc = Scenario(agents=AGENTS, calls=calls, duration_s=SECONDS, curve="flat",
                  answer_delay_s=(0, 0), talk_s=(MEAN_S, MEAN_S), talk_dist="exponential",
                  patience_s=(600, 600), password="sim-agent-pw", seed=5)
    agents, admin = ensure_sim_agents(cti_db.url, sc)

    async def scenario(server):
        return await run(sc, "127.0.0.1", server.port, admin, agents)

    tally = run_server(scenario)
    assert tally.offered == calls and tally.answered == calls and tally.abandoned == 0
    with cti_db.reading() as s:
        rows = s.execute(select(CallRecord.queued_at, CallRecord.offered_at, CallRecord.ended_at)
                         .where(CallRecord.direction == "in")
                         .order_by(CallRecord.queued_at, CallRecord.id)).all()
    assert len(rows) == calls
    t0 = rows[0][0]
    arrivals = [(q - t0).total_seconds() for q, _o, _e in rows]
    waits = [(o - q).total_seconds() for q, o, _e in rows]
    handles = [(e - o).total_seconds() for _q, o, e in rows]

    # 1. the discipline: the ideal M/M/N queue fed the same calls waits as long
    ideal = _ideal_waits(arrivals, handles, AGENTS)
    assert sum(w > 0 for w in ideal) > calls // 10  # the run did queue calls
    off = [abs(w - i) for w, i in zip(waits, ideal, strict=True)]
    # the server rings the next call in the event that ends the last one: the same
    # timestamps, so the replay gives the same waits to the microsecond
    assert max(off) < 1e-3, max(off)

    # 2. the figures against Erlang C for the traffic offered, within the run's noise. The
    # noise of a run this short (and its start from an empty queue, which keeps its ASA
    # below the steady state's) is measured, not assumed: REPLICAS runs of the ideal
    # queue under the same conditions (as many calls, flat arrivals over as long, the
    # run's own handle times resampled) give each figure's spread. The run must lie
    # within it, and so must Erlang C's steady-state value. (A batch-means tolerance of
    # 4 standard errors over 6 batches failed about once in a hundred runs: with 5
    # degrees of freedom 4 SE is not a rare event, and the start's bias is not noise.)
    lam = (calls - 1) / arrivals[-1]
    aht = statistics.fmean(handles)
    a = lam * aht
    assert a < AGENTS
    figures = _figures(waits)
    spread = _replica_spread(len(rows), arrivals[-1], handles)
    models = (erlang.erlang_c(AGENTS, a), erlang.service_level(AGENTS, a, aht, TARGET),
              erlang.asa(AGENTS, a, aht))
    for name, measured, model, (low, high) in zip(("P(wait)", "SL", "ASA"), figures,
                                                  models, spread, strict=True):
        assert low <= measured <= high, (name, measured, low, high)
        assert low <= model <= high, (name, model, low, high)


def _figures(waits: list[float]) -> tuple[float, float, float]:
    """P(wait), service level within TARGET, ASA of a run's waits."""
    n = len(waits)
    return (sum(w > 0 for w in waits) / n, sum(w <= TARGET for w in waits) / n,
            sum(waits) / n)


REPLICAS = 20_000
TAIL = 1e-4  # each end: a run outside the spread is a 1-in-5,000 event per figure


def _replica_spread(n: int, duration: float, handles: list[float]) -> list[tuple[float, float]]:
    """Each figure's [TAIL, 1 − TAIL] quantiles over REPLICAS ideal FCFS runs of n calls,
    arrivals uniform over `duration` (a Poisson process given its count, as the flat
    curve draws them), handle times drawn from the run's own. A fixed seed: the spread is
    the same for the same run."""
    rng = random.Random(20261204)
    per_figure: list[list[float]] = [[], [], []]
    for _ in range(REPLICAS):
        arrivals = sorted(rng.uniform(0, duration) for _ in range(n))
        drawn = rng.choices(handles, k=n)
        for values, f in zip(per_figure, _figures(_ideal_waits(arrivals, drawn, AGENTS)),
                             strict=True):
            values.append(f)
    out = []
    for values in per_figure:
        values.sort()
        out.append((values[int(TAIL * REPLICAS)], values[int((1 - TAIL) * REPLICAS) - 1]))
    return out


def test_talk_distributions():
    import random

    rng = random.Random(3)
    expo = Scenario(talk_s=(1.0, 3.0), talk_dist="exponential")
    draws = [expo.talk(rng) for _ in range(20_000)]
    # exponential with the range's middle as mean: mean = standard deviation = 2
    assert statistics.fmean(draws) == pytest.approx(2.0, rel=0.05)
    assert statistics.pstdev(draws) == pytest.approx(2.0, rel=0.05)
    flat = [Scenario(talk_s=(1.0, 3.0)).talk(rng) for _ in range(1000)]
    assert 1.0 <= min(flat) and max(flat) <= 3.0
    with pytest.raises(ValueError):
        Scenario(talk_dist="gamma").talk(rng)
