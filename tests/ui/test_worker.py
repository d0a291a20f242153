"""ui/worker.py's DbRunner: a failed call's exception reaches the awaiting coroutine with
its traceback, and the locals of its frames are freed on the worker."""
from __future__ import annotations

import gc
import traceback
import weakref

import pytest

from tests.ui.helpers import run


class Rows(list):
    """A report's rows (a list subclass, so a weak reference can watch it)."""


def test_a_failed_call_frees_the_locals_of_what_it_was_raised_from(aloop, runner):
    """The panel keeps the exception to show it. A report stopped at the time limit raises
    TooSlow from the driver's error, whose traceback holds the report's frame and its
    half-built rows: they must not stay alive with it until a full collection frees them
    on the GUI thread."""
    watched = []

    def inner():
        rows = Rows(range(10))
        watched.append(weakref.ref(rows))
        raise ConnectionError("lost")

    def outer():
        try:
            inner()
        except ConnectionError as e:
            raise LookupError("report failed") from e

    async def go():
        with pytest.raises(LookupError) as info:
            await runner.call(outer)
        return info.value
    was = gc.isenabled()
    gc.disable()
    try:
        exc = run(aloop, go())
        assert isinstance(exc.__cause__, ConnectionError) and watched[0]() is None
    finally:
        if was:
            gc.enable()
    # where it went wrong is still told: the cleared frames keep their files and lines
    text = "".join(traceback.format_exception(exc))
    assert 'in inner\n    raise ConnectionError("lost")' in text


def test_a_call_that_succeeds_returns_its_value(aloop, runner):
    assert run(aloop, runner.call(lambda a, b=0: a + b, 2, b=3)) == 5
