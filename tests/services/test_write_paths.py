"""Every write ends in a saved record or in a message (never a crash dialog).

- Each function that opens `db.transaction()` runs inside the retry (`@writes` or
  `retrying(...)`), checked by reading the source, so a new write path cannot forget it.
- The retry itself: transient conflicts (1213, 1205, 3101, 9007, StaleDataError) are run
  again with growing, jittered pauses; anything else is not; after the last attempt the
  user gets Busy ("nothing was saved; try again").
- A version conflict that slips past the service's check and hits SQLAlchemy's
  version-checked UPDATE (two agents saving the same customer at the same instant) ends
  as the stale-edit message naming who saved, on both back ends.
"""
from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from pymysql.err import OperationalError as PyMySQLOperationalError
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from agent_app.errors import Busy, StaleEdit
from agent_app.services import base
from agent_app.services.base import retrying, transient
from agent_app.services.customers import CustomerDraft, CustomerService

ROOT = Path(__file__).resolve().parents[2]
WRITE_MODULES = sorted((ROOT / "agent_app" / "services").glob("*.py")) + [
    ROOT / "agent_app" / "cti" / "store.py"]


def _opens_transaction(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr == "transaction" for n in ast.walk(fn))


def _called_names(node: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            out.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
        elif isinstance(n, ast.Name):   # retrying(work): a function passed by name
            out.add(n.id)
    return out


def unretried_writes(path: Path) -> list[str]:
    """Functions of a module that open a transaction outside any retry."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    retried: set[str] = set()
    for fn in funcs:
        if any(ast.unparse(d) == "writes" for d in fn.decorator_list):
            retried.add(fn.name)
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "retrying":
            for arg in call.args:
                retried |= _called_names(arg)
    # a private helper is covered when every function that calls it is covered
    callers: dict[str, set[str]] = {}
    for fn in funcs:
        for name in _called_names(fn) - {fn.name}:
            callers.setdefault(name, set()).add(fn.name)
    changed = True
    while changed:
        changed = False
        for fn in funcs:
            who = callers.get(fn.name, set())
            if fn.name not in retried and fn.name.startswith("_") and who \
                    and who <= retried:
                retried.add(fn.name)
                changed = True
    return [f"{path.name}:{fn.lineno} {fn.name}" for fn in funcs
            if _opens_transaction(fn) and fn.name not in retried
            and not any(isinstance(n, ast.FunctionDef) and n is not fn and _opens_transaction(n)
                        for n in ast.walk(fn))]


def test_every_transaction_runs_inside_the_retry():
    found = [w for p in WRITE_MODULES for w in unretried_writes(p)]
    assert found == []


def test_the_check_finds_a_write_without_retry(tmp_path):
    src = tmp_path / "svc.py"
    src.write_text(
        "class S:\n"
        "    @writes\n"
        "    def ok(self):\n"
        "        with self.db.transaction() as s: self._inner(s)\n"
        "    def _inner(self, s):\n"
        "        with self.db.transaction() as s: pass\n"
        "    def forgot(self):\n"
        "        with self.db.transaction() as s: pass\n"
        "    def wrapped(self):\n"
        "        return retrying(lambda: self._w())\n"
        "    def _w(self):\n"
        "        with self.db.transaction() as s: pass\n", encoding="utf-8")
    assert unretried_writes(src) == ["svc.py:7 forgot"]


# -- the retry ---------------------------------------------------------------------------------
def _db_error(errno: int) -> OperationalError:
    return OperationalError("UPDATE x", {}, PyMySQLOperationalError(errno, "conflict"))


@pytest.mark.parametrize("errno", [1213, 1205, 3101, 9007])
def test_transient_conflicts_are_run_again(errno, monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(base.time, "sleep", pauses.append)
    tries = []

    def work():
        tries.append(1)
        if len(tries) < 3:
            raise _db_error(errno)
        return "saved"
    assert retrying(work) == "saved" and len(tries) == 3
    # jittered: each pause is drawn below a ceiling that doubles
    assert len(pauses) == 2 and 0 <= pauses[0] <= base.BACKOFF_S \
        and 0 <= pauses[1] <= 2 * base.BACKOFF_S


def test_a_conflict_to_the_last_attempt_is_busy_and_nothing_else(monkeypatch):
    monkeypatch.setattr(base.time, "sleep", lambda _s: None)
    tries = []

    def work():
        tries.append(1)
        raise _db_error(1213)
    with pytest.raises(Busy) as e:
        retrying(work)
    assert len(tries) == base.ATTEMPTS
    assert "Nothing was saved" in e.value.message_en()


@pytest.mark.parametrize("exc", [_db_error(1062), _db_error(2013), ValueError("bug"),
                                 IntegrityError("INSERT", {}, Exception("dup")),
                                 StaleEdit(who="a", when="b")])
def test_other_errors_are_not_retried(exc, monkeypatch):
    monkeypatch.setattr(base.time, "sleep", lambda _s: None)
    tries = []

    def work():
        tries.append(1)
        raise exc
    with pytest.raises(type(exc)):
        retrying(work)
    assert len(tries) == 1


def test_stale_data_is_transient_and_nested_retries_collapse(monkeypatch):
    monkeypatch.setattr(base.time, "sleep", lambda _s: None)
    assert transient(StaleDataError("0 rows")) and not transient(ValueError())
    inner_tries, outer_tries = [], []

    def inner():
        inner_tries.append(1)
        raise _db_error(1213)

    def outer():
        outer_tries.append(1)
        return retrying(inner)
    with pytest.raises(Busy):
        retrying(outer)
    # the inner call did not retry on its own: the outer transaction is the unit re-run
    assert len(inner_tries) == len(outer_tries) == base.ATTEMPTS


# -- two agents, one customer, the same instant ------------------------------------------------
def _draft(name: str, mobile: str) -> CustomerDraft:
    return CustomerDraft(name=name, mobile=mobile)


@pytest.mark.mysql
@pytest.mark.parametrize("db_url", ["mysql"], indirect=True)
def test_a_save_that_loses_the_race_at_the_update_names_who_saved(database, agent,
                                                                   superadmin):
    """The other agent's save commits between this save's version check and its UPDATE:
    the version-checked UPDATE matches nothing (StaleDataError), the retry re-reads the
    row, and the user is told who saved and when - no crash dialog. (MariaDB only:
    SQLite's BEGIN IMMEDIATE lets no second writer in between.)"""
    svc = CustomerService(database)
    me, other = agent, superadmin
    c = svc.register(me, _draft("周杰", "13812345678"))
    fired = threading.Event()

    @event.listens_for(database.engine, "before_cursor_execute")
    def sneak_in(conn, cursor, statement, *_a):
        # once, just before this save's UPDATE of the customer row: the other agent's
        # save commits on its own connection first
        if statement.lstrip().upper().startswith("UPDATE CUSTOMER") and not fired.is_set():
            fired.set()
            t = threading.Thread(target=svc.update, args=(other, c.id, c.version,
                                                          _draft("周杰伦", "13812345678")))
            t.start()
            t.join(30)
    try:
        with pytest.raises(StaleEdit) as e:
            svc.update(me, c.id, c.version, _draft("周姐", "13812345678"))
    finally:
        event.remove(database.engine, "before_cursor_execute", sneak_in)
    assert fired.is_set()
    assert other.login in e.value.message_en()
    assert svc.get(c.id).name == "周杰伦"   # theirs kept, mine not half-written


@pytest.mark.mysql
@pytest.mark.parametrize("db_url", ["mysql"], indirect=True)
def test_two_orders_for_one_customer_at_the_same_instant_do_not_deadlock(shop, superadmin,
                                                                         monkeypatch):
    """Inserting an order takes a shared lock on its customer (the foreign key), and the
    customer's order state is then updated. Desk A's order is held just after its INSERT
    until desk B's INSERT is through too (or 2 s): without the customer locked first, both
    hold the shared lock, both want to update, and InnoDB kills one (1213) - only the
    retry would save it. Locked first, B waits for A at its first statement."""
    from agent_app.services.accounts import AccountService
    from agent_app.services.orders import OrderDraft, OrderLineDraft
    from agent_app.services.sequences import lane_of
    from db.enums import Role

    accounts = AccountService(shop.db)
    accounts.add_employee(superadmin, login="0002", name="赵敏", role=Role.ADMIN,
                          password="Admin-0002", must_change_password=False)
    boss = accounts.authenticate("0002", "Admin-0002").actor
    # in different counter lanes, or B would wait for A's number before its INSERT
    assert lane_of(boss.login) != lane_of(shop.agent.login)
    conflicts: list[str] = []
    real = base.transient

    def counting(exc):
        hit = real(exc)
        if hit:
            conflicts.append(str(exc)[:80])
        return hit
    monkeypatch.setattr(base, "transient", counting)
    a_inserted, b_inserted = threading.Event(), threading.Event()

    @event.listens_for(shop.db.engine, "after_cursor_execute")
    def interleave(conn, cursor, statement, *_a):
        if not statement.lstrip().upper().startswith("INSERT INTO SALES_ORDER "):
            return
        if threading.current_thread().name == "desk-a" and not a_inserted.is_set():
            a_inserted.set()
            b_inserted.wait(2)
        elif threading.current_thread().name == "desk-b":
            b_inserted.set()
    out: dict[str, object] = {}

    def order(name, who):
        try:
            out[name] = shop.svc.create(who, OrderDraft(
                customer_id=shop.customer.id, lines=(OrderLineDraft(shop.products[0].id),)))
        except Exception as exc:  # noqa: BLE001 - asserted below
            out[name] = exc
    try:
        a = threading.Thread(target=order, args=("a", shop.agent), name="desk-a")
        a.start()
        assert a_inserted.wait(30)
        b = threading.Thread(target=order, args=("b", boss), name="desk-b")
        b.start()
        a.join(60)
        b.join(60)
    finally:
        event.remove(shop.db.engine, "after_cursor_execute", interleave)
    assert not any(isinstance(o, Exception) for o in out.values()), out
    assert out["a"].order_no != out["b"].order_no
    assert conflicts == []
