"""The PySide6 emit() refcount work-around (ui/qtfix.py) keeps True's count stable."""
from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import ui  # noqa: F401 - importing ui installs the work-around
from ui import qtfix


class _Sender(QObject):
    text = Signal(str)


def test_many_emits_do_not_drain_true(qapp):
    sender = _Sender()
    got: list[str] = []
    sender.text.connect(got.append)
    before = sys.getrefcount(True)
    for _ in range(5000):
        sender.text.emit("进线")
    assert len(got) == 5000
    assert abs(sys.getrefcount(True) - before) < 50  # unpatched 6.12.0 loses 5000
    assert not qtfix.emit_leaks_bool_reference()
    assert qtfix.install() is qtfix._installed  # idempotent
