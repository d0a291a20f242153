"""Loading the shipped translations.

Our strings come from i18n/agent_desk_<lang>.qm (built by scripts/update-translations.sh
with pyside6-lrelease); Qt's own standard-button and dialog texts from qtbase_<lang>.qm in
PySide6's translations folder. zh_CN is the default on a Chinese system, English elsewhere.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from agent_app.paths import i18n_dir

log = logging.getLogger(__name__)

I18N_DIR = i18n_dir()  # source checkout, installed wheel or PyInstaller bundle
LANGUAGES = ("zh_CN", "en")
APP_CATALOG = "agent_desk"

# Installed translators, kept referenced (a collected QTranslator silently uninstalls).
_installed: list[QTranslator] = []


def qm_path(lang: str) -> Path:
    return I18N_DIR / f"{APP_CATALOG}_{lang}.qm"


def system_language() -> str:
    """zh_CN on any Chinese system locale (zh_CN, zh_TW, zh_HK …), else en."""
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else "en"


def resolve(requested: str | None) -> str:
    """The language to use: an explicit valid choice, or the system's."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    return system_language()


def install(lang: str, app: QCoreApplication | None = None) -> list[str]:
    """Replace any installed translators with those for `lang`; returns what loaded.

    Installing sends LanguageChange to every widget, so open panels retranslate.
    """
    app = app or QCoreApplication.instance()
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    loaded: list[str] = []
    ours = QTranslator(app)
    if ours.load(str(qm_path(lang))):
        app.installTranslator(ours)
        _installed.append(ours)
        loaded.append(qm_path(lang).name)
    else:
        log.warning("translation %s not found or invalid", qm_path(lang))
    if lang != "en":
        qt = QTranslator(app)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load(f"qtbase_{lang}", qt_dir):
            app.installTranslator(qt)
            _installed.append(qt)
            loaded.append(f"qtbase_{lang}.qm")
        else:
            log.info("Qt's own qtbase_%s.qm is not in %s", lang, qt_dir)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China)
                       if lang == "zh_CN" else QLocale(QLocale.Language.English,
                                                       QLocale.Country.UnitedStates))
    return loaded


def language_names() -> dict[str, str]:
    """Each language in its own name, shown in the settings dialog (not translated)."""
    return {"": QCoreApplication.translate("i18n", "System default"),
            "zh_CN": "简体中文", "en": "English"}
