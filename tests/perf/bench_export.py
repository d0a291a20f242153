"""The Excel export (ui/kit/export.py): rows per second and peak memory writing 100,000
rows of a statistics table (eight columns of every kind), then the longest GUI-thread stall
(ui/worker.py's LagProbe, a 5 ms timer) while the Qt side exports 50,000 rows on its worker
thread. Offscreen; no database.

    .venv/bin/python tests/perf/bench_export.py [--rows 100000] [--gui-rows 50000]

Memory: the process's peak resident size before and after writing (ru_maxrss, POSIX);
write-only mode keeps it flat however many rows.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def write_only(rows: int, folder: Path) -> None:
    from tests.ui.reports import COLUMNS, report_row
    from ui.kit.export import write_xlsx

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t, cpu = time.perf_counter(), time.process_time()
    n = write_xlsx(folder / "bench.xlsx", COLUMNS, (report_row(i) for i in range(rows)))
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = (folder / "bench.xlsx").stat().st_size
    print(f"write_xlsx: {n} rows in {elapsed:.1f} s = {n / elapsed:,.0f} rows/s "
          f"({n / cpu:,.0f} rows per CPU second); peak RSS {rss_after / 1024:.0f} MiB "
          f"(+{(rss_after - rss_before) / 1024:.1f} MiB while writing); file "
          f"{size / 2**20:.1f} MiB")


def gui(rows: int, folder: Path) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication, QWidget

    from tests.ui.reports import COLUMNS, report_row
    from ui import i18n
    from ui.kit.export import ExcelExport
    from ui.worker import LagProbe

    app = QApplication.instance() or QApplication([])
    i18n.install("en", app)
    parent = QWidget()
    export = ExcelExport(parent, "bench", COLUMNS, lambda: (report_row(i) for i in range(rows)),
                         total=rows)
    probe = LagProbe(interval_ms=5)
    loop = QEventLoop()
    export.finished.connect(loop.quit)
    probe.start()
    t = time.perf_counter()
    export.start(str(folder / "gui.xlsx"))
    loop.exec()
    elapsed = time.perf_counter() - t
    probe.stop()
    lags = sorted(probe.samples)
    p99 = lags[int(len(lags) * 0.99)] if lags else 0.0
    print(f"Qt export: {rows} rows in {elapsed:.1f} s; {export.message!r}")
    print(f"GUI thread: {len(lags)} timer ticks, worst stall {probe.max_lag_ms:.0f} ms, "
          f"99th percentile {p99:.0f} ms")
    del app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--gui-rows", type=int, default=50_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_only(args.rows, Path(tmp))
        gui(args.gui_rows, Path(tmp))


if __name__ == "__main__":
    main()
