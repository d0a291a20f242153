"""The features the desk is built from, in menu and start-up order. A new feature package
declares `FEATURE` in its `__init__` and is added here; nothing else changes."""
from __future__ import annotations

from ui.archives import FEATURE as ARCHIVES
from ui.call import FEATURE as CALL
from ui.logistics import FEATURE as LOGISTICS
from ui.sales import FEATURE as SALES
from ui.statistics import FEATURE as STATISTICS

FEATURES = (ARCHIVES, SALES, CALL, LOGISTICS, STATISTICS)
