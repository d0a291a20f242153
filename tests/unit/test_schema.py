"""Migrations match the models, run on both back ends, and refuse unknown schemas."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from db.engine import Database
from db.migrate import SchemaError, check, upgrade
from db.models import Base


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def test_migrations_match_models_and_are_idempotent(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}" if backend == "sqlite" else request.getfixturevalue("mysql_url")
    upgrade(url)
    upgrade(url)  # idempotent
    db = Database.open(url)
    try:
        check(db)
        dialect = db.engine.dialect.name

        def applies(obj, name, type_, reflected, compare_to):
            # an index declared .ddl_if(dialect="mysql") (FULLTEXT) exists only there
            cond = getattr(obj, "_ddl_if", None)
            return reflected or cond is None or cond.dialect in (None, dialect)

        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": applies}), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        db.dispose()


def test_newer_schema_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'n.sqlite3'}"
    upgrade(url)
    db = Database.open(url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num='9999_future'"))
    with pytest.raises(SchemaError) as e:
        check(db)
    assert e.value.kind == "newer"
    db.dispose()
    with pytest.raises(SchemaError):
        upgrade(url)


def test_empty_database_detected(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    with pytest.raises(SchemaError) as e:
        check(db)
    assert e.value.kind == "empty"
    db.dispose()


def test_utf8mb4_on_mysql(mysql_url):
    upgrade(mysql_url)
    db = Database.open(mysql_url)
    from db.models import Region
    with db.transaction() as s:
        s.add(Region(name="𠀀测试市", province="浙江省"))  # a 4-byte character
    with db.reading() as s:
        assert s.query(Region).filter_by(province="浙江省").one().name == "𠀀测试市"
    db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def test_upgrade_from_0001_keeps_the_data(backend, tmp_path, request):
    """A demo or site database made by the first release upgrades in place: its rows stay,
    and what 0002 adds (contact.recording_id, one contact per call) is there."""
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from db.migrate import alembic_config, ensure_mysql_database

    url = f"sqlite:///{tmp_path / 'o.sqlite3'}" if backend == "sqlite" else request.getfixturevalue("mysql_url")
    ensure_mysql_database(url)
    command.upgrade(alembic_config(url), "0001")
    db = Database.open(url)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO customer (registration_no, name, name_initials, mobile, "
                          "landline, other_phone, address, customer_class, points, source, "
                          "end_user_name, end_user_school, user_account, remark, blacklisted, "
                          "order_state, search_grams, registered_at, version, updated_at) "
                          "VALUES ('20260101000001', '曾小明', 'zxm cxm', '13800138000', '', '', "
                          "'', 'C', 0, 'direct', '', '', '', '', 0, 0, '', '2026-01-01', 1, "
                          "'2026-01-01')"))
        conn.execute(text("INSERT INTO contact (customer_id, at, channel, content, our_staff, "
                          "demand_info, call_id, version, updated_at) VALUES (1, '2026-01-01', "
                          "'call_in', '老联系', '', '', 'c1', 1, '2026-01-01')"))
    db.dispose()
    upgrade(url)
    db = Database.open(url)
    try:
        check(db)
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT content, recording_id FROM contact")).all() == [
                ("老联系", None)]
            # the old customer is findable by every prefix of both readings (0003)
            keys = conn.execute(text("SELECT initials, customer_id FROM "
                                     "customer_initials_key")).all()
            assert sorted(keys) == [(k, 1) for k in ("c", "cx", "cxm", "z", "zx", "zxm")]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO contact (customer_id, at, channel, content, "
                              "our_staff, demand_info, call_id, version, updated_at) VALUES "
                              "(1, '2026-01-02', 'call_in', '', '', '', 'c1', 1, '2026-01-02')"))
        # and back: 0002 kept only the later readings, whole
        db.dispose()
        command.downgrade(alembic_config(url), "0002")
        db = Database.open(url)
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT initials, customer_id FROM customer_initials")
                                ).all() == [("cxm", 1)]
    finally:
        db.dispose()
