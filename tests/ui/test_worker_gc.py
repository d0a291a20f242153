"""The start-up objects leave the cyclic collector's reach (GUI-thread pauses)."""
from __future__ import annotations

import gc

from ui.worker import freeze_startup_objects


def test_freeze_startup_objects_moves_live_objects_to_the_permanent_generation():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    keep = [object() for _ in range(1000)]  # noqa: F841 - alive across the freeze
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() >= 1000
    finally:
        gc.unfreeze()
