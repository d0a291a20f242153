"""Running the real programs for end-to-end tests: `agent-app` under its own Xvfb display
(typed into with real X key events by xdotool), `agent-ctid` and `agent-admin` as
processes, as a site runs them.

Each desk has its own workstation folder (AGENT_DESK_HOME) and its own X display, so
keyboard focus of one desk never depends on another. What a desk shows is read through
the e2e driver (tests/e2e/driver): the widgets' own text and table cells; what it did is
read from its log file. Every wait is bounded and polls a condition, never a fixed sleep.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
DRIVER = Path(__file__).resolve().parent / "driver"
ROOT = Path(__file__).resolve().parents[2]
# The programs' console scripts import the package installed in the venv (an editable
# install of one checkout): put this checkout first, so a worktree tests its own code.
CODE = {"PYTHONPATH": str(ROOT)}


def until(pred: Callable[[], object], timeout: float, what: str, step: float = 0.05):
    """`pred()`'s first true value, polled every `step` seconds; TimeoutError after
    `timeout`. A poll, because what these tests wait for happens in other processes (a
    desk under Xvfb, agent-ctid, the database): no Qt signal or asyncio event of this
    process can tell when it happened."""
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(step)


def terminate(proc: subprocess.Popen | None, timeout: float = 15) -> int | None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout`; the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Xvfb:
    """One X server; -displayfd lets it pick a free display number and tell us."""

    def __init__(self, size: str = "1366x768") -> None:
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", f"{size}x24", "-nolisten", "tcp",
             "-noreset"], pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            number = f.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        terminate(self.proc, 10)


def run_admin(*args: str, stdin: str | None = None, check: bool = True,
              env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / "agent-admin"), *args], input=stdin, text=True,
                          capture_output=True, timeout=300,
                          env={**os.environ, **CODE, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"agent-admin {' '.join(args)} → {proc.returncode}\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def site_with_agent(url: str) -> None:
    """A new site database: schema and operator 1001 李娜 (password Secret-1001)."""
    run_admin("init-db", "--url", url)
    run_admin("employee", "add", "--url", url, "--login", "1001", "--name", "李娜",
              "--role", "operator", "--department", "直销部", "--password-stdin",
              stdin="Secret-1001\n")


class SalesDirectory:
    """The sales directory of a running desk: search, and the line under its table."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        desk.drive("trigger", name="act_sales_sales_directory")
        desk.wait_widget("salesTable")

    def status(self) -> str:
        return self.desk.drive("text", name="panelStatus", within="SalesDirectoryPanel")

    def search(self) -> None:
        self.desk.drive("click", name="searchButton", within="SalesDirectoryPanel")


class Ctid:
    """A real agent-ctid process on a free loopback port, over TLS as a site runs it: its
    certificate made by `agent-admin cti cert` at the first start (kept for restarts), the
    database URL in its environment; the desks pin the certificate at first use."""

    def __init__(self, db_url: str, folder: Path, port: int | None = None) -> None:
        self.db_url, self.folder = db_url, folder
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = folder / "ctid.log"
        self.fingerprint = ""

    def start(self) -> Ctid:
        self.folder.mkdir(parents=True, exist_ok=True)
        tls = self.folder / "tls"
        if not tls.exists():
            made = run_admin("cti", "cert", "--out", str(tls), "--host", "127.0.0.1").stdout
            self.fingerprint = re.search(r"SHA-256\s+(\S+)", made).group(1)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [str(BIN / "agent-ctid"), "--host", "127.0.0.1",
             "--port", str(self.port), "--recordings", str(self.folder / "recordings"),
             "--tls-cert", str(tls / "ctid-cert.pem"), "--tls-key", str(tls / "ctid-key.pem")],
            env={**os.environ, **CODE, "AGENT_CTID_DB_URL": self.db_url},
            stdout=out, stderr=subprocess.STDOUT)
        out.close()
        until(self._listening, 30, "agent-ctid to listen")
        return self

    def client_tls(self):
        """A TLS context that trusts this server's certificate (for test clients)."""
        from agent_app.cti.tls import client_context
        return client_context(self.folder / "tls" / "ctid-cert.pem")

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"agent-ctid exited {self.proc.returncode}:\n"
                                 + self.log.read_text(errors="replace")[-3000:])
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        terminate(self.proc)


class Desk:
    """One workstation: a settings folder, an X display and an agent-app process."""

    def __init__(self, home: Path, *, settings: dict, lang: str = "zh_CN",
                 size: str = "1366x768") -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        (home / "workstation.json").write_text(json.dumps(settings, ensure_ascii=False),
                                               encoding="utf-8")
        self.lang, self.size = lang, size
        self.x: Xvfb | None = None
        self.proc: subprocess.Popen | None = None
        self.sock_path = str(home / "driver.sock")
        self.out = home / "stdout.log"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "agent-app.log"

    def start(self, *args: str) -> Desk:
        self.x = Xvfb(self.size)
        env = {**os.environ, "AGENT_DESK_HOME": str(self.home), "DISPLAY": self.x.display,
               "QT_QPA_PLATFORM": "xcb",
               "PYTHONPATH": os.pathsep.join([str(DRIVER), CODE["PYTHONPATH"]]),
               "AGENT_DESK_E2E_DRIVER": self.sock_path,
               # a crash in Qt code then leaves every thread's Python stack in stdout.log,
               # which a failing test prints: a segfault is a bug to find, not to retry
               "PYTHONFAULTHANDLER": "1"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        out = self.out.open("ab")
        self.proc = subprocess.Popen([str(BIN / "agent-app"), "--lang", self.lang, *args],
                                     env=env, stdout=out, stderr=subprocess.STDOUT,
                                     cwd=str(self.home))
        out.close()
        return self

    # -- looking ----------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 30) -> re.Match:
        rx = re.compile(pattern)

        def seen():
            self._check_alive(f"log line /{pattern}/")
            return rx.search(self.log())
        return until(seen, timeout, f"log line /{pattern}/ in {self.home.name}")

    def _check_alive(self, what: str) -> None:
        if not self.alive():
            raise AssertionError(
                f"agent-app exited ({self.proc.returncode}) while waiting for {what}\n"
                f"--- log ---\n{self.log()[-4000:]}\n--- stdout ---\n"
                f"{self.out.read_text(errors='replace')[-3000:]}")

    def drive(self, op: str, **args):
        """One request to the in-process driver; raises when it failed."""
        self._check_alive(op)
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(40)
            s.connect(self.sock_path)
            s.sendall((json.dumps({"op": op, **args}) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("driver closed the connection")
                data += chunk
        answer = json.loads(data)
        if not answer["ok"]:
            raise AssertionError(f"driver {op} {args}: {answer['error']}\n{answer.get('trace', '')}")
        return answer["value"]

    def try_drive(self, op: str, **args):
        try:
            return self.drive(op, **args)
        except (OSError, AssertionError):
            return None

    def wait_widget(self, name: str, timeout: float = 30):
        return until(lambda: self.try_drive("exists", name=name), timeout,
                     f"widget {name} on {self.home.name}")

    def windows(self) -> list[dict]:
        return self.drive("windows")

    # -- real keys through X ----------------------------------------------------------------
    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.x.display},
                       check=True, timeout=30, capture_output=True)

    def focus_window(self, title: str) -> None:
        """Give the window titled `title` the X input focus (there is no window manager)."""
        def find():
            r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
                               env={**os.environ, "DISPLAY": self.x.display},
                               capture_output=True, text=True, timeout=10)
            return r.stdout.split()
        wid = until(find, 30, f"X window {title!r}")[-1]
        self.xdotool("windowfocus", "--sync", wid)

    def type_keys(self, text: str) -> None:
        self.xdotool("type", "--delay", "15", text)

    def keys(self, *keys: str) -> None:
        self.xdotool("key", "--delay", "30", *keys)

    def login(self, login: str, password: str, title: str = "登录") -> None:
        """Type into the real login dialog: Alt+L (员工号), the login, Alt+P (密码), the
        password, Return — what an agent types."""
        self.wait_widget("LoginDialog")
        self.focus_window(title)
        self.keys("alt+l", "ctrl+a")
        self.type_keys(login)
        self.keys("alt+p", "ctrl+a")
        self.type_keys(password)
        self.keys("Return")

    def screenshot(self, path: Path) -> None:
        subprocess.run(["import", "-window", "root", str(path)],
                       env={**os.environ, "DISPLAY": self.x.display}, timeout=30,
                       capture_output=True)

    # -- ending -----------------------------------------------------------------------------
    def close(self, timeout: float = 30) -> int:
        """The user's way out: 系统 → 退出 (the window saves its layout, the CTI link logs
        out); returns the exit code."""
        self.drive("trigger", name="act_exit")
        self.proc.wait(timeout)
        return self.proc.returncode

    def stop(self) -> int | None:
        """End the desk: a SIGTERM (which the program handles like 退出) if still running."""
        code = terminate(self.proc)
        if self.x is not None:
            self.x.stop()
            self.x = None
        return code


def have_tools() -> list[str]:
    return [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
