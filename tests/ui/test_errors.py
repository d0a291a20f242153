"""The one way panels turn a service call's failure into a message (ui.errors)."""
from __future__ import annotations

import asyncio

import pytest

from agent_app.errors import NotFound
from ui.errors import known_text, reported


async def _fails(exc: BaseException):
    raise exc


async def _gives(value):
    return value


def test_reported_gives_the_value_or_reports_a_known_error_and_raises_a_bug():
    said: list[str] = []
    assert asyncio.run(reported(_gives(42), said.append)) == 42 and said == []
    assert asyncio.run(reported(_fails(NotFound()), said.append)) is None
    assert said == ["The record no longer exists; refresh and try again."]
    with pytest.raises(ZeroDivisionError):  # a bug is not a message: crash dialog
        asyncio.run(reported(_fails(ZeroDivisionError()), said.append))
    assert len(said) == 1


def test_known_text_or_the_bug_again():
    assert known_text(NotFound()).startswith("The record no longer exists")
    with pytest.raises(KeyError):
        known_text(KeyError("x"))
