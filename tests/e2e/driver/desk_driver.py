"""The in-process half of the end-to-end driver (see sitecustomize.py beside it).

A daemon thread listens on a Unix socket; each request is one JSON line, answered by one
JSON line. Requests run on the GUI thread (a queued signal into a QObject that lives
there), so they see the widgets exactly as the user does and never race the event loop.
Presses are real input events (QTest mouse clicks and key clicks); reads are what the
widget shows (a label's text, a table's displayed cells).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback


def start(path: str) -> None:
    threading.Thread(target=_serve, args=(path,), name="e2e-driver", daemon=True).start()


def _serve(path: str) -> None:
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    while QApplication.instance() is None:  # the program makes its QApplication first
        time.sleep(0.02)
    app = QApplication.instance()

    class Invoker(QObject):
        request = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.request.connect(self.run)

        def run(self, job) -> None:
            msg, box, done = job
            try:
                box["value"] = OPS[msg["op"]](msg)
                box["ok"] = True
            except Exception as exc:  # noqa: BLE001 - reported to the test
                box.update(ok=False, error=f"{type(exc).__name__}: {exc}",
                           trace=traceback.format_exc())
            done.set()

    invoker = Invoker()
    invoker.moveToThread(app.thread())
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=_connection, args=(conn, invoker), daemon=True).start()


def _connection(conn, invoker) -> None:
    f = conn.makefile("rwb")
    for line in f:
        msg = json.loads(line)
        box: dict = {}
        done = threading.Event()
        invoker.request.emit((msg, box, done))
        if not done.wait(30):
            box = {"ok": False, "error": "the GUI thread did not answer in 30 s"}
        f.write((json.dumps(box, ensure_ascii=False, default=str) + "\n").encode())
        f.flush()


# -- operations (GUI thread) ----------------------------------------------------------------
def _widgets(name: str, visible: bool = True):
    from PySide6.QtWidgets import QApplication

    found = [w for w in QApplication.allWidgets() if w.objectName() == name]
    return [w for w in found if w.isVisible()] if visible else found


def _one(msg):
    found = _widgets(msg["name"], msg.get("visible", True))
    if not found:
        raise LookupError(f"no visible widget named {msg['name']!r}")
    return found[msg.get("index", -1)]


def op_windows(msg):
    from PySide6.QtWidgets import QApplication

    return [{"class": type(w).__name__, "name": w.objectName(), "title": w.windowTitle()}
            for w in QApplication.topLevelWidgets() if w.isVisible()]


def op_exists(msg):
    return bool(_widgets(msg["name"], msg.get("visible", True)))


def op_text(msg):
    w = _one(msg)
    for attr in ("text", "toPlainText", "currentText", "windowTitle"):
        fn = getattr(w, attr, None)
        if fn is not None:
            return fn()
    raise TypeError(f"{type(w).__name__} shows no text")


def op_enabled(msg):
    return _one(msg).isEnabled()


def op_click(msg):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    w = _one(msg)
    if not w.isEnabled():
        raise RuntimeError(f"{msg['name']} is disabled")
    QTest.mouseClick(w, Qt.MouseButton.LeftButton)
    return True


def op_trigger(msg):
    """A menu action, as the user picks it from its menu (actions have no widget)."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication

    for top in QApplication.topLevelWidgets():
        act = top.findChild(QAction, msg["name"])
        if act is not None and act.isEnabled() and act.isVisible():
            act.trigger()
            return True
    raise LookupError(f"no enabled action named {msg['name']!r}")


def op_type(msg):
    from PySide6.QtTest import QTest

    w = _one(msg)
    w.setFocus()
    QTest.keyClicks(w, msg["text"])
    return True


def op_key(msg):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    w = _one(msg) if msg.get("name") else __import__("PySide6.QtWidgets").QtWidgets \
        .QApplication.focusWidget()
    QTest.keyClick(w, getattr(Qt.Key, f"Key_{msg['key']}"))
    return True


def op_table(msg):
    """The cells a table view shows: header and rows, as display text."""
    from PySide6.QtCore import Qt

    view = _one(msg)
    model = view.model()
    cols = model.columnCount()
    header = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(cols)]
    rows = [[str(model.index(r, c).data() if model.index(r, c).data() is not None else "")
             for c in range(cols)] for r in range(min(model.rowCount(), msg.get("limit", 200)))]
    return {"header": header, "rows": rows}


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}
