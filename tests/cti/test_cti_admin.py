"""agent-admin cti …: changes land in the tables agent-ctid reads; bad values change nothing."""
from __future__ import annotations

from sqlalchemy import select

from agent_app.cli.admin import main
from db.models import CtiGroup, DialedNumber, InternalNumber


def test_group_number_internal(db_url, capsys):
    assert main(["cti", "group", "set", "31", "--url", db_url, "--name", "夜班",
                 "--overflow", "21", "--max-queue", "5", "--ring-timeout", "20",
                 "--wrapup", "8"]) == 0
    assert main(["cti", "number", "set", "4008001234", "--url", db_url, "--group", "31"]) == 0
    assert main(["cti", "internal", "add", "057188000009", "--url", db_url]) == 0
    assert main(["cti", "internal", "add", "057188000009", "--url", db_url]) == 0  # idempotent
    from db.engine import Database
    db = Database.open(db_url)
    with db.reading() as s:
        g = s.scalar(select(CtiGroup).where(CtiGroup.number == "31"))
        assert (g.overflow_group, g.max_queue, g.ring_timeout_s, g.wrapup_s) == ("21", 5, 20, 8)
        assert s.scalar(select(DialedNumber.group_number).where(
            DialedNumber.digits == "4008001234")) == "31"
        assert len(s.scalars(select(InternalNumber)).all()) == 1
    # bad input: clear message, exit 2, nothing changed
    assert main(["cti", "group", "set", "31", "--url", db_url, "--ring-timeout", "99"]) == 2
    assert main(["cti", "group", "set", "31", "--url", db_url, "--overflow", "77"]) == 2
    assert main(["cti", "number", "set", "40x", "--url", db_url, "--group", "31"]) == 2
    assert main(["cti", "number", "set", "4008009999", "--url", db_url, "--group", "99"]) == 2
    err = capsys.readouterr().err
    assert "1 to 60" in err and "no group 77" in err.lower() and "Traceback" not in err
    with db.reading() as s:
        g = s.scalar(select(CtiGroup).where(CtiGroup.number == "31"))
        assert (g.overflow_group, g.ring_timeout_s) == ("21", 20)
        assert s.scalar(select(DialedNumber).where(DialedNumber.digits == "4008009999")) is None
    db.dispose()
