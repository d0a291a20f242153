"""The PyInstaller one folder (installer/agent-desk.spec, Linux variant) starts: built once
per session by scripts/build-installer.sh into a temporary folder, whose own smoke test runs
agent-admin --help, agent-ctid --help, agent-admin init-db and agent-app --smoke-test
--lang zh_CN offscreen (exit 0 once the login dialog shows translated and styled).

About 80 s of build on two cores: marked slow so `-m "not slow"` can leave it out, but the
default suite (and CI) runs it.
"""
from __future__ import annotations

import csv
import gzip
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def frozen(tmp_path_factory):
    base = tmp_path_factory.mktemp("pyinstaller")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run(["bash", str(ROOT / "scripts" / "build-installer.sh"), "--no-setup",
                        "--dist", str(base / "dist"), "--work", str(base / "work")],
                       capture_output=True, text=True, timeout=280, env=env, cwd=ROOT)
    yield r, base / "dist" / "agent-desk"
    shutil.rmtree(base, ignore_errors=True)  # ~230 MB; pytest keeps its last three temp trees


def test_build_and_its_smoke_test_pass(frozen):
    r, app = frozen
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    assert "usage: agent-admin" in out and "usage: agent-ctid" in out
    assert "smoke: login dialog shown (zh_CN translations loaded, style loaded)" in out
    for exe in ("agent-app", "agent-ctid", "agent-admin"):
        assert os.access(app / exe, os.X_OK)


def test_frozen_agent_admin_loads_migrations_data_and_exports(frozen, tmp_path):
    r, app = frozen
    assert r.returncode == 0, "the build failed: see test_build_and_its_smoke_test_pass"
    db = tmp_path / "site.sqlite3"
    run = subprocess.run([str(app / "agent-admin"), "init-db", "--url", f"sqlite:///{db}"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    # the seed skips a missing data file silently: count what arrived
    with gzip.open(ROOT / "db" / "data" / "mobile_prefixes.csv.gz", "rt", encoding="utf-8") as f:
        prefixes = sum(1 for _ in csv.DictReader(f))
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM mobile_prefix").fetchone()[0] == prefixes
        assert con.execute("SELECT count(*) FROM area_code").fetchone()[0] > 0
    finally:
        con.close()
    # an export: xlsxwriter, imported only inside the writer, is in the build
    out = tmp_path / "daily.xlsx"
    run = subprocess.run([str(app / "agent-admin"), "report", "daily-calls", "--url",
                          f"sqlite:///{db}", "--from", "2026-11-01", "--to", "2026-11-30",
                          "--out", str(out)], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    import openpyxl
    ws = openpyxl.load_workbook(out).active
    assert ws.freeze_panes == "A3" and ws.max_column == 6 and ws["A2"].value


def test_frozen_agent_admin_has_every_command(frozen):
    """Its command groups are imported by name, which PyInstaller's analysis cannot see."""
    from agent_app.cli.admin import build_parser

    r, app = frozen
    assert r.returncode == 0, "the build failed: see test_build_and_its_smoke_test_pass"
    help_ = subprocess.run([str(app / "agent-admin"), "--help"], capture_output=True,
                           text=True, timeout=60).stdout
    frozen_commands = set(re.search(r"\{([\w,-]+)\}", help_).group(1).split(","))
    source_commands = set(re.search(r"\{([\w,-]+)\}", build_parser().format_help())
                          .group(1).split(","))
    assert frozen_commands == source_commands
