"""Workstation settings: defaults, round trip, and hand-edited files with bad values."""
from __future__ import annotations

import json

from agent_app.config import WorkstationSettings, home


def test_defaults_and_round_trip(_isolated_home):
    s = WorkstationSettings.load()
    assert s.cti_port == 6020 and s.groups == ["21"]
    assert s.database_url().startswith("sqlite:///") and str(home()) in s.database_url()
    s.seat, s.groups, s.caller_id = "8001", ["21", "11"], "4006000000"
    s.save()
    again = WorkstationSettings.load()
    assert (again.seat, again.groups, again.caller_id) == ("8001", ["21", "11"], "4006000000")


def test_bad_file_falls_back_per_field(_isolated_home):
    WorkstationSettings.path().parent.mkdir(parents=True, exist_ok=True)
    WorkstationSettings.path().write_text(
        json.dumps({"cti_port": "not a number", "seat": "8002", "unknown": 1}), encoding="utf-8")
    s = WorkstationSettings.load()
    assert s.cti_port == 6020 and s.seat == "8002"


def test_garbage_file_gives_defaults(_isolated_home):
    WorkstationSettings.path().parent.mkdir(parents=True, exist_ok=True)
    WorkstationSettings.path().write_bytes(b"\xff\xfe{{{")
    assert WorkstationSettings.load() == WorkstationSettings()
