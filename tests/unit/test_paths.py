"""agent_app.paths: the shipped files from a checkout, and from the installed layout
(tests/packaging holds the real wheel and PyInstaller builds)."""
from __future__ import annotations

from pathlib import Path

from agent_app import paths

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_uses_the_top_level_folders():
    assert paths.resources_dir() == ROOT / "resources"
    assert paths.i18n_dir() == ROOT / "i18n"
    assert (paths.resources_dir() / "style.qss").is_file()
    assert (paths.i18n_dir() / "agent_desk_zh_CN.qm").is_file()


def test_installed_layout_wins_when_present(tmp_path, monkeypatch):
    for name in ("resources/scenarios", "i18n"):
        (tmp_path / name).mkdir(parents=True)
    monkeypatch.setattr(paths, "_SHIPPED", tmp_path)
    assert paths.resources_dir() == tmp_path / "resources"
    assert paths.i18n_dir() == tmp_path / "i18n"
    assert paths.scenarios_dir() == tmp_path / "resources" / "scenarios"


def test_scenario_by_file_or_by_shipped_name(tmp_path):
    assert paths.scenario_file("surge") == ROOT / "resources" / "scenarios" / "surge.json"
    own = tmp_path / "mine.json"
    own.write_text("{}")
    assert paths.scenario_file(str(own)) == own
    # neither: handed back as given, so the error names what the user typed
    assert paths.scenario_file("nope") == Path("nope")
