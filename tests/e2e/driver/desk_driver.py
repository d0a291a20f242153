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


def _inside(w, ancestor: str) -> bool:
    while w is not None:
        if w.objectName() == ancestor:
            return True
        w = w.parentWidget()
    return False


def _one(msg):
    """The named widget; `within` names a panel or window it must sit in (two panels
    may both have a 查找 button)."""
    found = _widgets(msg["name"], msg.get("visible", True))
    if msg.get("within"):
        found = [w for w in found if _inside(w, msg["within"])]
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
    """Keys into a named widget (an editable combo's line edit for a combo)."""
    from PySide6.QtTest import QTest

    w = _one(msg)
    line = w.lineEdit() if hasattr(w, "lineEdit") and w.lineEdit() is not None else w
    line.setFocus()
    QTest.keyClicks(line, msg["text"])
    return True


def op_popup(msg):
    """The open popup (a completer's list, a menu), if any: class and items shown."""
    from PySide6.QtWidgets import QApplication

    popup = QApplication.activePopupWidget()
    if popup is None:
        return None
    model = popup.model() if hasattr(popup, "model") else None
    items = [str(model.index(r, 0).data()) for r in range(model.rowCount())] if model else []
    return {"class": type(popup).__name__, "items": items}


def op_key(msg):
    """One key, where the keyboard would send it: an open popup (a completer's list)
    first; else the named widget (an editable combo's line edit); else the focus."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    target = QApplication.activePopupWidget()
    if target is None and msg.get("name"):
        target = _one(msg)
        if hasattr(target, "lineEdit") and target.lineEdit() is not None:
            target = target.lineEdit()
    if target is None:
        target = QApplication.focusWidget()
    if target is None:
        raise RuntimeError("no widget has the keyboard focus")
    QTest.keyClick(target, getattr(Qt.Key, f"Key_{msg['key']}"))
    return type(target).__name__


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


def op_click_cell(msg):
    """A real mouse click on a table cell (double with `double`)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    view = _one(msg)
    index = view.model().index(msg["row"], msg["col"])
    view.scrollTo(index)
    pos = view.visualRect(index).center()
    click = QTest.mouseDClick if msg.get("double") else QTest.mouseClick
    click(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    return True


def op_click_button(msg):
    """A message box's standard button (是/否 …), clicked."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QMessageBox

    box = _one(msg)
    button = box.button(getattr(QMessageBox.StandardButton, msg["button"]))
    if button is None:
        raise LookupError(f"{msg['name']} has no {msg['button']} button")
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    return True


def op_click_labelled(msg):
    """The button inside `within` whose label (without its & mnemonic) reads `text`."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractButton

    host = _one({"name": msg["within"]})
    for b in host.findChildren(QAbstractButton):
        if b.isVisible() and b.text().replace("&", "") == msg["text"]:
            QTest.mouseClick(b, Qt.MouseButton.LeftButton)
            return True
    raise LookupError(f"no button {msg['text']!r} in {msg['within']}")


OPS["click_cell"] = op_click_cell
OPS["click_labelled"] = op_click_labelled
OPS["click_button"] = op_click_button
