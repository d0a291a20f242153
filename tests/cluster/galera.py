"""A real MariaDB Galera cluster on loopback, from the distribution's packages, for tests
and benchmarks (no pytest here: tests/perf uses it too).

    from tests.cluster.galera import GaleraCluster

    with GaleraCluster(tmp / "galera", nodes=3) as cluster:      # start() … stop()
        engine = create_engine(cluster.urls[0] + "/mydb")         # node 1
        cluster.kill(2)                                           # SIGKILL node 3
        cluster.wait_synced([0, 1], timeout=60)                   # the other two: size 2
        cluster.start_node(2)                                     # node 3 joins again

Needs mariadb-server (/usr/sbin/mariadbd, mariadb-install-db), galera-4
(/usr/lib/galera/libgalera_smm.so), rsync and wsrep_sst_rsync (scripts/test.sh installs
them). The machine's own MariaDB (127.0.0.1:3306, /etc/mysql) is never touched: every node
reads only its own option file (--defaults-file), and its data, socket, pid file, error log
and temporary files live in base_dir/nodeN/.

API (nodes are numbered from 0: node i is "node i+1" in messages and logs):
  GaleraCluster(base_dir, nodes=3, provider_options="")
      provider_options: "k=v;k=v" added to (and overriding) the harness's wsrep provider
      options, e.g. "evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S" to notice a killed
      node in seconds instead of Galera's default (suspect 5 s, inactive 15 s). A suspect
      timeout of 3 s or less brings evs.keepalive_period = suspect/4 along unless given
      (Galera refuses a keepalive of a third of the suspect timeout or more, and the log
      then often says only "Failed to read thread schedparams").
  start(timeout=120)      free loopback ports are picked now (mysql, group, IST, SST per
                          node); mariadb-install-db for node 1, node 1 bootstraps the cluster
                          (--wsrep-new-cluster), the others join one by one with an rsync
                          SST; returns when every node is Synced in a cluster of n.
                          On failure: every node is stopped (base_dir is kept) and
                          GaleraStartError carries the tail of each node's error log.
  stop(timeout=30)        SIGTERM to every node, last first (each leaves a live cluster at
                          once: under a second for 3 nodes), SIGKILL (to its process group,
                          SST helpers included) after the deadline, reaped; base_dir
                          deleted. Idempotent. After a kill(), the others wait for Galera's
                          evs.suspect_timeout (default 5 s) before they can leave.
  with GaleraCluster(…) as c:   start() and stop().
  ports, urls, sockets    per node, once started: the mysql port;
                          mysql+pymysql://root@127.0.0.1:PORT (root, empty password); the
                          unix socket (root@localhost, empty password).
  url(i, database)        urls[i] + "/database?charset=utf8mb4".
  connect(i, database=None)   a pymysql connection (autocommit) to node i; close it.
  kill(i) / alive(i)      SIGKILL node i (and its SST helpers) and reap it / is it running.
  start_node(i, timeout=120)  start a stopped or killed node again, as the packages'
                          systemd unit does (its last position recovered from InnoDB with
                          --wsrep-recover first): it joins by IST when a donor's gcache
                          still has what it missed, else by SST; returns once Synced.
  status(i)               node i's wsrep_% status variables, {name: value as str}.
  wait_synced(nodes=None, timeout=60)   until the given nodes (default: the running ones)
                          are exactly the primary component: each Synced, ready, and
                          wsrep_cluster_size == len(nodes). Raises TimeoutError, or
                          GaleraStartError when one of them is not running.
  checksum(database, table)   CHECKSUM TABLE on every node, after a causal read
                          (wsrep_sync_wait) so each node has applied what was committed
                          anywhere before; None for a node that is not running.
  log_tail(i, lines=40)   the end of node i's error log.

By hand: `python -m tests.cluster.galera [NODES]` starts a cluster, prints its URLs, and
stops it at Ctrl-C.

The nodes are tuned for a 2-core CI machine (64 MB buffer pool, no fsync at commit, small
redo log and gcache). Each mariadbd runs in its own session (a Ctrl-C in the terminal does
not reach it) and gets SIGKILL when the process that started it dies (PR_SET_PDEATHSIG),
so a killed test run leaves no server behind. That signal follows the *thread* that
started the node: call start()/start_node() from a thread that outlives the cluster.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pymysql

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"
PROVIDER = "/usr/lib/galera/libgalera_smm.so"
HOST = "127.0.0.1"


class GaleraStartError(RuntimeError):
    """The cluster (or a node) did not come up; the message has each node's log tail."""


# what a start that went wrong raises (anything else, e.g. KeyboardInterrupt, passes as is)
_START_ERRORS = (GaleraStartError, TimeoutError, OSError, subprocess.SubprocessError,
                 pymysql.Error)


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the starting thread ends (PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def _free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports nobody listens on. Random ones below the ephemeral
    range (32768+, where the kernel's own picks for outgoing connections would collide),
    each held bound until all are chosen so one run never picks a port twice."""
    held: list[socket.socket] = []
    ports: list[int] = []
    rng = random.SystemRandom()
    try:
        while len(ports) < count:
            port = rng.randrange(20000, 32000)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((HOST, port))
            except OSError:
                s.close()
                continue
            held.append(s)
            ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def _seconds(duration: str) -> float | None:
    """An ISO 8601 duration of Galera's options (PT2S, PT1.5S, PT1M, PT1H) in seconds."""
    match = re.fullmatch(r"PT(?:([\d.]+)H)?(?:([\d.]+)M)?(?:([\d.]+)S)?", duration.strip())
    if not match or not any(match.groups()):
        return None
    h, m, sec = (float(g or 0) for g in match.groups())
    return h * 3600 + m * 60 + sec


def _exited(proc: subprocess.Popen) -> bool:
    """Has the process ended? Without reaping it (WNOWAIT): until it is reaped its pid,
    which is also its process group's id, cannot be reused, so a later killpg is safe."""
    if proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


class _Node:
    def __init__(self, index: int, root: Path) -> None:
        self.index = index
        self.dir = root / f"node{index + 1}"
        self.datadir = self.dir / "data"
        self.cnf = self.dir / "my.cnf"
        self.log = self.dir / "error.log"
        self.port = self.group_port = self.ist_port = self.sst_port = 0
        self.proc: subprocess.Popen | None = None


class GaleraCluster:
    def __init__(self, base_dir: Path, nodes: int = 3, provider_options: str = "") -> None:
        if nodes < 1:
            raise ValueError("a cluster has at least one node")
        self.base_dir = Path(base_dir)
        self.provider_options = provider_options
        self.name = f"agent_test_{uuid.uuid4().hex[:8]}"
        self._nodes = [_Node(i, self.base_dir) for i in range(nodes)]
        self._lock = threading.Lock()

    # -- addresses

    @property
    def size(self) -> int:
        return len(self._nodes)

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self._nodes]

    @property
    def sockets(self) -> list[Path]:
        """Per node, its unix socket (root@localhost, empty password)."""
        return [n.dir / "mysqld.sock" for n in self._nodes]

    @property
    def urls(self) -> list[str]:
        return [f"mysql+pymysql://root@{HOST}:{n.port}" for n in self._nodes]

    def url(self, i: int, database: str) -> str:
        return f"{self.urls[i]}/{database}?charset=utf8mb4"

    def connect(self, i: int, database: str | None = None,
                timeout: float = 5) -> pymysql.connections.Connection:
        return pymysql.connect(host=HOST, port=self._nodes[i].port, user="root", password="",
                               database=database, autocommit=True, charset="utf8mb4",
                               connect_timeout=timeout, read_timeout=60, write_timeout=60)

    # -- life cycle

    def __enter__(self) -> GaleraCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 120) -> None:
        if any(n.proc is not None for n in self._nodes):
            raise RuntimeError("the cluster is already started")
        deadline = time.monotonic() + timeout
        try:
            self._prepare()
            first = self._nodes[0]
            self._install_db(first, deadline)
            self._launch(first, bootstrap=True)
            self._wait([0], deadline, size=1)
            for node in self._nodes[1:]:
                # One at a time: each joiner then gets a Synced donor at once instead of
                # retrying while another SST holds node 1 (as fast on 2 cores, and a
                # failure names the node). The data folder is empty: the rsync SST fills
                # it before the storage engines start.
                node.datadir.mkdir(parents=True)
                self._launch(node)
                self._wait(range(node.index + 1), deadline, size=node.index + 1)
        except BaseException as exc:
            report = self._report(exc)
            self._terminate_all(timeout=10)
            if isinstance(exc, _START_ERRORS):
                raise GaleraStartError(report) from exc
            raise

    def stop(self, timeout: float = 30) -> None:
        self._terminate_all(timeout)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def start_node(self, i: int, timeout: float = 120) -> None:
        """Start node i again after kill(i) (or a failed start); it joins the others."""
        node = self._nodes[i]
        if self.alive(i):
            raise RuntimeError(f"node {i + 1} is running")
        self._reap(node)
        deadline = time.monotonic() + timeout
        try:
            self._launch(node, start_position=self._recover_position(node, deadline))
            others = [j for j in range(self.size) if j == i or self.alive(j)]
            self._wait(others, deadline, size=len(others))
        except BaseException as exc:
            report = self._report(exc)
            self._stop_node(node, 10)
            if isinstance(exc, _START_ERRORS):
                raise GaleraStartError(report) from exc
            raise

    def kill(self, i: int) -> None:
        """SIGKILL node i and whatever it started (SST scripts, rsync) and reap it."""
        node = self._nodes[i]
        if node.proc is None:
            return
        self._killpg(node.proc.pid, signal.SIGKILL)
        node.proc.wait()
        self._wait_group_gone(node.proc.pid, time.monotonic() + 10)
        node.proc = None

    def alive(self, i: int) -> bool:
        proc = self._nodes[i].proc
        return proc is not None and not _exited(proc)

    # -- observation

    def status(self, i: int) -> dict[str, str]:
        conn = self.connect(i)
        try:
            with conn.cursor() as cur:
                cur.execute(r"SHOW GLOBAL STATUS LIKE 'wsrep\_%'")
                return {name: str(value) for name, value in cur.fetchall()}
        finally:
            conn.close()

    def wait_synced(self, nodes: Iterable[int] | None = None, timeout: float = 60) -> None:
        nodes = [i for i in range(self.size) if self.alive(i)] if nodes is None else list(nodes)
        self._wait(nodes, time.monotonic() + timeout, size=len(nodes))

    def checksum(self, database: str, table: str) -> list[int | None]:
        sums: list[int | None] = []
        for i in range(self.size):
            if not self.alive(i):
                sums.append(None)
                continue
            conn = self.connect(i, database)
            try:
                with conn.cursor() as cur:
                    # CHECKSUM TABLE itself does not wait for replication; a causal read
                    # first makes the node apply everything committed before it
                    cur.execute("SET SESSION wsrep_sync_wait=1")
                    cur.execute(f"SELECT COUNT(*) FROM `{table}`")
                    cur.fetchall()
                    cur.execute(f"CHECKSUM TABLE `{table}`")
                    sums.append(cur.fetchone()[1])
            finally:
                conn.close()
        return sums

    def log_tail(self, i: int, lines: int = 40) -> str:
        try:
            text = self._nodes[i].log.read_text(errors="replace")
        except OSError:
            return "(no error log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- internals

    def _prepare(self) -> None:
        ports = _free_ports(4 * self.size)
        for node in self._nodes:
            node.port, node.group_port, node.ist_port, node.sst_port = ports[:4]
            del ports[:4]
        self.base_dir.mkdir(parents=True, exist_ok=True)
        for node in self._nodes:
            shutil.rmtree(node.dir, ignore_errors=True)   # what a failed start left
            (node.dir / "tmp").mkdir(parents=True)
            node.cnf.write_text(self._config(node))

    def _provider_options(self, node: _Node) -> str:
        options = {
            "gmcast.listen_addr": f"tcp://{HOST}:{node.group_port}",
            "ist.recv_addr": f"{HOST}:{node.ist_port}",
            "gcache.size": "32M",
        }
        for item in self.provider_options.split(";"):
            if item.strip():
                key, _, value = item.partition("=")
                options[key.strip()] = value.strip()
        # Galera wants evs.keepalive_period (default 1 s) below a third of the suspect
        # timeout, and otherwise fails to start: a shorter suspect timeout brings a
        # shorter keepalive along unless the caller chose one
        suspect = _seconds(options.get("evs.suspect_timeout", ""))
        if suspect is not None and "evs.keepalive_period" not in options and suspect <= 3:
            options["evs.keepalive_period"] = f"PT{max(0.1, suspect / 4):.3g}S"
        return ";".join(f"{k}={v}" for k, v in options.items())

    def _config(self, node: _Node) -> str:
        peers = ",".join(f"{HOST}:{n.group_port}" for n in self._nodes)
        d = node.dir
        return f"""\
# Node {node.index + 1} of a test cluster ({self.name}); written by tests/cluster/galera.py.
[mysqld]
datadir = {node.datadir}
socket = {d / "mysqld.sock"}
pid-file = {d / "mysqld.pid"}
log-error = {node.log}
tmpdir = {d / "tmp"}
port = {node.port}
bind-address = {HOST}
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
performance_schema = OFF
# a 2-core CI machine: small memory, no fsync at commit (the data is thrown away)
innodb_buffer_pool_size = 64M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 2
sync_binlog = 0
max_connections = 200
# what Galera requires
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = {PROVIDER}
wsrep_cluster_name = {self.name}
wsrep_cluster_address = gcomm://{peers}
wsrep_node_name = node{node.index + 1}
wsrep_node_address = {HOST}
wsrep_node_incoming_address = {HOST}:{node.port}
wsrep_sst_method = rsync
wsrep_sst_receive_address = {HOST}:{node.sst_port}
wsrep_provider_options = "{self._provider_options(node)}"
wsrep_slave_threads = 2
"""

    def _env(self, node: _Node) -> dict[str, str]:
        env = dict(os.environ)
        if os.geteuid() == 0:
            # The joiner's SST script (wsrep_sst_rsync) writes an rsyncd.conf and starts an
            # rsync daemon, which, started by root, switches to the user "nobody" unless
            # the config says otherwise, and nobody may not write into root's data folder
            # (nor reach it: pytest's tmp folders are 0700). The script's only way in is
            # $MYSQL_TMP_DIR, which it copies verbatim into the config's global section as
            # "log file = $MYSQL_TMP_DIR/rsyncd.log": the lines after the log file's path
            # keep the daemon root, the "#" makes the script's "/rsyncd.log" a comment.
            env["MYSQL_TMP_DIR"] = f"{node.dir / 'tmp' / 'rsyncd.log'}\nuid = 0\ngid = 0\n#"
        return env

    def _user_args(self) -> list[str]:
        # mariadbd refuses to run as root unless told to; as anyone else it stays who it is
        return ["--user=root"] if os.geteuid() == 0 else []

    def _install_db(self, node: _Node, deadline: float) -> None:
        cmd = [INSTALL_DB, f"--defaults-file={node.cnf}", *self._user_args(),
               "--auth-root-authentication-method=normal", "--skip-test-db",
               "--skip-name-resolve", f"--datadir={node.datadir}"]
        out = node.dir / "install-db.log"
        with open(out, "wb") as f:
            result = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    timeout=max(1.0, deadline - time.monotonic()))
        if result.returncode != 0:
            tail = "\n".join(out.read_text(errors="replace").splitlines()[-30:])
            raise GaleraStartError(f"mariadb-install-db failed ({result.returncode}):\n{tail}")

    def _recover_position(self, node: _Node, deadline: float) -> str | None:
        """The last transaction a stopped node committed (uuid:seqno), read from InnoDB
        the way the packages' galera_recovery does before systemd starts a node: a node
        killed mid-way has seqno -1 in grastate.dat and would otherwise get a whole SST
        instead of the missing transactions (IST) from a donor's gcache."""
        if not (node.datadir / "mysql").is_dir():
            return None   # never got its data: an SST it is
        log = node.dir / "recover.log"
        log.unlink(missing_ok=True)
        subprocess.run([MARIADBD, f"--defaults-file={node.cnf}", *self._user_args(),
                        "--wsrep-recover", f"--log-error={log}"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=self._env(node),
                       timeout=max(1.0, deadline - time.monotonic()))
        try:
            found = re.search(r"Recovered position: (\S+:\d+)\s*$", log.read_text(), re.M)
        except OSError:
            return None
        return found.group(1) if found else None

    def _launch(self, node: _Node, bootstrap: bool = False,
                start_position: str | None = None) -> None:
        cmd = [MARIADBD, f"--defaults-file={node.cnf}", *self._user_args()]
        if bootstrap:
            cmd.append("--wsrep-new-cluster")
        if start_position:
            cmd.append(f"--wsrep-start-position={start_position}")
        with open(node.dir / "stdout.log", "ab") as out:
            node.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=self._env(node),
                                         start_new_session=True, preexec_fn=_die_with_parent)

    def _probe(self, i: int) -> dict[str, str] | None:
        try:
            return self.status(i)
        except pymysql.Error:   # not listening yet, or still in SST
            return None

    def _wait(self, nodes: Iterable[int], deadline: float, size: int) -> None:
        nodes = list(nodes)
        last: dict[int, str] = {}
        while True:
            pending = []
            for i in nodes:
                proc = self._nodes[i].proc
                if proc is None or _exited(proc):
                    raise GaleraStartError(f"node {i + 1} is not running")
                st = self._probe(i)
                if st is None:
                    last[i] = "not answering"
                    pending.append(i)
                    continue
                state = (st.get("wsrep_local_state_comment"), st.get("wsrep_cluster_size"),
                         st.get("wsrep_ready"), st.get("wsrep_cluster_status"))
                last[i] = "state {}, size {}, ready {}, {}".format(*state)
                if state != ("Synced", str(size), "ON", "Primary"):
                    pending.append(i)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("not synced in a cluster of {}: {}".format(
                    size, "; ".join(f"node {i + 1}: {last[i]}" for i in pending)))
            time.sleep(0.2)   # polling a server's state: there is nothing to wait on

    def _report(self, exc: BaseException) -> str:
        parts = [f"Galera cluster in {self.base_dir} did not start: {exc}"]
        for i, node in enumerate(self._nodes):
            parts.append(f"--- node {i + 1} (port {node.port}), {node.log}:\n{self.log_tail(i)}")
        return "\n".join(parts)

    @staticmethod
    def _killpg(pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)   # the session's group: the node and its SST helpers

    @staticmethod
    def _wait_group_gone(pgid: int, deadline: float) -> None:
        """Until no process of the group is left (SST helpers outlive a killed mariadbd
        for a moment); bounded, since zombies reparented to an init that does not reap
        still count."""
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)

    def _reap(self, node: _Node) -> None:
        if node.proc is not None and _exited(node.proc):
            self._killpg(node.proc.pid, signal.SIGKILL)
            node.proc.wait()
            node.proc = None

    def _stop_node(self, node: _Node, timeout: float) -> None:
        self._terminate([node], timeout)

    def _terminate_all(self, timeout: float) -> None:
        self._terminate([n for n in self._nodes if n.proc is not None], timeout)

    def _terminate(self, nodes: list[_Node], timeout: float) -> None:
        """SIGTERM one node after the other, last first: a node that leaves a live cluster
        says goodbye and is gone in a moment, while nodes leaving all at once each wait
        for the others' evs.suspect_timeout (5 s). SIGKILL whatever is left by then."""
        with self._lock:
            running = [n for n in nodes if n.proc is not None]
            deadline = time.monotonic() + timeout
            for n in reversed(running):
                if not _exited(n.proc):
                    n.proc.send_signal(signal.SIGTERM)
                while time.monotonic() < deadline and not _exited(n.proc):
                    time.sleep(0.02)
            for n in running:
                # SIGKILL to the group even after a clean exit (an SST script or rsync
                # daemon it started may still be there), while the node is not yet reaped:
                # its pid, the group's id, cannot have been reused
                self._killpg(n.proc.pid, signal.SIGKILL)
                n.proc.wait()
                self._wait_group_gone(n.proc.pid, time.monotonic() + 10)
                n.proc = None


def main() -> None:
    """`python -m tests.cluster.galera [NODES]`: a cluster for trying things by hand (a
    benchmark's --server, the mariadb client); Ctrl-C stops it."""
    import sys
    import tempfile

    nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    started = time.monotonic()
    with GaleraCluster(Path(tempfile.mkdtemp(prefix="galera-")), nodes=nodes) as cluster:
        print(f"{nodes} nodes synced after {time.monotonic() - started:.1f} s, in "
              f"{cluster.base_dir}:", *cluster.urls, sep="\n  ", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    print("stopped")


if __name__ == "__main__":
    main()
