"""`pip install .` carries what the programs need: the wheel, installed into a fresh virtual
environment, finds its translations, style sheet, load scenarios, migrations and reference
data, with no source checkout to fall back on.

The fresh venv gets the wheel alone (--no-deps, --no-index: nothing is downloaded) and a
.pth line pointing at this test venv's site-packages for the dependencies. Python appends
such a line to sys.path without processing the .pth files in it, so this project's
editable-install finder stays inert there; the test still checks that agent_app, ui and db
are imported from the new venv.
"""
from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the wheel is built from; copied, so the build leaves no build/ or *.egg-info in the
# tree and never packs a stale build/lib.
SOURCES = ["pyproject.toml", "README.md", "agent_app", "ui", "db", "resources", "i18n"]
CODE = ["agent_app", "ui", "db"]

CHECK = r"""
import json, sysconfig
import agent_app, db, ui
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication
from agent_app.paths import i18n_dir, resources_dir, scenario_file
from agent_app.cti.simulate import Scenario
from ui import i18n
from ui.app import load_style

app = QApplication([])
out = {"site": sysconfig.get_paths()["purelib"],
       "modules": [m.__file__ for m in (agent_app, ui, db)],
       "resources": str(resources_dir()), "i18n": str(i18n_dir())}
for lang in ("zh_CN", "en"):
    t = QTranslator()
    out[lang] = {"load": t.load(str(i18n.qm_path(lang))),
                 "title": t.translate("LoginDialog", "Log in"),
                 "installed": i18n.install(lang, app),
                 "app_title": QCoreApplication.translate("LoginDialog", "Log in")}
load_style(app)
out["style"] = len(app.styleSheet())
out["scenarios"] = {n: Scenario.load(scenario_file(n)).calls for n in ("demo", "surge")}
print(json.dumps(out))
"""


def run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=180, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r


def test_every_package_on_disk_is_listed():
    """pyproject.toml lists the packages (the data folders are mapped in, which a find
    cannot do): a new folder of code or data left out would be missing from the wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
                 ["tool"]["setuptools"]["packages"])
    on_disk = set()
    for top in CODE:
        for d in [ROOT / top, *(ROOT / top).rglob("*")]:
            if d.is_dir() and d.name != "__pycache__" and any(
                    f.is_file() and f.suffix != ".pyc" for f in d.iterdir()):
                on_disk.add(".".join(d.relative_to(ROOT).parts))
    for data, package in (("resources", "agent_app._data.resources"),
                          ("i18n", "agent_app._data.i18n")):
        for d in [ROOT / data, *(ROOT / data).rglob("*")]:
            if d.is_dir():
                on_disk.add(".".join([package, *d.relative_to(ROOT / data).parts]))
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - on_disk == set(), "listed, but no such folder"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for name in SOURCES:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(p, src / name)
    # --no-build-isolation: the test extra holds the build backend, nothing is fetched
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", base / "dist", src])
    (wheel,) = (base / "dist").glob("agent_desk-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "-q", wheel])
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
                    ).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(QT_QPA_PLATFORM="offscreen", AGENT_DESK_HOME=str(base / "home"))
    return {"base": base, "venv": venv, "python": python, "site": site, "env": env,
            "wheel": wheel}


@pytest.mark.slow
def test_wheel_holds_code_translations_resources_migrations_data(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    code = {str(p.relative_to(ROOT)) for top in CODE for p in (ROOT / top).rglob("*.py")
            if "__pycache__" not in p.parts}
    assert code - names == set()
    for must in ("agent_app/_data/i18n/agent_desk_zh_CN.qm", "agent_app/_data/i18n/agent_desk_en.qm",
                 "agent_app/_data/resources/style.qss",
                 "agent_app/_data/resources/scenarios/surge.json",
                 "db/migrations/env.py", "db/data/mobile_prefixes.csv.gz", "db/data/area_codes.csv"):
        assert must in names
    assert not [n for n in names if n.endswith(".ts")]  # sources stay behind


@pytest.mark.slow
def test_installed_wheel_finds_translations_style_and_scenarios(installed):
    # -I: no PYTHON* variables, no user site, no current folder on sys.path (cwd is not
    # the checkout anyway)
    r = run([installed["python"], "-I", "-c", CHECK], cwd=installed["base"],
            env=installed["env"])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    site = Path(out["site"])
    assert site == installed["site"]
    for f in out["modules"]:  # the wheel's copy, not the checkout's
        assert Path(f).is_relative_to(site), f
    assert Path(out["resources"]) == site / "agent_app" / "_data" / "resources"
    assert Path(out["i18n"]) == site / "agent_app" / "_data" / "i18n"
    zh, en = out["zh_CN"], out["en"]
    assert zh["load"] and zh["title"] == "登录" and zh["app_title"] == "登录"
    assert zh["installed"] == ["agent_desk_zh_CN.qm", "qtbase_zh_CN.qm"]
    assert en["load"] and en["installed"] == ["agent_desk_en.qm"] and en["app_title"] == "Log in"
    assert out["style"] > 0
    assert out["scenarios"]["surge"] == 3000 and out["scenarios"]["demo"] > 0


@pytest.mark.slow
def test_installed_agent_admin_init_db(installed):
    db = installed["base"] / "site.sqlite3"
    run([installed["venv"] / "bin" / "agent-admin", "init-db", "--url", f"sqlite:///{db}"],
        cwd=installed["base"], env=installed["env"])
    from db.migrate import head_revision  # the checkout's, to compare with

    with gzip.open(ROOT / "db" / "data" / "mobile_prefixes.csv.gz", "rt", encoding="utf-8") as f:
        prefixes = sum(1 for _ in csv.DictReader(f))
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
        assert con.execute("SELECT count(*) FROM mobile_prefix").fetchone()[0] == prefixes
        assert con.execute("SELECT count(*) FROM area_code").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM department").fetchone()[0] == 4
    finally:
        con.close()
