"""Workstation settings: one declared schema (name, type, default, description).

Stored as JSON in the per-user config folder (platformdirs), or below $AGENT_DESK_HOME
when set (tests, portable installs). Window layouts are kept by the UI as saveState()
bytes in its own file, never pickled.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

APP = "agent-desk"


def home() -> Path:
    """Folder for this user's settings, data and logs."""
    override = os.environ.get("AGENT_DESK_HOME")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def default_sqlite_path() -> Path:
    return home() / "agent-desk.sqlite3"


@dataclass
class WorkstationSettings:
    """What each workstation configures (系统配置 in the manual)."""

    data_source: str = field(default="", metadata={"doc": "SQLite file URL or MySQL URL; empty: the embedded SQLite file"})
    cti_host: str = field(default="127.0.0.1", metadata={"doc": "CTI server host"})
    cti_port: int = field(default=6020, metadata={"doc": "CTI server port"})
    cti_plaintext: bool = field(default=False, metadata={"doc": "no TLS on the CTI link (agent-ctid --plaintext); passwords cross the network readable"})
    cti_ca_file: str = field(default="", metadata={"doc": "the CTI server's certificate (or its CA) file; empty: trust the first certificate seen and pin it"})
    cti_pin: str = field(default="", metadata={"doc": "SHA-256 of the CTI server's certificate, pinned at the first connection; a different one is refused until this is cleared"})
    seat: str = field(default="", metadata={"doc": "座席号码: this desk's phone extension"})
    groups: list[str] = field(default_factory=lambda: ["21"], metadata={"doc": "组: ACD groups to log in to"})
    caller_id: str = field(default="", metadata={"doc": "默认主叫: number shown when dialling out"})
    recording_dir: str = field(default="", metadata={"doc": "临时录音: folder for fetched recordings"})
    language: str = field(default="", metadata={"doc": "zh_CN or en; empty: the system's"})
    last_login: str = field(default="", metadata={"doc": "remembered login name (never the password)"})
    remember_password: bool = field(default=False, metadata={"doc": "keep the password in the OS keyring"})
    speak_reminders: bool = field(default=False, metadata={"doc": "read due reminders aloud (pyttsx3)"})

    def database_url(self) -> str:
        return self.data_source or f"sqlite:///{default_sqlite_path()}"

    def recordings_folder(self) -> Path:
        return Path(self.recording_dir) if self.recording_dir else home() / "recordings"

    def remember_cti_pin(self, pin: str) -> None:
        """Pin the CTI server's certificate: here, and in the saved file without writing
        the rest of these settings (the demo changes some in memory only)."""
        self.cti_pin = pin
        saved = self.load()
        saved.cti_pin = pin
        saved.save()

    # -- persistence ---------------------------------------------------------------------
    @staticmethod
    def path() -> Path:
        return home() / "workstation.json"

    @classmethod
    def load(cls) -> WorkstationSettings:
        try:
            raw = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name: f for f in fields(cls)}
        values = {}
        for k, v in raw.items() if isinstance(raw, dict) else ():
            if k in known:
                default = getattr(cls(), k)
                # A hand-edited file with a wrong type falls back to the default.
                if isinstance(v, type(default)) or (isinstance(default, list) and isinstance(v, list)):
                    values[k] = v
        return cls(**values)

    def save(self) -> None:
        p = self.path()
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(p)  # atomic: a crash mid-save never leaves half a file
