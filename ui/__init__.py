"""Qt widgets: main window, dock panels, dialogs, table models. Talks to the core
through service calls run on a worker thread (ui/worker.py)."""
