"""Each user's window layout: geometry, dock positions and which panels are open, saved as
home()/layouts/<login>.json when the main window closes and put back after the next login.

The geometry is kept inside the screen's available area when it is restored: a layout
saved on a 1920×1080 desk must not put the status bar off a 1366×768 screen.
"""
from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QApplication, QMainWindow

from agent_app.config import home

log = logging.getLogger(__name__)
VERSION = 1


def path_for(login: str) -> Path:
    safe = "".join(c for c in login if c.isalnum()) or "_"
    return home() / "layouts" / f"{safe}.json"


def exists(login: str) -> bool:
    return path_for(login).exists()


@dataclass(frozen=True)
class Saved:
    geometry: bytes
    state: bytes
    panels: tuple[str, ...]


def save(window: QMainWindow, login: str, panels: list[str]) -> None:
    data = {"version": VERSION,
            "geometry": base64.b64encode(bytes(window.saveGeometry().data())).decode(),
            "state": base64.b64encode(bytes(window.saveState(VERSION).data())).decode(),
            "panels": panels}
    path = path_for(login)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a full disk loses the layout, nothing else
        log.warning("cannot save the layout to %s: %s", path, exc)


def load(login: str) -> Saved | None:
    try:
        data = json.loads(path_for(login).read_text(encoding="utf-8"))
        return Saved(base64.b64decode(data["geometry"]), base64.b64decode(data["state"]),
                     tuple(str(k) for k in data.get("panels", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def apply(window: QMainWindow, saved: Saved) -> bool:
    window.restoreGeometry(QByteArray(saved.geometry))
    fit_inside_screen(window)
    return window.restoreState(QByteArray(saved.state), VERSION)


def fit_inside_screen(window: QMainWindow) -> None:
    """Shrink and move the window so all of it is on its screen's available area."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return
    area: QRect = screen.availableGeometry()
    frame = window.frameGeometry()
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(window.x(), area.left()), area.right() - width - extra_w + 1)
    y = min(max(window.y(), area.top()), area.bottom() - height - extra_h + 1)
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)
