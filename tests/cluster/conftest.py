"""Fixtures of the Galera tests: one 3-node cluster per session (`galera`), and a fresh
database with the product's schema on it (`galera_db`). Every test in this folder gets
the marker `cluster`: `pytest -m "not cluster"` leaves them out."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy.engine import make_url

from tests.cluster.galera import GaleraCluster
from tests.conftest import _MySQLDatabases, create_schema_database

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    # a conftest's hook sees the whole session's items: mark only this folder's
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def galera(tmp_path_factory):
    """A started 3-node Galera cluster (GaleraCluster) with Galera's default timeouts,
    shared by the session: a test that kills or stops a node starts it again."""
    cluster = GaleraCluster(tmp_path_factory.mktemp("galera"), nodes=3)
    cluster.start()
    yield cluster
    cluster.stop()


class GaleraDatabase(NamedTuple):
    name: str
    urls: list[str]   # one per node, the same database


@pytest.fixture
def galera_db(galera) -> Iterator[GaleraDatabase]:
    """A new database with the product's schema and reference data, created through
    node 1, and its URL on every node; dropped afterwards."""
    databases = _MySQLDatabases(galera.urls[0])
    url = make_url(create_schema_database(databases))
    yield GaleraDatabase(url.database, [
        url.set(port=port).render_as_string(hide_password=False) for port in galera.ports])
    databases.drop_all()
