"""The Galera harness itself (galera.py): the nodes form one cluster, writes replicate,
the product's schema replicates identically, a killed node leaves a writable majority and
joins again, and a start that fails half-way leaves no server behind."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pymysql
import pytest

from tests.cluster.galera import GaleraCluster, GaleraStartError


def _servers_under(path: Path) -> list[str]:
    """Command lines of the mariadbd processes whose option file lies under `path`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "mariadbd" in cmd and str(path) in cmd:
            found.append(f"{pid}: {cmd}")
    return found


def test_three_nodes_form_one_cluster(galera):
    states = [galera.status(i) for i in range(3)]
    assert [s["wsrep_cluster_size"] for s in states] == ["3", "3", "3"]
    assert [s["wsrep_local_state_comment"] for s in states] == ["Synced"] * 3
    assert len({s["wsrep_cluster_state_uuid"] for s in states}) == 1
    assert len(set(galera.ports)) == 3 and 3306 not in galera.ports
    assert galera.urls == [f"mysql+pymysql://root@127.0.0.1:{p}" for p in galera.ports]


def test_root_without_password_over_tcp_and_socket(galera):
    conn = galera.connect(1)   # TCP to 127.0.0.1: root@127.0.0.1
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT host FROM mysql.global_priv WHERE user='root'")
            assert {"localhost", "127.0.0.1"} <= {h for (h,) in cur.fetchall()}
    finally:
        conn.close()
    conn = pymysql.connect(unix_socket=str(galera.sockets[0]),
                           user="root", password="")   # root@localhost
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT CURRENT_USER()")
            assert cur.fetchone() == ("root@localhost",)
    finally:
        conn.close()


def test_row_written_on_node1_is_read_on_node3(galera):
    name = f"harness_{uuid.uuid4().hex[:8]}"
    first = galera.connect(0)
    try:
        with first.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"CREATE TABLE `{name}`.t (id INT PRIMARY KEY, v VARCHAR(20))")
            cur.execute(f"INSERT INTO `{name}`.t VALUES (1, '张三')")
        third = galera.connect(2, name)
        try:
            with third.cursor() as cur:
                cur.execute("SET SESSION wsrep_sync_wait=1")   # a causal read
                cur.execute("SELECT v FROM t WHERE id=1")
                assert cur.fetchall() == (("张三",),)
        finally:
            third.close()
        with first.cursor() as cur:
            cur.execute(f"DROP DATABASE `{name}`")
    finally:
        first.close()


def test_schema_database_replicates_identically(galera, galera_db):
    from sqlalchemy import create_engine, text

    for table in ("alembic_version", "system_setting", "department", "cti_group",
                  "mobile_prefix", "area_code"):
        sums = galera.checksum(galera_db.name, table)
        assert len(set(sums)) == 1 and sums[0] is not None, (table, sums)
    engine = create_engine(galera_db.urls[2])
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT COUNT(*) FROM mobile_prefix")).scalar() > 0
    finally:
        engine.dispose()


def test_killed_node_leaves_writable_majority_and_joins_again(tmp_path):
    # a cluster of its own (the session's keeps Galera's default timeouts): a killed node
    # is noticed in seconds
    with GaleraCluster(tmp_path / "galera", nodes=3,
                       provider_options="evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S"
                       ) as cluster:
        cluster.kill(2)
        assert not cluster.alive(2) and cluster.alive(0) and cluster.alive(1)
        cluster.wait_synced([0, 1], timeout=30)
        for i in (0, 1):
            conn = cluster.connect(i)
            try:
                with conn.cursor() as cur:
                    cur.execute("CREATE DATABASE IF NOT EXISTS k")
                    cur.execute("CREATE TABLE IF NOT EXISTS k.t (id INT PRIMARY KEY)")
                    cur.execute(f"INSERT INTO k.t VALUES ({i})")
                    assert cluster.status(i)["wsrep_cluster_size"] == "2"
            finally:
                conn.close()
        cluster.start_node(2)
        cluster.wait_synced([0, 1, 2], timeout=30)
        assert len(set(cluster.checksum("k", "t"))) == 1
        base = cluster.base_dir
    assert not base.exists()
    assert _servers_under(tmp_path) == []


class _Node2Fails(GaleraCluster):
    """Node 2 gets a provider library that does not exist: it exits before any SST."""

    def _launch(self, node, **kwargs):
        if node.index == 1:
            text = node.cnf.read_text() + "wsrep_provider = /no/such/libgalera_for_the_test.so\n"
            node.cnf.write_text(text)
        super()._launch(node, **kwargs)


def test_start_that_fails_half_way_leaves_no_server(tmp_path):
    cluster = _Node2Fails(tmp_path / "galera", nodes=2)
    with pytest.raises(GaleraStartError) as failure:
        cluster.start(timeout=60)
    message = str(failure.value)
    assert "node 2" in message and "libgalera_for_the_test" in message
    assert not cluster.alive(0) and not cluster.alive(1)
    assert _servers_under(tmp_path) == []
    cluster.stop()
    assert not (tmp_path / "galera").exists()
