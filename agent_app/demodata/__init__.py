"""Demo data: a realistic, deterministic TV-shopping call center in a fresh database.

`load(url, scale, seed)` is behind `agent-admin demo-data`; `ensure_demo_database(url)` is
what `agent-app --demo` calls (loads the small set once, then only checks).
The demo accounts' passwords follow one visible rule, "demo" + login, printed by the
command and listed in the README; nothing in the client knows them.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from agent_app.errors import UserError
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database

log = logging.getLogger(__name__)

# login, name, department, role, group, permissions
EMPLOYEES = [
    ("0001", "王明辉", "直销部", "superadmin", None, ()),
    ("0002", "赵敏", "直销部", "admin", "21",
     ("statistics", "monitor", "recordings", "export", "archives", "customer_maintenance",
      "missed_allocation", "broadcast", "cancel_order", "view_full_numbers")),
    ("1001", "李娜", "直销部", "operator", "21", ("statistics", "export")),
    ("1002", "张伟", "直销部", "operator", "21", ()),
    ("1003", "刘芳", "直销部", "operator", "21", ()),
    ("1004", "陈静", "直销部", "operator", "21", ()),
    ("1005", "杨洋", "直销部", "operator", "22", ()),
    ("1006", "黄磊", "直销部", "operator", "22", ()),
    ("2001", "周敏", "回访部", "operator", "11", ()),
    ("2002", "吴秀英", "回访部", "operator", "11", ()),
    ("3001", "孙强", "物流部", "operator", None,
     ("dispatch_feedback", "withdraw_order", "cancel_order", "delete_withdrawn")),
    ("3002", "马军", "物流部", "operator", None, ("dispatch_feedback",)),
    ("4001", "朱丽", "市场部", "admin", None, ("statistics", "archives", "export")),
]
DEMO_AGENT = "1001"
DEMO_ADMIN = "0001"


def demo_password(login: str) -> str:
    return f"demo{login}"


@dataclass(frozen=True)
class DemoInfo:
    agent_login: str
    agent_password: str
    admin_login: str
    admin_password: str
    seat: str
    groups: tuple[str, ...]
    callers: tuple[str, ...] = field(default=())  # known customers' mobiles, for demo calls


class AlreadyLoaded(UserError):
    code = "demo_loaded"
    template = QT_TRANSLATE_NOOP(
        "errors", "The database already holds {n} customers; demo data goes into a new, "
                  "empty database. Nothing was changed.")


def logins_table() -> list[tuple[str, str, str, str, str]]:
    """(login, name, department, role, password) of every demo account."""
    return [(lg, name, dept, role, demo_password(lg)) for lg, name, dept, role, _g, _p in EMPLOYEES]


def load(url: str, scale: str = "small", seed: int = 1, *, progress=None) -> dict[str, float]:
    """Create/upgrade the schema, then load a demo call center. Returns timings and counts."""
    from agent_app.demodata.loader import Loader
    return Loader(url, scale, seed, progress=progress).run()


def _info(db: Database) -> DemoInfo:
    from db.models import Customer
    with db.reading() as s:
        callers = tuple(s.scalars(select(Customer.mobile).order_by(Customer.id).limit(20)))
    return DemoInfo(DEMO_AGENT, demo_password(DEMO_AGENT), DEMO_ADMIN,
                    demo_password(DEMO_ADMIN), "8001", ("21",), callers)


def ensure_demo_database(url: str) -> DemoInfo:
    """The demo's SQLite database: created with the small set on first use, upgraded and
    reused afterwards (a second start takes well under a second)."""
    from db.migrate import upgrade
    from db.models import Employee

    upgrade(url)
    db = Database.open(url)
    try:
        with db.reading() as s:
            have = s.scalar(select(func.count()).select_from(Employee).where(
                Employee.login == DEMO_AGENT))
        if not have:
            t = time.perf_counter()
            load(url, "small", seed=1)
            log.info("demo database loaded in %.1f s", time.perf_counter() - t)
        return _info(db)
    finally:
        db.dispose()


def now_shanghai() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)


__all__ = ["DemoInfo", "EMPLOYEES", "ensure_demo_database", "load", "logins_table",
           "demo_password", "AlreadyLoaded", "random"]
