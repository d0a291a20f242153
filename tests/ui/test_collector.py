"""Garbage is collected on the GUI thread only (ui/collector.py), and start-up objects
leave the collector's reach (GUI-thread pauses)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import pytest

from ui.collector import GuiThreadCollector, freeze_startup_objects

PROBE = Path(__file__).with_name("collector_probe.py")
WRONG_THREAD = "Timers cannot be stopped from another thread"


def probe(mode: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, str(PROBE), mode], capture_output=True,
                          text=True, timeout=120, env=env, cwd=PROBE.parents[2])


def test_without_it_a_worker_thread_destroys_gui_timers():
    """The crash CI saw (segfault in a later test's event loop): the closed qasync loops'
    timers are destroyed on the worker that happened to collect."""
    bad = probe("off")
    assert WRONG_THREAD in bad.stderr


def test_with_it_the_gui_thread_destroys_them_and_the_loop_runs_on():
    good = probe("on")
    assert good.returncode == 0, good.stderr
    assert WRONG_THREAD not in good.stderr
    assert "loop timers alive: 0" in good.stdout   # collected, not merely kept
    assert "survived" in good.stdout


def test_closed_loops_leave_no_timers_for_another_thread_to_destroy():
    """The UI tests close a qasync loop per test (tests/conftest.py's aloop): closed by
    close_loop, a loop's pending timers go with its timer object on the GUI thread, so
    even a collection on a worker finds nothing Qt still fires (the segfault in a later
    test's QTimerInfoList::activateTimers)."""
    closed = probe("closed")
    assert closed.returncode == 0, closed.stderr
    assert WRONG_THREAD not in closed.stderr
    assert "survived" in closed.stdout


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def automatic_gc():
    """Automatic collection on, as in a fresh interpreter (the session's own collector
    turned it off), so the collector under test is the one that must turn it off."""
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_worker_allocations_never_collect_and_the_timer_collects_on_the_gui_thread(
        qapp, qtbot, automatic_gc):
    collector = GuiThreadCollector(interval_ms=20)
    collector.start()
    threads: list[str] = []

    def record(phase, info):
        if phase == "start":
            threads.append(threading.current_thread().name)
    gc.callbacks.append(record)
    try:
        garbage: list[weakref.ref] = []

        def worker():
            for _ in range(20_000):   # far past the 700-allocation threshold
                garbage.append(weakref.ref(Cycle()))
        t = threading.Thread(target=worker, name="db_0")
        t.start()
        t.join()
        assert "db_0" not in threads
        assert any(r() is not None for r in garbage)   # still waiting for the GUI thread
        qtbot.waitUntil(lambda: all(r() is None for r in garbage), timeout=5000)
        assert threads and set(threads) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(record)
        collector.stop()


def test_check_collects_only_past_a_threshold(qapp, automatic_gc):
    collector = GuiThreadCollector()
    collector.start()   # automatic collection off: only check() collects here
    try:
        gc.collect()
        assert collector.check() == 0          # counts reset: nothing to do
        cycles = [weakref.ref(Cycle()) for _ in range(gc.get_threshold()[0] + 10)]
        assert any(r() is not None for r in cycles)
        assert collector.check() > 0           # generation 0 passed its threshold
        assert all(r() is None for r in cycles)
    finally:
        collector.stop()


@pytest.mark.parametrize("enabled", [True, False])
def test_stop_gives_automatic_collection_back_as_it_was(qapp, enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        collector = GuiThreadCollector()
        collector.start()
        assert not gc.isenabled() and collector.active
        collector.stop()
        assert gc.isenabled() is enabled and not collector.active
    finally:
        (gc.enable if was else gc.disable)()


def test_freeze_startup_objects_moves_live_objects_to_the_permanent_generation():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    keep = [object() for _ in range(1000)]  # noqa: F841 - alive across the freeze
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() >= 1000
    finally:
        gc.unfreeze()


def test_the_oldest_generation_waits_until_the_heap_grew_a_quarter(qapp, monkeypatch):
    """As CPython decides for itself: a full collection walks every object, so while a
    worker builds a report's rows the GUI thread walks the heap only as it grows by a
    quarter, not at every check past the thresholds (161 ms a time on a year's rows)."""
    collected = []

    def record(phase, info):
        if phase == "start":
            collected.append(info["generation"])
    collector = GuiThreadCollector()
    collector.start()
    gc.callbacks.append(record)
    monkeypatch.setattr(gc, "get_count", lambda: (800, 11, 11))  # every threshold passed
    try:
        collector.check()
        collector.check()
        grown = [object() for _ in range(sys.getallocatedblocks() // 3)]  # a third more
        collector.check()
        collector.check()
        del grown
    finally:
        gc.callbacks.remove(record)
        monkeypatch.undo()
        collector.stop()
    assert collected[:4] == [2, 1, 2, 1]
