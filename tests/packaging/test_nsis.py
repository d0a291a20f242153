"""installer/agent-desk.nsi compiles with Debian's makensis into a Chinese/English
installer that installs the one folder, adds Start-menu shortcuts and an uninstaller.

It wraps a dummy folder with the Windows build's file names (agent-app.exe, agent-ctid.exe,
agent-admin.exe, _internal/), not the Linux PyInstaller build: the script refuses a folder
without agent-app.exe (an installer of Linux binaries would be useless), and makensis reads
the payload only to pack it, so a few bytes exercise the whole script in about a second
where the 230 MB Linux folder would take minutes of LZMA.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "installer" / "agent-desk.nsi"
FILES = ["agent-app.exe", "agent-ctid.exe", "agent-admin.exe", "_internal/python311.dll",
         "_internal/PySide6/Qt6Core.dll", "_internal/agent_app/_data/i18n/agent_desk_zh_CN.qm"]


def makensis() -> str:
    exe = shutil.which("makensis")
    if exe is None:
        pytest.fail("makensis is missing: install Debian's nsis (scripts/test.sh does)")
    return exe


def compile_nsi(dist: Path, out: Path) -> subprocess.CompletedProcess:
    # -WX: a warning fails the build; -V4: the log lists files, strings and shortcuts
    return subprocess.run([makensis(), "-WX", "-V4", f"-DDIST={dist}", f"-DOUTFILE={out}",
                           str(NSI)], capture_output=True, text=True, timeout=120)


def test_installer_compiles(tmp_path):
    dist = tmp_path / "agent-desk"
    for name in FILES:
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_bytes(b"dummy")
    out = tmp_path / "agent-desk-setup.exe"
    r = compile_nsi(dist, out)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert out.read_bytes()[:2] == b"MZ"  # a Windows executable
    log = r.stdout
    for name in FILES:  # the whole folder, subfolders included
        assert f'File: "{Path(name).name}"' in log
    # Chinese (2052) and English (1033), Chinese first
    assert 'LangString: "APP_NAME" 2052 "坐席工作台"' in log
    assert 'LangString: "APP_NAME" 1033 "Agent Desk"' in log
    assert "2 language tables" in log
    assert re.search(r'CreateShortcut: "\$SMPROGRAMS\\\$\(APP_NAME\)\\\$\(APP_NAME\)\.lnk"'
                     r'->"\$INSTDIR\\agent-app\.exe"', log)
    assert 'WriteUninstaller: "$INSTDIR\\uninstall.exe"' in log
    assert "Uninstall: 2 pages" in log


def test_refuses_a_folder_without_the_windows_programs(tmp_path):
    (tmp_path / "agent-desk").mkdir()
    (tmp_path / "agent-desk" / "agent-app").write_bytes(b"a Linux build")
    r = compile_nsi(tmp_path / "agent-desk", tmp_path / "x.exe")
    assert r.returncode != 0 and "agent-app.exe is missing" in r.stdout + r.stderr
    assert not (tmp_path / "x.exe").exists()


def test_version_matches_the_project():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert f'!define VERSION "{version}"' in NSI.read_text("utf-8")
