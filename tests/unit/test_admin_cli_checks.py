"""agent-admin checks the database before every command touches it (SQLite and MariaDB):
a schema newer than the program, a bare word, an unknown driver, a file that is not a
database and a missing SQLite file are each ONE line on stderr and exit 2, and nothing is
created or changed. Only init-db and demo-data may create a database.

The table below names every command; a command added without an entry fails
test_every_command_is_in_the_table, so none can skip the checks unnoticed.
"""
from __future__ import annotations

import argparse
import io
import os
import tempfile

import pytest
from sqlalchemy import func, select, text

from agent_app.cli.admin import build_parser, main

# command path → (its other arguments, what it does with the database)
OPENS, CREATES = "opens an existing database", "may create the database"
COMMANDS: dict[tuple[str, ...], tuple[list[str], str]] = {
    ("init-db",): ([], CREATES),
    ("demo-data",): ([], CREATES),
    ("employee", "add"): (["--login", "2001", "--name", "周杰", "--role", "admin",
                           "--password-stdin"], OPENS),
    ("cti", "group", "set"): (["31", "--name", "售后组"], OPENS),
    ("cti", "group", "list"): ([], OPENS),
    ("cti", "number", "set"): (["4006000009", "--group", "21"], OPENS),
    ("cti", "internal", "add"): (["057188000000"], OPENS),
    ("search-stats",): ([], OPENS),
    ("db-accounts",): (["--ctid-password-stdin"], OPENS),
    ("report",): (["daily-calls", "--from", "2026-11-01", "--to", "2026-11-30", "--out",
                   os.path.join(tempfile.gettempdir(), "agent-admin-report-check.xlsx")], OPENS),
    # a courier's sheet: any file that exists (the database is checked before it is read)
    ("logistics", "import-results"): ([__file__, "--courier", "kuaidi100"], OPENS),
    ("logistics", "import-remittance"): ([__file__, "--courier", "kuaidi100"], OPENS),
}
# commands that touch no database (no --url)
NO_DATABASE = {("cti", "cert")}


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path
        return
    for name, sub in subs[0].choices.items():
        yield from _leaves(sub, (*path, name))


def _run(path, url, monkeypatch) -> int:
    extra, _ = COMMANDS[path]
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pw\n"))
    return main([*path, *extra, "--url", url])


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("agent-admin: "), err
    assert "Traceback" not in err
    return err


def test_every_command_is_in_the_table():
    assert set(_leaves(build_parser())) == set(COMMANDS) | NO_DATABASE


def _counts(url: str) -> dict[str, int]:
    from db.base import Base
    from db.engine import Database

    db = Database.open(url)
    try:
        with db.reading() as s:
            return {t.name: s.scalar(select(func.count()).select_from(t))
                    for t in Base.metadata.sorted_tables}
    finally:
        db.dispose()


@pytest.fixture
def newer_schema(db_url):
    """The database as a newer program left it: a revision this one does not know."""
    from db.engine import Database

    db = Database.open(db_url)
    with db.engine.begin() as conn:
        old = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfuture'"))
    yield db_url
    with db.engine.begin() as conn:   # MariaDB's schema is shared by the session's tests
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": old})
    db.dispose()


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_newer_schema_refused_by_every_command(newer_schema, path, monkeypatch, capsys):
    """Today's `employee add` and `cti group set` wrote into it: now every command says
    which way the schemas differ, and no row of any table changes."""
    before = _counts(newer_schema)
    assert _run(path, newer_schema, monkeypatch) == 2
    err = _one_line(capsys)
    assert "newer" in err and "upgrade this program" in err
    assert _counts(newer_schema) == before


BAD_URLS = {
    "bare word": ("notaurl", "is not a database URL"),
    "unknown driver": ("nosuchdb://host/site", "unknown database driver 'nosuchdb'"),
    "unknown MySQL driver": ("mysql+nosuch://root@127.0.0.1/site",
                             "unknown database driver 'mysql+nosuch'"),
    "text file": ("sqlite:///notes.txt", "is not a SQLite database"),
    "unknown driver, with a password": ("nosuch://root:s3cret@127.0.0.1/site",
                                        "unknown database driver 'nosuch'"),
}


@pytest.mark.parametrize("path", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(BAD_URLS))
def test_bad_url_one_line_exit_2_nothing_created(path, case, tmp_path, monkeypatch, capsys):
    """A bare word once made a 7.5 MB SQLite file called `notaurl`; now each of these
    is one line, exit 2, and the folder holds exactly what it held (the text file
    unchanged)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a database\n")
    url, says = BAD_URLS[case]
    assert _run(path, url, monkeypatch) == 2
    err = _one_line(capsys)
    assert says in err and "s3cret" not in err   # the line never shows a password
    assert sorted(os.listdir(tmp_path)) == ["home", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "not a database\n"


@pytest.mark.parametrize("path", sorted(p for p, (_, kind) in COMMANDS.items()
                                        if kind == OPENS))
def test_missing_sqlite_file_is_not_created(path, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    assert _run(path, url, monkeypatch) == 2
    err = _one_line(capsys)
    assert "does not exist" in err and "init-db" in err
    assert not (tmp_path / "site.sqlite3").exists()


def test_init_db_creates_a_missing_sqlite_file(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert main(["init-db", "--url", url]) == 0
    assert (tmp_path / "new.sqlite3").read_bytes()[:16] == b"SQLite format 3\x00"
