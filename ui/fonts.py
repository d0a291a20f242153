"""The interface font: one that has Chinese glyphs of its own.

With a Latin default (DejaVu Sans on Linux, Segoe UI on an English Windows) Chinese text
is drawn from a fallback font whose glyphs stand taller than the default's metrics:
line edits, spin boxes and dock titles then cut the top stroke off (王 showed as 干, 天 as
大 in the 1366×768 screenshots). A CJK family first in the list sizes every widget for
the Chinese the agents read all day, in either interface language.
"""
from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase

log = logging.getLogger(__name__)

# Windows (Chinese and English editions), then the common Linux and macOS families
CJK_FAMILIES = ("Microsoft YaHei UI", "Microsoft YaHei", "Noto Sans CJK SC",
                "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC")


def cjk_family(installed: list[str] | None = None) -> str | None:
    """The first of CJK_FAMILIES that is installed, or None."""
    have = set(QFontDatabase.families() if installed is None else installed)
    return next((f for f in CJK_FAMILIES if f in have), None)


def use_cjk_font(app) -> str | None:
    """Put a CJK family first in the application font (size unchanged, the old family
    kept behind it for Latin text); returns the family, or None when none is installed."""
    family = cjk_family()
    if family is None:
        log.info("no CJK font installed: Chinese text falls back and may be clipped")
        return None
    font = QFont(app.font())
    font.setFamilies([family, *font.families()])
    app.setFont(font)
    return family
