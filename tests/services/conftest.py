"""Service tests' set-up.

scripts/mutation.sh sets AGENT_TEST_CHEAP_HASHES=1: every service fixture hashes and checks
two passwords (~0.2 s each at the real argon2 cost), which dominates a mutation run that
repeats the tests hundreds of times. No mutant of a business rule is about hash cost, so
there argon2 runs at its minimum cost; the normal test run keeps the real one.
"""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    if os.environ.get("AGENT_TEST_CHEAP_HASHES") == "1":
        from argon2 import PasswordHasher

        import agent_app.security as security
        monkeypatch.setattr(security, "_hasher",
                            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
