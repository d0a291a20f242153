"""Fixtures of the ui.kit tests: a recorder in place of sys.excepthook, a context that
has only a runner."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from tests.ui.shell_fixtures import *  # noqa: F403 - fixtures


@pytest.fixture
def bugs(monkeypatch):
    """The errors that reached sys.excepthook (the crash dialog in the program)."""
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: seen.append(exc))
    return seen


@pytest.fixture
def runner_ctx(runner):  # noqa: F811 - the runner fixture of shell_fixtures
    return SimpleNamespace(runner=runner)


__all__ = ["aloop", "bugs", "runner", "runner_ctx"]  # noqa: F405
