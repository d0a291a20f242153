"""Turning a service call's failure into a message (ui.errors): a known error becomes a
sentence in the user's language, anything else is a bug (no message)."""
from __future__ import annotations

from agent_app.errors import NotFound, UserError
from ui.errors import error_text, known_error


def test_a_known_error_gives_its_message_and_a_bug_none():
    known = known_error(NotFound())
    assert known is not None
    assert error_text(known) == "The record no longer exists; refresh and try again."
    assert known_error(ZeroDivisionError()) is None


def test_error_text_fills_in_the_parameters():
    assert error_text(UserError("The customer is locked by {name}.", name="李娜")) == \
        "The customer is locked by 李娜."
