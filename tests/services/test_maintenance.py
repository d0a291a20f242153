"""客户维护 on SQLite and MariaDB: permission, all-or-nothing, audit with old values,
version bumps only where something changed, and 客户清除's order rules."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from agent_app.errors import Conflict, Forbidden, NotFound, ValidationError
from agent_app.services.accounts import AccountService
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.maintenance import CustomerMaintenanceService
from db.enums import EmployeeStatus
from db.models import AuditLog, Customer, OrderEvent, OrderLine, Product, SalesOrder, Variety


@pytest.fixture
def svc(database):
    return CustomerMaintenanceService(database)


@pytest.fixture
def accounts(database):
    return AccountService(database)


@pytest.fixture
def customers(database, agent):
    reg = CustomerService(database).register
    return [reg(agent, CustomerDraft(name=f"客户{k}", mobile=f"1380013800{k}")) for k in range(3)]


def _customer(database, cid) -> SimpleNamespace:
    """The row's values (a reading session's objects expire when it closes)."""
    with database.reading() as s:
        c = s.get(Customer, cid)
        return SimpleNamespace(**{k: getattr(c, k) for k in (
            "owner_id", "callback_agent_id", "source", "order_state", "version",
            "updated_by_login")})


def _audits(database, action):
    with database.reading() as s:
        return [SimpleNamespace(actor_login=a.actor_login, target=a.target, detail=a.detail)
                for a in s.scalars(select(AuditLog).where(AuditLog.action == action)
                                   .order_by(AuditLog.id))]


def test_every_method_needs_customer_maintenance(svc, agent, other, customers, database):
    ids = [c.id for c in customers]
    for call in (lambda: svc.set_owner(agent, ids, other.id),
                 lambda: svc.set_callback_agent(agent, ids, other.id),
                 lambda: svc.transfer(agent, ids, other.id),
                 lambda: svc.remove_orders(agent, [1])):
        with pytest.raises(Forbidden):
            call()
    for c in customers:
        row = _customer(database, c.id)
        assert (row.owner_id, row.callback_agent_id, row.source, row.version) == (
            agent.id, None, "direct", 1)
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action.like("customers_%"))) == 0


def test_set_owner_counts_bumps_and_audits_old_values(svc, keeper, agent, other, customers,
                                                      database):
    a, b, c = customers
    assert svc.set_owner(keeper, [a.id, b.id], other.id) == 2
    # c already belongs to 张伟 after this; a second call changes only it
    assert svc.set_owner(keeper, [a.id, c.id, c.id], other.id) == 1
    for cust, version in ((a, 2), (b, 2), (c, 2)):
        row = _customer(database, cust.id)
        assert (row.owner_id, row.version, row.updated_by_login) == (other.id, version, "1003")
    first, second = _audits(database, "customers_owner_set")
    assert (first.actor_login, first.target) == ("1003", "1002")
    assert first.detail["ids"] == [a.id, b.id]
    assert first.detail["old"] == [{"id": a.id, "owner_id": agent.id},
                                   {"id": b.id, "owner_id": agent.id}]
    assert first.detail["new"] == {"owner_id": other.id}
    assert second.detail["ids"] == [c.id] and second.detail["unchanged"] == 1


def test_set_callback_agent_and_clear_it(svc, keeper, other, customers, database):
    a, b, _ = customers
    assert svc.set_callback_agent(keeper, [a.id, b.id], other.id) == 2
    assert _customer(database, a.id).callback_agent_id == other.id
    assert svc.set_callback_agent(keeper, [a.id], None) == 1
    row = _customer(database, a.id)
    assert (row.callback_agent_id, row.version) == (None, 3)
    last = _audits(database, "customers_callback_agent_set")[-1]
    assert last.detail["old"] == [{"id": a.id, "callback_agent_id": other.id}]


def test_transfer_sets_owner_and_source(svc, keeper, agent, other, customers, database):
    a, b, c = customers
    with database.transaction() as s:
        s.get(Customer, b.id).source = "callback"
    assert svc.transfer(keeper, [a.id, b.id], other.id) == 2
    for cid in (a.id, b.id):
        row = _customer(database, cid)
        assert (row.owner_id, row.source) == (other.id, "transfer")
    assert _customer(database, c.id).source == "direct"
    (log,) = _audits(database, "customers_transferred")
    assert log.detail["old"] == [{"id": a.id, "owner_id": agent.id, "source": "direct"},
                                 {"id": b.id, "owner_id": agent.id, "source": "callback"}]


def test_refusals_change_nothing(svc, keeper, superadmin, accounts, other, customers, database):
    ids = [c.id for c in customers]
    with pytest.raises(NotFound):          # one customer gone: none are changed
        svc.transfer(keeper, ids + [999999], other.id)
    with pytest.raises(NotFound):
        svc.set_owner(keeper, ids, 999999)
    with pytest.raises(ValidationError) as e:
        svc.set_owner(keeper, [], other.id)
    assert e.value.field == "customer_ids"
    accounts.set_status(superadmin, other.id, EmployeeStatus.CLOSED)
    with pytest.raises(ValidationError) as e:
        svc.transfer(keeper, ids, other.id)
    assert "1002" in str(e.value) and e.value.field == "employee_id"
    for cid in ids:
        row = _customer(database, cid)
        assert (row.owner_id, row.source, row.version) == (customers[0].owner_id, "direct", 1)
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action.like("customers_%"))) == 0


# -- 客户清除 -------------------------------------------------------------------------------
@pytest.fixture
def product_id(database):
    with database.transaction() as s:
        v = Variety(name="眼保姆", updated_by_login="t")
        s.add(v)
        s.flush()
        p = Product(code="P001", name="眼保姆护眼仪", specification="标准", variety_id=v.id,
                    unit="台", short_code="YBM", retail_price=Decimal("298.00"),
                    updated_by_login="t")
        s.add(p)
        s.flush()
        return p.id


def _order(database, customer_id, no, product_id, *, confirmed=False, status="not_sent"):
    with database.transaction() as s:
        o = SalesOrder(order_no=no, customer_id=customer_id, status=status, confirmed=confirmed,
                       total=Decimal("298.00"), updated_by_login="1001",
                       lines=[OrderLine(line_no=1, product_id=product_id,
                                        unit_price=Decimal("298.00"), quantity=1)])
        s.add(o)
        s.flush()
        s.add(OrderEvent(order_id=o.id, actor_login="1001", action="create",
                         to_status=status))
        c = s.get(Customer, customer_id)
        c.order_state = max(c.order_state, 2 if confirmed else 1)
        return o.id


def _count(database, model):
    with database.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_remove_orders_refuses_confirmed_live_order_all_or_nothing(
        svc, keeper, customers, product_id, database):
    a = customers[0]
    dup = _order(database, a.id, "2405010001", product_id)
    live = _order(database, a.id, "2405010002", product_id, confirmed=True)
    before = _customer(database, a.id)
    with pytest.raises(Conflict) as e:
        svc.remove_orders(keeper, [dup, live])
    assert "2405010002" in str(e.value)
    with pytest.raises(NotFound):
        svc.remove_orders(keeper, [dup, 987654])
    with pytest.raises(ValidationError):
        svc.remove_orders(keeper, [])
    assert (_count(database, SalesOrder), _count(database, OrderLine),
            _count(database, OrderEvent)) == (2, 2, 2)
    assert _customer(database, a.id) == before and before.order_state == 2
    assert _audits(database, "orders_removed") == []


def test_remove_orders_deletes_and_recomputes_order_state(svc, keeper, customers, product_id,
                                                          database):
    a, b, c = customers
    a_dup = _order(database, a.id, "2405010001", product_id)
    _order(database, a.id, "2405010002", product_id, confirmed=True)       # stays: state 2
    b_cancelled = _order(database, b.id, "2405010003", product_id, confirmed=True,
                         status="cancelled")                               # confirmed, cancelled
    c_one = _order(database, c.id, "2405010004", product_id)
    _order(database, c.id, "2405010005", product_id)                       # stays: state 1
    versions = {cid: _customer(database, cid).version for cid in (a.id, b.id, c.id)}
    assert svc.remove_orders(keeper, [a_dup, b_cancelled, c_one]) == 3
    with database.reading() as s:
        assert sorted(s.scalars(select(SalesOrder.order_no))) == ["2405010002", "2405010005"]
        assert s.scalar(select(func.count()).select_from(OrderLine)) == 2
        assert s.scalar(select(func.count()).select_from(OrderEvent)) == 2
    states = {cid: (_customer(database, cid).order_state,
                    _customer(database, cid).version - versions[cid])
              for cid in (a.id, b.id, c.id)}
    # b lost its only order: 0 and a version bump; a and c keep their state, untouched
    assert states == {a.id: (2, 0), b.id: (0, 1), c.id: (1, 0)}
    assert _customer(database, b.id).updated_by_login == "1003"
    (log,) = _audits(database, "orders_removed")
    assert log.actor_login == "1003" and log.detail["ids"] == [a_dup, b_cancelled, c_one]
    kept = {o["order_no"]: o for o in log.detail["old"]}
    assert set(kept) == {"2405010001", "2405010003", "2405010004"}
    assert kept["2405010003"]["status"] == "cancelled" and kept["2405010003"]["confirmed"]
    assert kept["2405010001"]["lines"] == [{"product_id": product_id, "quantity": 1,
                                            "unit_price": "298.00", "kind": "direct",
                                            "trial": False}]
    assert log.detail["order_state_old"] == [{"id": b.id, "order_state": 2}]
