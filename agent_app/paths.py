"""Where the shipped files are: the style sheet, icons and load scenarios (resources/) and
the compiled translations (i18n/*.qm), in every way the programs run.

- Source checkout or editable install: the top-level folders beside agent_app/, where
  the product's layout keeps them.
- Installed wheel and PyInstaller bundle: inside our own package, as agent_app/_data/.
  pyproject.toml maps resources/ and i18n/ there (rather than shipping top-level
  `resources` and `i18n` packages, names other distributions use too), and
  installer/agent-desk.spec puts them at the same place in the bundle, where this module's
  __file__ is sys._MEIPASS/agent_app/paths.pyc; so one rule serves both.

The migrations and reference data stay inside the `db` package in every layout, so db/
finds them beside its own modules (db/migrate.py, db/seed.py) without this module.
Core module: no Qt here (callers hand the paths to Qt themselves).
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE / "_data"  # wheel, PyInstaller bundle
_SOURCE = _PACKAGE.parent  # source checkout, editable install


def _locate(name: str) -> Path:
    shipped = _SHIPPED / name
    return shipped if shipped.is_dir() else _SOURCE / name


def resources_dir() -> Path:
    """style.qss, icons/, scenarios/."""
    return _locate("resources")


def i18n_dir() -> Path:
    """agent_desk_<lang>.qm (and, in a source checkout, the .ts sources)."""
    return _locate("i18n")


def scenarios_dir() -> Path:
    """The CTI load scenarios (`agent-ctid simulate --scenario demo`)."""
    return resources_dir() / "scenarios"


def scenario_file(name_or_path: str) -> Path:
    """A scenario given as a file, or by the name of a shipped one ("demo", "surge"):
    an installed program has no resources/ folder to point at."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = scenarios_dir() / f"{name_or_path}.json"
    return shipped if shipped.exists() else path
