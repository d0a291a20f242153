"""agent-admin as an operator uses it: exit codes and one clear line, never a traceback."""
from __future__ import annotations

import io

import pytest

from agent_app.cli.admin import main


def test_init_db_twice_and_first_superadmin(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    assert main(["init-db", "--url", url]) == 0
    assert main(["init-db", "--url", url]) == 0  # idempotent
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pw\n"))
    assert main(["employee", "add", "--url", url, "--login", "0001", "--name", "王明辉",
                 "--role", "superadmin", "--department", "直销部", "--password-stdin"]) == 0
    assert "0001" in capsys.readouterr().out
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    db = Database.open(url)
    assert AccountService(db).authenticate("0001", "s3cret-pw").actor.is_superadmin
    db.dispose()


def test_duplicate_login_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    main(["init-db", "--url", url])
    for expected in (0, 2):
        monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pw\n"))
        assert main(["employee", "add", "--url", url, "--login", "0001", "--name", "王明辉",
                     "--role", "superadmin", "--password-stdin"]) == expected
    err = capsys.readouterr().err
    assert "already taken" in err and "Traceback" not in err


def test_unreachable_mysql_says_what_to_do(capsys):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    assert main(["init-db", "--url", "mysql+pymysql://root@127.0.0.1:9/nowhere"]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach the database" in err and "Traceback" not in err


def test_missing_url_is_refused(monkeypatch):
    monkeypatch.delenv("AGENT_DB_URL", raising=False)
    with pytest.raises(SystemExit) as e:
        main(["init-db"])
    assert "--url" in str(e.value)


def test_short_password_refused_nothing_added(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    main(["init-db", "--url", url])
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    assert main(["employee", "add", "--url", url, "--login", "0002", "--name", "李娜",
                 "--role", "operator", "--password-stdin"]) == 2
    from agent_app.errors import AuthFailed
    from agent_app.services.accounts import AccountService
    from db.engine import Database
    db = Database.open(url)
    with pytest.raises(AuthFailed):  # no such login: nothing was added
        AccountService(db).authenticate("0002", "123")
    db.dispose()


def test_search_stats_counts_and_says_how_many(tmp_path, capsys):
    from agent_app.demodata import load
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    load(url, "small", seed=3)
    assert main(["search-stats", "--url", url]) == 0
    assert "search tokens counted: 300 customers" in capsys.readouterr().out
