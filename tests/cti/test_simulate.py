"""A small load scenario end to end: simulated agents, a surge, abandoning callers."""
from __future__ import annotations

import math

from agent_app.cti.simulate import Scenario, ensure_sim_agents, report, run


def test_surge_shape_peaks_where_asked():
    sc = Scenario(calls=3000, duration_s=900, peak_per_s=20, curve="surge")
    times = sc.arrivals()
    assert len(times) == 3000 and times == sorted(times)
    busiest = max(sum(1 for t in times if s <= t < s + 10) for s in range(0, 900, 5)) / 10
    assert 14 <= busiest <= 26  # about 20 calls per second at the peak
    assert times[-1] <= 900 and math.isclose(times[0], min(times))


def test_small_scenario_reports_supervisor_figures(run_server, cti_db):
    # calls longer than 3 heartbeats: the simulated agents must ping or be dropped
    sc = Scenario(agents=3, calls=15, duration_s=3, peak_per_s=8, answer_delay_s=(0.05, 0.2),
                  talk_s=(1.0, 1.4), patience_s=(0.3, 1.0), password="sim-agent-pw")
    agents, admin = ensure_sim_agents(cti_db.url, sc)

    async def scenario(server):
        return await run(sc, "127.0.0.1", server.port, admin, agents)

    tally = run_server(scenario, heartbeat_s=0.3)
    assert tally.offered == 15
    assert tally.answered + tally.abandoned + tally.rejected == 15
    assert tally.answered >= 3
    assert tally.talk >= tally.answered * 0.9  # every answered call talked to its end
    text = report(sc, tally)
    for words in ("offered 15", "service level", "occupancy", "routing latency"):
        assert words in text
