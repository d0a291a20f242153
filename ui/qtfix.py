"""Work-arounds for bugs in the Qt bindings we ship, each detected rather than assumed.

PySide6 6.12.0: `SignalInstance.emit()` returns Py_True without taking a reference, so
every emit from Python leaves `True` one reference short. After some ten thousand emits
(a CTI link emits several per call) True's count reaches zero and the interpreter aborts
with "Fatal Python error: bool_dealloc" — in our test suite this happened at exit. We
measure the leak once at start-up and, only if present, wrap emit() to add the missing
reference. Fixed bindings measure no leak and stay untouched.
"""
from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
_installed = False


class _Probe(QObject):
    ping = Signal()


def emit_leaks_bool_reference() -> bool:
    """True when SignalInstance.emit() returns a bool without owning a reference."""
    probe = _Probe()
    before = sys.getrefcount(True) + sys.getrefcount(False)
    for _ in range(20):
        probe.ping.emit()
    after = sys.getrefcount(True) + sys.getrefcount(False)
    leaked = before - after
    if leaked > 0:  # give back what the probe itself took
        for _ in range(leaked):
            _incref(True)
    return leaked >= 20


def install() -> bool:
    """Patch SignalInstance.emit if (and only if) this PySide6 has the bug. Idempotent."""
    global _installed
    if _installed or not emit_leaks_bool_reference():
        return _installed
    original = SignalInstance.emit

    def emit(self, *args):
        result = original(self, *args)
        if result is True or result is False:
            _incref(result)  # the reference the binding forgot to take
        return result

    emit.__doc__ = original.__doc__
    SignalInstance.emit = emit
    _installed = True
    return True
