"""Every shipped translation loads, is complete, and really translates."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

from ui import i18n

TS_FILES = sorted(i18n.I18N_DIR.glob("*.ts"))


def test_both_languages_are_shipped():
    assert {p.name for p in TS_FILES} >= {"agent_desk_zh_CN.ts", "agent_desk_en.ts"}
    for lang in i18n.LANGUAGES:
        assert i18n.qm_path(lang).exists(), f"run scripts/update-translations.sh ({lang})"


@pytest.mark.parametrize("ts", TS_FILES, ids=lambda p: p.name)
def test_no_unfinished_or_empty_translations(ts):
    problems = []
    for ctx in ET.parse(ts).getroot().iter("context"):
        for msg in ctx.iter("message"):
            tr = msg.find("translation")
            if tr.get("type") in ("vanished", "obsolete"):
                continue
            forms = [f.text or "" for f in tr.findall("numerusform")] or [tr.text or ""]
            if tr.get("type") == "unfinished" or not all(f.strip() for f in forms):
                problems.append(f"[{ctx.findtext('name')}] {msg.findtext('source')!r}")
    assert problems == [], f"{ts.name}: {len(problems)} unfinished:\n" + "\n".join(problems)


@pytest.mark.parametrize("qm", sorted(i18n.I18N_DIR.glob("*.qm")), ids=lambda p: p.name)
def test_every_qm_loads(qapp, qm):
    t = QTranslator()
    assert t.load(str(qm)), qm
    assert not t.isEmpty()


def test_install_zh_cn_translates_our_strings_and_qts(qapp):
    try:
        loaded = i18n.install("zh_CN", qapp)
        assert loaded == ["agent_desk_zh_CN.qm", "qtbase_zh_CN.qm"]
        assert QCoreApplication.translate("errors", "Wrong login or password.") == "用户名或密码错误。"
        assert QCoreApplication.translate("MainWindow", "&Archives") == "档案管理(&A)"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
        assert QCoreApplication.translate("ArchivePanel", "%n record(s)", "", 3) == "共 3 条记录"
    finally:
        i18n.install("en", qapp)
    assert QCoreApplication.translate("errors", "Wrong login or password.") == \
        "Wrong login or password."


def test_resolve_language():
    assert i18n.resolve("en") == "en" and i18n.resolve("zh_CN") == "zh_CN"
    assert i18n.resolve("") in i18n.LANGUAGES and i18n.resolve("fr") in i18n.LANGUAGES
