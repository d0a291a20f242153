"""A site set up the way the README tells an installer to: a fresh MariaDB database,
`agent-admin init-db` and `db-accounts` (one database account per employee, agent-ctid's
own), the first super administrator by `agent-admin employee add`, and
everyone else added by the super administrator through the services the employee archive
uses. Shared by the site acceptance test and the login benchmark."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.customers import CustomerDraft, CustomerService
from db import privileges
from db.engine import Database
from db.enums import Permission, Role
from tests.e2e.desk import Desk, run_admin

BOSS = ("0001", "Boss-pass-0001")
HOTLINE = "4006000000"


@dataclass
class Person:
    login: str
    name: str
    initial: str   # the password the super administrator gave
    password: str  # the one the employee chooses at the first login
    seat: str


CTID_PASSWORD = "Ctid-pass-0001"


@dataclass
class Site:
    url: str       # the owner account's: agent-admin and the test's own checks
    folder: Path
    people: dict[str, Person] = field(default_factory=dict)
    customer_id: int | None = None
    customer_phone: str = "13912345678"
    customer_name: str = "钱海燕"

    @property
    def desk_url(self) -> str:
        """What a workstation keeps: the server and the database, no account (each
        employee connects as their own, docs/privileges.md)."""
        u = make_url(self.url)
        return f"mysql+pymysql://{u.host}:{u.port or 3306}/{u.database}"

    @property
    def ctid_url(self) -> str:
        """agent-ctid's own account (agent-admin db-accounts --ctid-password-stdin)."""
        u = make_url(self.url)
        return (u.set(username=privileges.ctid_account(u.database), password=CTID_PASSWORD)
                .render_as_string(hide_password=False))

    def desk(self, key: str, **kw) -> Desk:
        p = self.people[key]
        return Desk(self.folder / f"desk-{p.seat}", settings={
            "data_source": self.desk_url, "seat": p.seat, "groups": ["21"],
            "cti_host": "127.0.0.1", "cti_port": kw.pop("cti_port")}, **kw)


def install_site(url: str, folder: Path) -> Site:
    """init-db, the first super administrator, two operators, a supervisor, a product, a
    hotline and one known customer."""
    run_admin("init-db", "--url", url)
    run_admin("db-accounts", "--url", url, "--ctid-password-stdin", stdin=CTID_PASSWORD + "\n")
    run_admin("employee", "add", "--url", url, "--login", BOSS[0], "--name", "王明辉",
              "--role", "superadmin", "--department", "直销部", "--password-stdin",
              stdin=BOSS[1] + "\n")
    run_admin("cti", "number", "set", HOTLINE, "--url", url, "--group", "21")
    site = Site(url, folder)
    db = Database.open(url)
    try:
        accounts = AccountService(db)
        boss = accounts.authenticate(*BOSS).actor
        for key, login, name, role, perms, seat in (
                ("a", "1101", "李娜", Role.OPERATOR, set(), "8001"),
                ("b", "1102", "张伟", Role.OPERATOR, set(), "8002"),
                ("sup", "4001", "朱丽", Role.ADMIN, {Permission.MONITOR, Permission.STATISTICS},
                 "8009")):
            # as 员工档案 does it: an initial password the employee must change
            e = accounts.add_employee(boss, login=login, name=name, role=role,
                                      password=f"Init-{login}", department="直销部")
            if perms:
                accounts.set_permissions(boss, e.id, perms)
            site.people[key] = Person(login, name, f"Init-{login}", f"Mine-{login}-x", seat)
        archives = ArchiveService(db)
        variety = archives.save_variety(boss, name="护眼仪")
        archives.save_product(boss, name="眼保姆护眼仪", specification="标准型",
                              variety_id=variety.id, unit="台", short_code="YBM",
                              retail_price="398.00")
        agent_a = accounts.authenticate("1101", "Init-1101").actor
        site.customer_id = CustomerService(db).register(agent_a, CustomerDraft(
            name=site.customer_name, mobile=site.customer_phone, address="江苏省南京市鼓楼区中山路1号")).id
    finally:
        db.dispose()
    return site
