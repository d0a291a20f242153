"""Erlang C and Erlang A (agent_app/reports/erlang.py) against the published golden vector,
the textbook formulas evaluated independently, and a small event simulation."""
from __future__ import annotations

import heapq
import math
import random
from fractions import Fraction

import pytest

from agent_app.reports import erlang as E


def _erlang_c_exact(n: int, a: Fraction) -> float:
    """The textbook formula in exact rational arithmetic (factorials and all): an oracle
    independent of the recursion, for small N."""
    top = a ** n / math.factorial(n) * n / (n - a)
    below = sum(a ** k / math.factorial(k) for k in range(n)) + top
    return float(top / below)


def test_golden_vector():
    # pyworkforce and the R package ErlangC publish these figures for this input
    s = E.agents_needed(calls=100, interval_s=1800, aht=180, target_s=20, sl_goal=0.8,
                        max_occupancy=0.85, shrinkage=0.3)
    assert s.traffic == pytest.approx(10.0)
    assert s.raw_positions == 14
    assert s.positions == 20
    assert s.service_level == pytest.approx(0.88835, abs=1e-4)
    assert s.occupancy == pytest.approx(0.7142857, abs=1e-7)
    assert s.p_wait == pytest.approx(0.1741319, abs=1e-7)
    assert s.asa == pytest.approx(7.836, abs=1e-3)


def test_one_agent_fewer_misses_the_goal():
    # 14 is the fewest: 13 agents answer under 80 % within 20 s
    assert E.service_level(13, 10.0, 180, 20) < 0.8 <= E.service_level(14, 10.0, 180, 20)


@pytest.mark.parametrize("n,a", [(1, Fraction(1, 2)), (5, Fraction(3)), (14, Fraction(10)),
                                 (30, Fraction(57, 2)), (60, Fraction(45))])
def test_erlang_c_matches_the_factorial_formula(n, a):
    assert E.erlang_c(n, float(a)) == pytest.approx(_erlang_c_exact(n, a), rel=1e-12)


def test_max_occupancy_binds():
    # 10 erlangs at 85 % occupancy need ≥ 11.77 agents; with an easy service level the
    # occupancy cap decides
    s = E.agents_needed(100, 1800, 180, target_s=600, sl_goal=0.5, max_occupancy=0.85)
    assert s.raw_positions == 12 and s.occupancy <= 0.85
    free = E.agents_needed(100, 1800, 180, target_s=600, sl_goal=0.5)
    assert free.raw_positions == 11  # A + 1: the fewest with a settling queue


def test_a_thousand_agents_do_not_overflow():
    a = 950.0
    p = E.erlang_c(1000, a)
    assert 0 < p < 1 and math.isfinite(p)
    s = E.agents_needed(calls=a * 1800 / 180, interval_s=1800, aht=180, target_s=20,
                        sl_goal=0.9)
    assert 950 < s.raw_positions < 1100 and s.service_level >= 0.9
    assert E.service_level(s.raw_positions - 1, a, 180, 20) < 0.9


def test_zero_calls_need_nobody():
    s = E.agents_needed(0, 1800, 180, 20, 0.8, 0.85, 0.3)
    assert (s.raw_positions, s.positions, s.p_wait, s.asa) == (0, 0, 0.0, 0.0)
    assert E.erlang_c(0, 0) == 0.0 and E.service_level(0, 0, 180, 20) == 1.0


@pytest.mark.parametrize("n,a", [(10, 10.0), (10, 12.5), (0, 1.0)])
def test_overloaded_queue(n, a):
    assert E.erlang_c(n, a) == 1.0
    assert E.service_level(n, a, 180, 20) == 0.0
    assert E.asa(n, a, 180) == math.inf
    assert E.occupancy(n, a) == 1.0


@pytest.mark.parametrize("kwargs", [
    dict(calls=-1), dict(calls=math.nan), dict(aht=0), dict(aht=-3), dict(interval_s=0),
    dict(target_s=-1), dict(sl_goal=1.0), dict(sl_goal=math.nan), dict(max_occupancy=1.2),
    dict(max_occupancy=0), dict(shrinkage=1.0), dict(shrinkage=-0.1), dict(calls="many"),
    dict(aht=math.inf),
])
def test_bad_input_is_refused(kwargs):
    args = dict(calls=100, interval_s=1800, aht=180, target_s=20, sl_goal=0.8,
                max_occupancy=0.85, shrinkage=0.3) | kwargs
    with pytest.raises(ValueError):
        E.agents_needed(**args)


@pytest.mark.parametrize("call", [lambda: E.erlang_c(-1, 2), lambda: E.erlang_c(3, -2),
                                  lambda: E.erlang_c(2.5, 1), lambda: E.erlang_b(3, math.nan),
                                  lambda: E.service_level(3, 1, math.nan, 20),
                                  lambda: E.erlang_a(3, 10, 60, 30, 0, 20)])
def test_bad_arguments_of_the_formulas(call):
    with pytest.raises(ValueError):
        call()


# -- Erlang A --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [11, 14, 20])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n):
    a = 10.0
    c_wait, c_sl, c_asa = E.erlang_c(n, a), E.service_level(n, a, 180, 20), E.asa(n, a, 180)
    gaps = []
    for patience in (1e4, 1e6, 1e8):
        r = E.erlang_a(n, 100, 1800, 180, patience, 20)
        gaps.append(abs(r.p_wait - c_wait) + abs(r.service_level - c_sl) + abs(r.asa - c_asa) / 100)
    assert gaps[0] > gaps[1] > gaps[2]  # closer with every step
    r = E.erlang_a(n, 100, 1800, 180, 1e8, 20)
    assert r.p_wait == pytest.approx(c_wait, rel=1e-4)
    assert r.service_level == pytest.approx(c_sl, rel=1e-4)
    assert r.asa == pytest.approx(c_asa, rel=1e-3)
    assert r.p_abandon < 1e-5


def test_erlang_a_is_consistent_with_itself():
    r = E.erlang_a(8, 120, 1800, 150, 60, 20)
    # answered within a very long target = everyone who did not abandon
    long = E.erlang_a(8, 120, 1800, 150, 60, 3600)
    assert long.service_level == pytest.approx(1 - long.p_abandon, abs=1e-9)
    assert 0 < r.p_abandon < r.p_wait < 1
    assert r.service_level < long.service_level
    # impatient callers shorten the queue: better answered-within-t than Erlang C's
    assert r.service_level > E.service_level(8, 120 * 150 / 1800, 150, 20)


def _simulate_mmn_m(n: int, lam: float, mu: float, theta: float, target: float,
                    calls: int, seed: int) -> tuple[float, float, float]:
    """An event simulation of M/M/N+M (FCFS): P(abandon), SL (answered within target of
    all calls) and the mean wait of answered calls."""
    rng = random.Random(seed)
    free_at = [0.0] * n                      # when each agent frees up (a heap)
    heapq.heapify(free_at)
    t = 0.0
    # FCFS with abandonment: a caller is answered at the first free moment of an agent
    # after every earlier (still waiting) caller took one; a caller who gives up first
    # takes no agent. Processing callers in arrival order gives exactly that.
    abandoned = within = answered = waited = 0
    wait_sum = 0.0
    for _ in range(calls):
        t += rng.expovariate(lam)
        patience = rng.expovariate(theta)
        start = max(t, free_at[0])
        if start - t > patience:
            abandoned += 1
            continue
        heapq.heapreplace(free_at, start + rng.expovariate(mu))
        answered += 1
        wait_sum += start - t
        within += start - t <= target
        waited += start > t
    return abandoned / calls, within / calls, wait_sum / answered, waited / calls


def test_erlang_a_agrees_with_a_simulation():
    n, calls_per_30, aht, patience, target = 6, 80, 120, 90, 20
    lam, mu, theta = calls_per_30 / 1800, 1 / aht, 1 / patience
    r = E.erlang_a(n, calls_per_30, 1800, aht, patience, target)
    count = 200_000
    ab, sl, w, _pw = _simulate_mmn_m(n, lam, mu, theta, target, count, seed=7)
    # binomial standard errors, ×3 for the queue's correlation between neighbours, 4 σ
    se = lambda p: 4 * 3 * math.sqrt(p * (1 - p) / count)  # noqa: E731
    assert ab == pytest.approx(r.p_abandon, abs=se(r.p_abandon))
    assert sl == pytest.approx(r.service_level, abs=se(r.service_level))
    assert w == pytest.approx(r.asa, rel=0.05)


def test_erlang_c_agrees_with_a_long_simulation():
    # the ideal FCFS queue tests/cti/test_simulate_erlang.py shows agent-ctid's to be, run
    # long enough for a tight comparison (callers never give up: patience 1e12 s)
    n, calls_per_30, aht, target = 6, 3.6 / 0.2 * 1800, 0.2, 0.05  # A = 3.6 erlangs
    lam, mu = calls_per_30 / 1800, 1 / aht
    a = lam * aht
    count = 200_000
    _ab, sl, w, pw = _simulate_mmn_m(n, lam, mu, 1e-12, target, count, seed=11)
    se = lambda p: 4 * 3 * math.sqrt(p * (1 - p) / count)  # noqa: E731
    assert pw == pytest.approx(E.erlang_c(n, a), abs=se(E.erlang_c(n, a)))
    assert sl == pytest.approx(E.service_level(n, a, aht, target),
                               abs=se(E.service_level(n, a, aht, target)))
    assert w == pytest.approx(E.asa(n, a, aht), rel=0.05)


def test_erlang_a_agents_for_a_goal():
    n, r = E.erlang_a_agents(100, 1800, 180, 60, 20, 0.8)
    assert r.service_level >= 0.8
    assert E.erlang_a(n - 1, 100, 1800, 180, 60, 20).service_level < 0.8
    # callers who give up leave the others a shorter queue: no more agents than Erlang C
    assert n <= E.agents_needed(100, 1800, 180, 20, 0.8).raw_positions
    assert E.erlang_a_agents(0, 1800, 180, 60, 20, 0.8)[0] == 0
