"""The installed PySide6 keeps Python's reference counts: PySide6 6.12.0 (on CPython 3.11)
dropped a reference to None on every call of a method returning void and to True on
every signal emit, so a desk aborted ("Fatal Python error: none_dealloc") once the day's
work had used up None's count. pyproject.toml keeps that release out; this fails on any
release that does it again."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

CALLS = 5_000


class Emitter(QObject):
    flag = Signal(bool)
    payload = Signal(object)


# Extra references to None, True and False for the whole session, so that a broken
# release fails this test (and its report gets written) instead of aborting the interpreter
_PAD = [None, True, False] * (CALLS * 20)


def counts() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


@pytest.mark.parametrize("what", ["void method", "signal emit", "processEvents"])
def test_calls_leave_the_counts_of_none_true_and_false_alone(qapp, what):
    widget, edit, timer, emitter = QWidget(), QLineEdit(), QTimer(), Emitter()
    emitter.flag.connect(lambda _v: None)
    emitter.payload.connect(lambda _v: None)
    calls = {
        "void method": lambda: (widget.setEnabled(True), edit.setText("张三"),
                                timer.setInterval(5)),
        "signal emit": lambda: (emitter.flag.emit(True), emitter.payload.emit({"a": None})),
        "processEvents": qapp.processEvents,
    }[what]
    calls()   # first calls may cache (type slots, signatures)
    before = counts()
    for _ in range(CALLS):
        calls()
    after = counts()
    # a few references may come and go (caches, event queue); a lost one per call may not
    assert all(abs(a - b) < CALLS // 10 for a, b in zip(after, before, strict=True)), \
        f"reference counts of None, True, False moved by " \
        f"{tuple(a - b for a, b in zip(after, before, strict=True))} over {CALLS} calls"
