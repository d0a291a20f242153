"""Benchmark: does a CTI login refusal tell whether the login exists, and how many guesses of
a password spray does agent-ctid check?

Runs agent-ctid in this process on a fresh SQLite database, over a real loopback socket,
and prints:
- the median time of a refused login for an unknown login and for a known login with a
  wrong password (they should match: unknown logins are checked against a dummy hash);
- a spray of 5 passwords × 12 logins (6 that exist, 6 that do not) from one address: how
  many guesses got a verdict (were checked) and how many password hashes ran, against
  how many were refused unchecked by the limit per address.

Password checks are counted by wrapping the verifier agent-ctid calls, so the same script
measures an older tree too (the figures before the login policy):

    git worktree add /tmp/ctid-before <commit>
    .venv/bin/python tests/perf/bench_ctid_login.py --root /tmp/ctid-before
    .venv/bin/python tests/perf/bench_ctid_login.py

Not a pytest test.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_database(folder: Path, known: list[str], password: str) -> str:
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    from db.enums import Role
    from db.migrate import upgrade
    from db.seed import seed_reference_data
    try:
        from agent_app.cli.identity import SHELL
    except ImportError:  # a tree from before the shell's own identity (the "before" run)
        SHELL = None  # noqa: N806

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    seed_reference_data(url)
    db = Database.open(url)
    accounts = AccountService(db)
    for login in known:
        accounts.add_employee(SHELL, login=login, name=f"坐席{login}", role=Role.OPERATOR,
                              password=password, must_change_password=False)
    db.dispose()
    return url


async def with_server(url: str, folder: Path, scenario, **wanted):
    from agent_app.cti.server import CtiServer, ServerOptions
    names = {f.name for f in dataclasses.fields(ServerOptions)}
    opts = ServerOptions(port=0, recordings=folder / "rec",
                         **{k: v for k, v in wanted.items() if k in names})
    server = CtiServer(url, opts)
    await server.start()
    try:
        return await scenario(server)
    finally:
        await server.stop()


def count_checks() -> list[int]:
    """Wrap the password verifier agent-ctid's logins module calls; [count]."""
    import agent_app.cti.logins as logins
    real = logins.verify_password
    count = [0]

    def counting(password_hash: str, password: str) -> bool:
        count[0] += 1
        return real(password_hash, password)
    logins.verify_password = counting
    return count


async def closed(server, w) -> None:
    """Close the bench's connection and let the server see it go before it stops."""
    await w.close()
    deadline = time.monotonic() + 5
    while server.conns and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def timings(server, known: list[str], samples: int) -> tuple[list[float], list[float]]:
    from tests.cti.wire import Wire
    w = await Wire.connect(server.port)
    assert (await w.request("hello", protocol=1))["ok"]
    unknown_t, known_t = [], []
    for k in range(samples):
        for user, out in ((f"nobody{k}", unknown_t), (known[k % len(known)], known_t)):
            t0 = time.perf_counter()
            r = await w.request("login", user=user, password=f"guess{k}", seat="8001",
                                groups=["21"])
            out.append(time.perf_counter() - t0)
            assert not r["ok"]
    await closed(server, w)
    return unknown_t, known_t


async def spray(server, logins: list[str]) -> dict[str, int]:
    from tests.cti.wire import Wire
    w = await Wire.connect(server.port)
    assert (await w.request("hello", protocol=1))["ok"]
    codes: dict[str, int] = {}
    for password in ("123456", "password", "8888", "qwerty", "abc123"):
        for user in logins:
            r = await w.request("login", user=user, password=password, seat="8001",
                                groups=["21"], timeout=30)
            code = r["error"]["code"] if not r["ok"] else "ok"
            codes[code] = codes.get(code, 0) + 1
    await closed(server, w)
    return codes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="the source tree to measure")
    ap.add_argument("--samples", type=int, default=40)
    args = ap.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    import agent_app  # noqa: F401 - from --root
    print(f"tree: {Path(agent_app.__file__).parent.parent}")

    password = "bench-pw-1"
    known = [f"10{k:02d}" for k in range(12)]
    checks = count_checks()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "timing"
        folder.mkdir()
        url = make_database(folder, known, password)
        # each known login fails fewer times than locks it; no limit per address here
        samples = min(args.samples, 4 * len(known))
        unknown_t, known_t = asyncio.run(with_server(
            url, folder, lambda s: timings(s, known, samples), address_failures=10 ** 6))
        mu, mk = statistics.median(unknown_t) * 1000, statistics.median(known_t) * 1000
        print(f"refused login, median of {samples}: unknown {mu:.1f} ms, "
              f"known with a wrong password {mk:.1f} ms (ratio {mk / mu:.2f})")

        folder = Path(tmp) / "spray"
        folder.mkdir()
        url = make_database(folder, known[:6], password)
        checks[0] = 0
        logins = known[:6] + [f"90{k:02d}" for k in range(6)]
        codes = asyncio.run(with_server(url, folder, lambda s: spray(s, logins)))
        verdicts = sum(n for c, n in codes.items() if c != "rate_limited")
        print(f"spray 5 passwords × 12 logins from one address: {verdicts}/60 guesses "
              f"checked, {checks[0]} password hashes run, "
              f"{codes.get('rate_limited', 0)} refused unchecked; answers {codes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
