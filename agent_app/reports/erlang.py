"""Staffing arithmetic: Erlang C (M/M/N) and Erlang A (M/M/N+M, callers who give up).

Pure Python (math only), so the desk and agent-admin need neither numpy nor scipy.

- Traffic A (erlangs) = calls × AHT ÷ interval.
- Erlang B by its recursion B(0) = 1, B(k) = A·B(k−1) ÷ (k + A·B(k−1)): every step is a
  ratio ≤ 1, so N = 1000 agents neither overflows a factorial nor loses precision.
- Erlang C: P(wait) = N·B ÷ (N − A·(1 − B)) for A < N; with A ≥ N the queue grows without
  bound: P(wait) = 1, service level 0, ASA infinite.
- SL(t) = 1 − P(wait)·e^(−(N−A)·t/AHT); ASA = P(wait)·AHT ÷ (N − A); occupancy = A ÷ N.
- agents_needed: the fewest agents with SL ≥ goal and occupancy ≤ max_occupancy (raw
  positions), then ceil(raw ÷ (1 − shrinkage)) positions to roster (pyworkforce's and the
  R package ErlangC's definitions; docs/statistics.md has the golden vector).
- Erlang A: the birth-death chain of the number of calls in the system, arrivals λ,
  departures min(k, N)·μ + max(k − N, 0)·θ (θ = 1 ÷ mean patience), truncated where the
  probabilities are below 1e-16 of the largest. An arriving caller sees the stationary
  distribution (Poisson arrivals); the caller's wait is then a pure-death chain over the
  places ahead of it, with its own abandonment at rate θ. SL counts the offered calls
  answered within t (an abandoned call is a miss); ASA is the mean wait of answered calls.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

MAX_AGENTS = 100_000


def _check(name: str, value: float, *, positive: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number") from None
    if math.isnan(x) or math.isinf(x) or x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} "
                         f"finite number, not {value!r}")
    return x


def _agents(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"the number of agents must be a whole number ≥ 0, not {n!r}")
    return n


def traffic(calls: float, interval_s: float, aht: float) -> float:
    """Offered traffic in erlangs."""
    return _check("calls", calls) * _check("aht", aht, positive=True) \
        / _check("interval_s", interval_s, positive=True)


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of N servers offered A erlangs (the stable recursion)."""
    n, a = _agents(n), _check("traffic", a)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(n: int, a: float) -> float:
    """P(wait): the probability that a call waits (queues) with N agents and A erlangs."""
    n, a = _agents(n), _check("traffic", a)
    if a == 0:
        return 0.0
    if a >= n:
        return 1.0
    b = erlang_b(n, a)
    return min(1.0, n * b / (n - a * (1 - b)))


def service_level(n: int, a: float, aht: float, target_s: float) -> float:
    """The share of calls answered within target_s."""
    aht, target_s = _check("aht", aht, positive=True), _check("target_s", target_s)
    n, a = _agents(n), _check("traffic", a)
    if a >= n:
        return 0.0 if a > 0 else 1.0
    return max(0.0, 1.0 - erlang_c(n, a) * math.exp(-(n - a) * target_s / aht))


def asa(n: int, a: float, aht: float) -> float:
    """Average speed of answer (seconds); infinite when A ≥ N."""
    aht = _check("aht", aht, positive=True)
    n, a = _agents(n), _check("traffic", a)
    if a == 0:
        return 0.0
    if a >= n:
        return math.inf
    return erlang_c(n, a) * aht / (n - a)


def occupancy(n: int, a: float) -> float:
    """A ÷ N, capped at 1 (agents cannot be busier than all the time)."""
    n, a = _agents(n), _check("traffic", a)
    if n == 0:
        return 0.0 if a == 0 else 1.0
    return min(1.0, a / n)


@dataclass(frozen=True)
class Staffing:
    traffic: float           # erlangs
    raw_positions: int       # agents on the phones
    positions: int           # agents to roster, with shrinkage
    service_level: float
    occupancy: float
    p_wait: float
    asa: float               # seconds


def _goal(sl_goal: float) -> float:
    g = _check("sl_goal", sl_goal)
    if g >= 1:
        raise ValueError("sl_goal must be below 1 (100 % within the target needs infinite agents)")
    return g


def _fraction(name: str, value: float, *, top_included: bool) -> float:
    x = _check(name, value)
    if x > 1 or (x == 1 and not top_included):
        raise ValueError(f"{name} must be a fraction {'≤' if top_included else '<'} 1")
    return x


def agents_needed(calls: float, interval_s: float, aht: float, target_s: float,
                  sl_goal: float, max_occupancy: float = 1.0,
                  shrinkage: float = 0.0) -> Staffing:
    """The fewest agents meeting sl_goal within target_s and max_occupancy (Erlang C)."""
    a = traffic(calls, interval_s, aht)
    target_s, goal = _check("target_s", target_s), _goal(sl_goal)
    max_occ = _fraction("max_occupancy", max_occupancy, top_included=True)
    shrink = _fraction("shrinkage", shrinkage, top_included=False)
    if max_occ == 0:
        raise ValueError("max_occupancy must be above 0")
    if a == 0:
        return Staffing(0.0, 0, 0, 1.0, 0.0, 0.0, 0.0)
    n = max(1, math.floor(a) + 1)  # below A + 1 agents the queue never settles
    while True:
        if n > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed")
        sl = service_level(n, a, aht, target_s)
        if sl >= goal and a / n <= max_occ:
            break
        n += 1
    positions = math.ceil(n / (1 - shrink) - 1e-9)  # 14 / 0.7 is 20, not 21
    return Staffing(a, n, positions, sl, occupancy(n, a), erlang_c(n, a), asa(n, a, aht))


# -- Erlang A --------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangA:
    p_wait: float            # the share of calls that queue
    p_abandon: float         # the share of calls that give up waiting
    service_level: float     # answered within target_s, of all offered calls
    asa: float               # mean wait of answered calls (seconds)
    occupancy: float         # answered traffic ÷ N
    states: int              # the truncated chain's size (for tests)


def _stationary(n: int, lam: float, mu: float, theta: float) -> list[float]:
    """P(k calls in the system), k = 0..K, truncated where negligible."""
    logs = [0.0]
    k, top = 0, 0.0
    while True:
        k += 1
        death = min(k, n) * mu + max(k - n, 0) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        top = max(top, logs[-1])
        # past the mode (the ratio is below 1 and falls) and 1e-16 below the top
        if k > n and lam < death and logs[-1] < top - 37:
            break
        if k > n + 10_000_000:
            raise ValueError("the queue does not settle (patience too long for this traffic)")
    weights = [math.exp(x - top) for x in logs]
    total = math.fsum(weights)
    return [w / total for w in weights]


def erlang_a(n: int, calls: float, interval_s: float, aht: float, patience_s: float,
             target_s: float = 0.0) -> ErlangA:
    """M/M/N+M figures for N agents; patience_s is the callers' mean patience."""
    n = _agents(n)
    lam = _check("calls", calls) / _check("interval_s", interval_s, positive=True)
    aht = _check("aht", aht, positive=True)
    patience = _check("patience_s", patience_s, positive=True)
    target_s = _check("target_s", target_s)
    mu, theta = 1 / aht, 1 / patience
    if lam == 0:
        return ErlangA(0.0, 0.0, 1.0, 0.0, 0.0, 1)
    if n == 0:  # nobody answers: every caller waits and gives up
        return ErlangA(1.0, 1.0, 0.0, 0.0, 0.0, 0)
    pi = _stationary(n, lam, mu, theta)
    queue = pi[n:]                        # j = 0.. calls ahead of an arriving caller
    p_wait = math.fsum(queue)
    lq = math.fsum(j * p for j, p in enumerate(queue))
    p_abandon = min(1.0, theta * lq / lam)
    # answered within t and the waits of answered calls, over the places ahead
    served = math.fsum(pi[:n])            # answered at once
    weighted_wait = 0.0
    a_prev, m_prev = 1.0, 0.0             # from "served": probability 1, wait 0
    for j, p in enumerate(queue):
        r = n * mu + j * theta            # the place ahead frees at this rate
        a_j = r / (r + theta) * a_prev    # reaches an agent before giving up
        m_j = a_j / (r + theta) + r / (r + theta) * m_prev
        served += p * a_j
        weighted_wait += p * m_j
        a_prev, m_prev = a_j, m_j
    mean_wait = weighted_wait / served if served else 0.0
    sl = _served_within(n, mu, theta, pi, target_s)
    occ = min(1.0, lam * (1 - p_abandon) / (n * mu))
    return ErlangA(p_wait, p_abandon, sl, mean_wait, occ, len(pi))


def _served_within(n: int, mu: float, theta: float, pi: list[float], t: float) -> float:
    """P(answered within t), by uniformizing the death chain of the places ahead."""
    now = math.fsum(pi[:n])
    v = list(pi[n:])
    if t == 0 or not v:
        return now
    rates = [n * mu + j * theta for j in range(len(v))]
    big = rates[-1] + theta
    lt = big * t
    steps = int(lt + 10 * math.sqrt(lt) + 30)
    served = 0.0                          # mass answered after k uniformized steps
    total = 0.0
    for k in range(steps + 1):
        weight = math.exp(-lt + k * math.log(lt) - math.lgamma(k + 1)) if lt > 0 else float(k == 0)
        total += weight * served
        nxt = [0.0] * len(v)
        for j, p in enumerate(v):
            if p == 0.0:
                continue
            down = p * rates[j] / big
            nxt[j] += p * (1 - (rates[j] + theta) / big)
            if j == 0:
                served += down
            else:
                nxt[j - 1] += down
        v = nxt
    return min(1.0, now + total)


def erlang_a_agents(calls: float, interval_s: float, aht: float, patience_s: float,
                    target_s: float, sl_goal: float) -> tuple[int, ErlangA]:
    """The fewest agents whose Erlang A service level (answered within target_s, of all
    offered calls) reaches sl_goal."""
    goal = _goal(sl_goal)
    lam_calls = _check("calls", calls)
    if lam_calls == 0:
        return 0, erlang_a(0, 0, interval_s, aht, patience_s, target_s)
    n = 1
    while True:
        res = erlang_a(n, calls, interval_s, aht, patience_s, target_s)
        if res.service_level >= goal:
            return n, res
        n += 1
        if n > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed")
