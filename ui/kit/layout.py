"""Each user's window layout: geometry, dock state and the open archive windows, kept as
JSON in home()/layouts/<login>.json ({"version", "geometry", "state", "panels"}, the
two Qt blobs base64) and restored after the next login."""
from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMainWindow

from agent_app.config import home

log = logging.getLogger(__name__)
LAYOUT_VERSION = 1


def layout_path(login: str) -> Path:
    safe = "".join(c for c in login if c.isalnum()) or "_"
    return home() / "layouts" / f"{safe}.json"


def save_layout(window: QMainWindow, login: str, open_panels: Iterable[str]) -> None:
    data = {"version": LAYOUT_VERSION,
            "geometry": base64.b64encode(bytes(window.saveGeometry().data())).decode(),
            "state": base64.b64encode(bytes(window.saveState(LAYOUT_VERSION).data())).decode(),
            "panels": list(open_panels)}
    path = layout_path(login)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a full disk loses the layout, nothing else
        log.warning("cannot save the layout to %s: %s", path, exc)


def restore_layout(window: QMainWindow, login: str, known_panels: Iterable[str],
                   open_panel: Callable[[str], object]) -> bool:
    """Reopens the saved panels among `known_panels` (docks must exist before
    restoreState can place them), then geometry and dock state; False when there is
    nothing usable to restore (first login here, or a damaged file)."""
    known = set(known_panels)
    try:
        data = json.loads(layout_path(login).read_text(encoding="utf-8"))
        state = base64.b64decode(data["state"])
        geometry = base64.b64decode(data["geometry"])
        panels = [k for k in data.get("panels", []) if k in known]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for key in panels:
        open_panel(key)
    window.restoreGeometry(QByteArray(geometry))
    return window.restoreState(QByteArray(state), LAYOUT_VERSION)
