"""agent-app: the desktop client's entry point.

Start-up, in order: logging (file + ring buffer) and the crash hooks; translations;
the qasync event loop; the database (schema check, with a message that says what to do
and offers the settings dialog); login (or the demo agent with --demo); a forced password
change after a reset; the main window. --screenshot renders the main window offscreen
with the demo database and exits.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time

from agent_app.config import WorkstationSettings
from agent_app.paths import resources_dir

log = logging.getLogger("agent_app.ui")
_T0 = time.perf_counter()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="agent-app", description="Call-center agent desktop")
    p.add_argument("--demo", action="store_true",
                   help="embedded SQLite demo database and built-in CTI server; "
                        "logs in as the demo agent")
    p.add_argument("--screenshot", metavar="FILE",
                   help="render the main window (demo database, demo login) to a PNG and exit")
    p.add_argument("--size", default="1366x768", metavar="WxH",
                   help="window size for --screenshot (default 1366x768)")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="language (default: the system's)")
    p.add_argument("--debug", action="store_true", help="debug logging")
    p.add_argument("--smoke-test", action="store_true",
                   help="start as usual; once the login dialog shows, check its translation and "
                        "style, print one line, exit (0: all there); for installer builds")
    args = p.parse_args(argv)
    try:
        w, h = (int(x) for x in args.size.lower().split("x"))
        if not (200 <= w <= 10000 and 200 <= h <= 10000):
            raise ValueError
        args.size = (w, h)
    except ValueError:
        p.error("--size must look like 1366x768")
    return args


def load_style(app) -> None:
    qss = resources_dir() / "style.qss"
    try:
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    except OSError:
        log.info("no style sheet at %s", qss)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.screenshot and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    import qasync
    from PySide6.QtWidgets import QApplication

    from ui import i18n
    from ui.collector import GuiThreadCollector
    from ui.crash import CrashReporter, setup_logging
    from ui.fonts import use_cjk_font
    from ui.worker import share_the_gil

    ring = setup_logging(logging.DEBUG if args.debug else logging.INFO)
    log.info("agent-app starting (%s)", " ".join(sys.argv[1:]))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("agent-desk")
    app.setOrganizationName("agent-desk")
    # before any worker thread starts: from here on only the GUI thread collects garbage
    GuiThreadCollector(app).start()
    share_the_gil()  # the GUI thread is never kept waiting long by a worker's Python
    settings = WorkstationSettings.load()
    lang = i18n.resolve(args.lang or settings.language)
    catalogs = i18n.install(lang, app)
    log.info("language %s: loaded %s", lang, catalogs)
    load_style(app)
    if args.smoke_test:  # watches for the login dialog (ui/smoke.py)
        from ui.smoke import SmokeProbe
        smoke = SmokeProbe(app, lang, catalogs).start()
    log.info("interface font: %s", use_cjk_font(app) or app.font().family())
    reporter = CrashReporter(ring)
    reporter.install()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(reporter.asyncio_handler)
    from ui.shell import Shell

    shell = Shell(app, args, settings, reporter, started_at=_T0)
    try:
        with loop:
            code = loop.run_until_complete(shell.run())
    finally:
        reporter.uninstall()
    if args.smoke_test and not smoke.ok:
        code = 1
    log.info("agent-app exiting with %s", code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
