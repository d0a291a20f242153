"""Every key chord a window answers at one moment: the menu bar's mnemonics, the
mnemonics of its visible buttons, buddied labels, group boxes and tabs, and the shortcuts
of its enabled actions and QShortcuts. Used by the clash tests (test_sales_keys.py)."""
from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QTabBar,
    QWidget,
)

MNEMONIC = re.compile(r"&([^&\s])")


def mnemonic(text: str) -> str | None:
    """Alt+<letter> for a text with a mnemonic (&&, a literal ampersand, is none)."""
    m = MNEMONIC.search(text.replace("&&", ""))
    return f"Alt+{m.group(1).upper()}" if m else None


def portable(seq: QKeySequence) -> str:
    return seq.toString(QKeySequence.SequenceFormat.PortableText)


def _label(w: QWidget, text: str) -> str:
    return f"{type(w).__name__} {w.objectName() or '?'} {text!r}"


def reachable_keys(window: QWidget) -> dict[str, list[str]]:
    """key chord → what answers it, for what is on screen in `window` now."""
    keys: dict[str, list[str]] = defaultdict(list)

    def add(key: str | None, owner: str) -> None:
        if key:
            keys[key].append(owner)

    if isinstance(window, QMainWindow) and window.menuWidget() is not None:
        for act in window.menuBar().actions():
            if act.isVisible():
                add(mnemonic(act.text()), f"menu {act.text()!r}")
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.window() is not window:
            continue
        if isinstance(w, QAbstractButton):
            text = w.text()
            add(mnemonic(text), _label(w, text))
            if not w.shortcut().isEmpty() and portable(w.shortcut()) != mnemonic(text):
                add(portable(w.shortcut()), _label(w, text))
        elif isinstance(w, QLabel) and w.buddy() is not None:
            add(mnemonic(w.text()), _label(w, w.text()))
        elif isinstance(w, QGroupBox):
            add(mnemonic(w.title()), _label(w, w.title()))
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                if w.isTabVisible(i) and w.isTabEnabled(i):
                    add(mnemonic(w.tabText(i)), _label(w, w.tabText(i)))
    for sc in window.findChildren(QShortcut):
        parent = sc.parent()
        if sc.isEnabled() and isinstance(parent, QWidget) and parent.isVisible() \
                and parent.window() is window:
            for seq in sc.keys():
                add(portable(seq), f"QShortcut {sc.objectName() or parent.objectName()}")
    seen: set[int] = set()
    for act in window.findChildren(QAction):
        if id(act) in seen or not act.isEnabled() or not act.isVisible():
            continue
        seen.add(id(act))
        owners = [o for o in act.associatedObjects()
                  if isinstance(o, QWidget) and (o is window or (
                      o.window() is window and (o.isVisible() or isinstance(o, QMenu))))]
        if not owners and act.parent() is not window:
            continue
        for seq in act.shortcuts():
            add(portable(seq), f"action {act.objectName() or act.text()!r}")
    return dict(keys)


def clashes(window: QWidget) -> dict[str, list[str]]:
    return {k: v for k, v in reachable_keys(window).items() if len(v) > 1}
