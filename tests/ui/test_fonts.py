"""The interface font has Chinese glyphs of its own (ui/fonts.py)."""
from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

from ui import fonts


def test_the_first_installed_cjk_family_is_chosen_in_order():
    assert fonts.cjk_family(["DejaVu Sans", "Noto Sans CJK SC", "Microsoft YaHei"]) \
        == "Microsoft YaHei"
    assert fonts.cjk_family(["DejaVu Sans"]) is None


def test_use_cjk_font_puts_a_chinese_family_first_and_keeps_the_size(qapp):
    before = QFont(qapp.font())
    try:
        family = fonts.use_cjk_font(qapp)
        # scripts/test.sh installs fonts-noto-cjk, so there is one
        assert family is not None
        font = qapp.font()
        assert font.families()[0] == family and before.family() in font.families()
        assert font.pointSizeF() == before.pointSizeF()
        assert QFontDatabase.WritingSystem.SimplifiedChinese in \
            QFontDatabase.writingSystems(family)
    finally:
        qapp.setFont(before)


def test_without_a_cjk_font_nothing_changes(qapp, monkeypatch):
    before = QFont(qapp.font())
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Font SC",))
    assert fonts.use_cjk_font(qapp) is None
    assert qapp.font() == before
