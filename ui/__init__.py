"""Qt widgets: main window, dock panels, dialogs, table models. Talks to the core
through service calls run on a worker thread (ui/worker.py)."""

from ui import qtfix as _qtfix

_qtfix.install()  # before any signal is emitted: PySide6 6.12.0's emit() refcount bug
