"""TLS by default on the CTI link, and agent-ctid's database password kept off its command
line: `agent-admin cti cert`, agent-ctid's refusals, and desks (the workstation settings'
way to a CtiClient: agent_app.cti.tls.desk_options) against a real agent-ctid process."""
from __future__ import annotations

import asyncio
import re
import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agent_app.cli.admin import main as admin_main
from agent_app.config import WorkstationSettings
from agent_app.cti.client import CtiClient
from agent_app.cti.main import OptionError, build_parser, database_url
from agent_app.cti.main import main as ctid_main
from agent_app.cti.tls import desk_options, file_fingerprint, make_certificate
from tests.cti.clientkit import FAST, Recorder, run, stop_in_time
from tests.cti.conftest import PASSWORD
from tests.cti.ctidproc import Ctid

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def desk(port: int, settings: WorkstationSettings, user: str = "1001",
         seat: str = "8001", backoff=FAST) -> CtiClient:
    """A desk's client as ui/call/bridge.py makes it from the workstation settings."""
    return CtiClient("127.0.0.1", port, user=user, password=PASSWORD, seat=seat,
                     groups=["21"], backoff=backoff, on_pin=settings.remember_cti_pin,
                     **desk_options(settings))


def tls_args(folder: Path) -> tuple[str, ...]:
    return ("--tls-cert", str(folder / "ctid-cert.pem"), "--tls-key", str(folder / "ctid-key.pem"))


# -- agent-admin cti cert -------------------------------------------------------------------

def test_cert_command_writes_a_private_key_and_prints_the_fingerprint(tmp_path, capsys):
    out = tmp_path / "tls"
    assert admin_main(["cti", "cert", "--out", str(out), "--host", "127.0.0.1",
                       "--host", "ctid.example", "--days", "30"]) == 0
    said = capsys.readouterr().out
    cert, key = out / "ctid-cert.pem", out / "ctid-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key.read_text() and "CERTIFICATE" in cert.read_text()
    printed = re.search(r"SHA-256\s+([0-9A-F:]{95})\n", said).group(1)
    assert printed == file_fingerprint(cert)
    # the names the desks use are in it, and it verifies as its own anchor for one of them
    from cryptography import x509
    sans = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert sans.get_values_for_type(x509.DNSName) == ["ctid.example"]


def test_cert_command_never_replaces_a_certificate_nor_takes_bad_days(tmp_path, capsys):
    out = tmp_path / "tls"
    assert admin_main(["cti", "cert", "--out", str(out), "--host", "a"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert admin_main(["cti", "cert", "--out", str(out), "--host", "a"]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "nothing was written" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert admin_main(["cti", "cert", "--out", str(tmp_path / "other"), "--days", "0"]) == 2
    assert "--days" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


# -- agent-ctid's options ---------------------------------------------------------------------

def test_ctid_refuses_to_start_without_tls_unless_told_plaintext(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    assert ctid_main(["--db", db]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--tls-cert" in err and "--plaintext" in err
    make_certificate(tmp_path / "tls", ["127.0.0.1"])
    assert ctid_main(["--db", db, "--plaintext", *tls_args(tmp_path / "tls")]) == 2
    assert "contradict" in capsys.readouterr().err
    (tmp_path / "bad.pem").write_text("not a certificate")
    assert ctid_main(["--db", db, "--tls-cert", str(tmp_path / "bad.pem"),
                      "--tls-key", str(tmp_path / "bad.pem")]) == 2
    assert "cannot use the TLS certificate" in capsys.readouterr().err
    # nothing was opened: not even an empty database file
    assert not (tmp_path / "none.sqlite3").exists()
    # with --plaintext it goes on, to the database (which has no schema here)
    assert ctid_main(["--db", db, "--plaintext"]) == 2
    assert "init-db" in capsys.readouterr().err
    # the load scenarios' agents, too, say how they reach the server
    assert ctid_main(["simulate", "--db", db, "--scenario", "demo"]) == 2
    assert "--ca-file" in capsys.readouterr().err


def test_a_password_on_the_command_line_is_refused_and_not_repeated(tmp_path, capsys):
    assert ctid_main(["--db", "mysql+pymysql://desk:s3cret-pw@dbhost/agentdesk",
                      "--plaintext"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AGENT_CTID_DB_PASSWORD" in err and "ps" in err
    assert "s3cret-pw" not in err


def _args(*argv: str):
    return build_parser().parse_args(["--plaintext", *argv])


def _secret(path: Path, content: str, mode: int) -> Path:
    path.write_text(content + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_the_database_url_comes_from_the_environment_or_private_files(tmp_path):
    base = "mysql+pymysql://desk@dbhost/agentdesk"
    with_pw = "mysql+pymysql://desk:p%40ss@dbhost/agentdesk"  # an @ in it, quoted
    env = {"AGENT_CTID_DB_URL": with_pw}
    assert make_url(database_url(_args(), env)).password == "p@ss"
    env = {"AGENT_CTID_DB_PASSWORD": "p@ss"}
    assert make_url(database_url(_args("--db", base), env)).password == "p@ss"
    pw = _secret(tmp_path / "pw", "p@ss", 0o600)
    url = make_url(database_url(_args("--db", base, "--db-password-file", str(pw)), {}))
    assert (url.username, url.password, url.host) == ("desk", "p@ss", "dbhost")
    # an SQLite file has none: a password in the environment (for another program) is not
    # forced into its URL
    lite = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert database_url(_args("--db", lite), {"AGENT_CTID_DB_PASSWORD": "x"}) == lite
    assert database_url(_args("--db", str(tmp_path / "bare.sqlite3")),
                        {"AGENT_CTID_DB_PASSWORD": "x"}) == str(tmp_path / "bare.sqlite3")
    # several servers (docs/cluster.md): the password goes to the one user of them all
    assert database_url(_args("--db", "mysql+pymysql://desk@db1:3306,db2:3307/agentdesk"),
                        {"AGENT_CTID_DB_PASSWORD": "a/b@c"}) \
        == "mysql+pymysql://desk:a%2Fb%40c@db1:3306,db2:3307/agentdesk"
    uf = _secret(tmp_path / "url", with_pw, 0o400)
    assert make_url(database_url(_args("--db-url-file", str(uf)), {})).password == "p@ss"
    # refused, each with its reason
    for argv, env, why in [
            ((), {}, "give --db"),
            (("--db", with_pw), {}, "visible to every user"),
            (("--db", base, "--db-url-file", str(uf)), {}, "not both"),
            (("--db-url-file", str(uf)), {"AGENT_CTID_DB_PASSWORD": "x"}, "given twice"),
            (("--db", base, "--db-password-file", str(_secret(tmp_path / "open", "x", 0o644))),
             {}, "readable by other users"),
            (("--db", base, "--db-password-file", str(_secret(tmp_path / "e", "", 0o600))),
             {}, "is empty"),
            (("--db", base, "--db-password-file", str(tmp_path / "missing")), {}, "cannot read"),
            (("--db", lite, "--db-password-file", str(pw)), {}, "takes no password"),
            (("--db", "mysql+pymysql://dbhost/agentdesk"), {"AGENT_CTID_DB_PASSWORD": "x"},
             "names no user"),
    ]:
        with pytest.raises(OptionError, match=why):
            database_url(_args(*argv), env)


@pytest.mark.mysql
@pytest.mark.parametrize("db_url", ["mysql"], indirect=True)
def test_ctid_takes_its_database_password_from_the_environment_or_a_file(
        cti_db, tmp_path, monkeypatch):
    """A real account with a password on MariaDB; agent-ctid reaches the database with
    it given the two ways a site may, and its command line never holds it."""
    url = make_url(cti_db.url)
    user, password = f"ctid_{uuid.uuid4().hex[:8]}", f"p@ss/w:rd%-{uuid.uuid4().hex}"
    admin = create_engine(url.set(database=None), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        c.execute(text(f"GRANT ALL ON `{url.database}`.* TO '{user}'@'%'"))
    bare = url.set(username=user, password=None).render_as_string(hide_password=False)
    try:
        monkeypatch.setenv("AGENT_CTID_DB_PASSWORD", password)
        ctid = Ctid(bare, tmp_path / "env")
        ctid.start()
        try:
            assert password not in " ".join(ctid.proc.args)
        finally:
            ctid.terminate()
        monkeypatch.delenv("AGENT_CTID_DB_PASSWORD")
        pw = _secret(tmp_path / "db-password", password, 0o600)
        ctid = Ctid(bare, tmp_path / "file", "--db-password-file", str(pw))
        ctid.start()
        ctid.terminate()
        # and without it, the database refuses agent-ctid (so the password above did work)
        ctid = Ctid(bare, tmp_path / "none")
        with pytest.raises(RuntimeError, match="cannot use the database"):
            ctid.start()
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP USER '{user}'@'%'"))
        admin.dispose()


# -- desks over TLS ---------------------------------------------------------------------------

@SQLITE
def test_a_desk_pins_the_certificate_at_first_use_and_refuses_a_changed_one(cti_db, tmp_path):
    first = make_certificate(tmp_path / "first", ["127.0.0.1"])
    ctid = Ctid(cti_db.url, tmp_path / "ctid", *tls_args(tmp_path / "first"))

    async def main():
        port = await asyncio.to_thread(ctid.start)
        settings = WorkstationSettings.load()
        assert settings.cti_pin == "" and not settings.cti_plaintext  # TLS by default
        client = desk(port, settings)
        await client.start()
        assert await client.wait_logged_in(10)
        # pinned: in the settings file, and what agent-ctid logged at its start
        assert WorkstationSettings.load().cti_pin == first.fingerprint == client.pin
        assert any(first.fingerprint in e.get("msg", "") for e in ctid.entries())
        await stop_in_time(client)
        # the next desk start: the pin from the file, the same certificate
        again = desk(port, WorkstationSettings.load())
        await again.start()
        assert await again.wait_logged_in(10)
        await stop_in_time(again)

        # the server comes back on the same port with another certificate
        await asyncio.to_thread(ctid.terminate)
        second = make_certificate(tmp_path / "second", ["127.0.0.1"])
        ctid.args = tls_args(tmp_path / "second")
        await asyncio.to_thread(ctid.start)
        settings = WorkstationSettings.load()
        refused = desk(port, settings, backoff=(0.05, 2.0))
        rec = Recorder(refused)
        await refused.start()
        await rec.status("disconnected", "tls_pin_changed", timeout=10)
        assert refused.server_fingerprint == second.fingerprint
        await asyncio.sleep(0.5)  # retried at the cap (2 s), not at the first step
        assert rec.statuses.count(("connecting", "")) == 1
        await stop_in_time(refused)
        # the pin is kept, and this life of the server never saw a login (nor the password)
        assert WorkstationSettings.load().cti_pin == first.fingerprint
        assert refused.pin == first.fingerprint
        assert not any("login" in e.get("msg", "") for e in ctid.entries())

        # the administrator clears the pin: the new certificate is trusted and pinned
        settings.cti_pin = ""
        settings.save()
        cleared = desk(port, WorkstationSettings.load())
        await cleared.start()
        assert await cleared.wait_logged_in(10)
        assert WorkstationSettings.load().cti_pin == second.fingerprint
        await stop_in_time(cleared)

    try:
        run(main(), timeout=120)
    finally:
        ctid.terminate()


@SQLITE
def test_a_desk_given_the_certificate_file_verifies_it(cti_db, tmp_path):
    make_certificate(tmp_path / "site", ["127.0.0.1"])
    other = make_certificate(tmp_path / "other", ["127.0.0.1"])
    ctid = Ctid(cti_db.url, tmp_path / "ctid", *tls_args(tmp_path / "site"))

    async def main():
        port = await asyncio.to_thread(ctid.start)
        settings = WorkstationSettings(cti_ca_file=str(tmp_path / "site" / "ctid-cert.pem"))
        trusting = desk(port, settings)
        await trusting.start()
        assert await trusting.wait_logged_in(10)
        assert settings.cti_pin == "" and not trusting.pinning  # verified, nothing pinned
        await stop_in_time(trusting)
        # given another site's certificate: the handshake itself fails
        doubting = desk(port, WorkstationSettings(cti_ca_file=str(other.cert)), "1002", "8002")
        rec = Recorder(doubting)
        await doubting.start()
        await rec.status("disconnected", "tls_failed", timeout=10)
        await stop_in_time(doubting)
        assert not any("1002" in e.get("msg", "") for e in ctid.entries())

    try:
        run(main(), timeout=60)
    finally:
        ctid.terminate()


@SQLITE
def test_plaintext_needs_both_sides_to_say_so(cti_db, tmp_path):
    make_certificate(tmp_path / "tls", ["127.0.0.1"])
    plain = Ctid(cti_db.url, tmp_path / "plain")   # ctidproc: --plaintext without a cert
    secure = Ctid(cti_db.url, tmp_path / "secure", *tls_args(tmp_path / "tls"))

    async def attempt(port: int, settings: WorkstationSettings) -> bool:
        client = desk(port, settings)
        rec = Recorder(client)
        await client.start()
        try:
            if await client.wait_logged_in(3):
                return True
            await rec.status("disconnected", timeout=5)
            return False
        finally:
            await stop_in_time(client)

    async def main():
        plain_port = await asyncio.to_thread(plain.start)
        secure_port = await asyncio.to_thread(secure.start)
        assert not await attempt(plain_port, WorkstationSettings())          # desk: TLS
        assert await attempt(plain_port, WorkstationSettings(cti_plaintext=True))
        assert not await attempt(secure_port, WorkstationSettings(cti_plaintext=True))
        assert await attempt(secure_port, WorkstationSettings())

    try:
        run(main(), timeout=90)
    finally:
        plain.terminate()
        secure.terminate()
