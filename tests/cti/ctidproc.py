"""A real agent-ctid process on loopback, for tests and benchmarks that kill it."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"listening on [^ ]+:(\d+)")


class Ctid:
    """start() runs the server and returns once it listens (recovery done); kill() is a
    kill -9, terminate() a clean stop. Each start logs to a file of its own."""

    def __init__(self, db_url: str, folder: Path, *args: str, port: int = 0) -> None:
        self.db_url, self.folder, self.args, self.port = db_url, Path(folder), args, port
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.lives = 0
        self.log: Path | None = None

    def start(self, timeout: float = 30) -> int:
        self.lives += 1
        self.log = self.folder / f"ctid-{self.lives}.log"
        err = self.log.with_suffix(".err")
        with err.open("wb") as errors:  # a file, not a pipe: a full pipe would block it
            # the URL in the environment, as a site gives it (never on the command line);
            # plaintext unless the test gives a certificate (these clients are plain ones)
            tls = [] if "--tls-cert" in self.args else ["--plaintext"]
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "agent_app.cti.main",
                 "--port", str(self.port), "--recordings", str(self.folder / "rec"),
                 "--log-file", str(self.log), *tls, *self.args],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT),
                               "AGENT_CTID_DB_URL": self.db_url},
                stdout=subprocess.DEVNULL, stderr=errors)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # the log line comes after recovery
            for entry in self.entries():
                m = LISTENING.search(entry.get("msg", ""))
                if m:
                    self.port = int(m.group(1))  # the same port on every restart
                    return self.port
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent-ctid exited {self.proc.returncode}: "
                                   f"{err.read_text(errors='replace')[-2000:]}")
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"agent-ctid did not listen within {timeout} s")

    def entries(self) -> list[dict]:
        if self.log is None or not self.log.exists():
            return []
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a line being written
        return out

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: no handler runs, nothing is flushed."""
        if self.running:
            self.proc.send_signal(signal.SIGKILL)
        self._reap()

    def terminate(self, timeout: float = 20) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait(10)
