"""Service tests' set-up.

scripts/mutation.sh sets AGENT_TEST_CHEAP_HASHES=1: every service fixture hashes and checks
two passwords (~0.2 s each at the real argon2 cost), which dominates a mutation run that
repeats the tests hundreds of times. No mutant of a business rule is about hash cost, so
there argon2 runs at its minimum cost; the normal test run keeps the real one.
"""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    if os.environ.get("AGENT_TEST_CHEAP_HASHES") == "1":
        from argon2 import PasswordHasher

        import agent_app.security as security
        monkeypatch.setattr(security, "_hasher",
                            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def operator(database, superadmin, login, name, permissions=None):
    """A new operator (password 'pass1234') and the Actor for it."""
    from agent_app.services.accounts import AccountService
    from db.enums import Role

    accounts = AccountService(database)
    accounts.add_employee(superadmin, login=login, name=name, role=Role.OPERATOR,
                          password="pass1234", must_change_password=False,
                          permissions=permissions)
    return accounts.authenticate(login, "pass1234").actor


# The operators whose numbers the service tests compare hold 查看完整号码; what a user
# without it sees is tests/services/test_privacy.py's subject.
@pytest.fixture
def agent(database, superadmin):
    """Operator 1001 李娜 (sees full numbers)."""
    from db.enums import Permission
    return operator(database, superadmin, "1001", "李娜", {Permission.VIEW_FULL_NUMBERS})


@pytest.fixture
def other(database, superadmin):
    """Operator 1002 张伟, to show what one agent may not do to another's customers."""
    return operator(database, superadmin, "1002", "张伟")


@pytest.fixture
def keeper(database, superadmin):
    """Operator 1003 赵敏 with the customer-maintenance permission."""
    from db.enums import Permission
    return operator(database, superadmin, "1003", "赵敏", {Permission.CUSTOMER_MAINTENANCE})


@pytest.fixture
def shop(database, superadmin):
    """Two varieties, three products, two media, an operator and a customer, and the
    order service (tests/services/test_orders*.py)."""
    from agent_app.services.archives import ArchiveService
    from agent_app.services.customers import CustomerDraft, CustomerService
    from agent_app.services.orders import OrderService

    arch = ArchiveService(database)
    eye = arch.save_variety(superadmin, name="眼保姆")
    soft = arch.save_variety(superadmin, name="操盘手软件")
    p1 = arch.save_product(superadmin, name="眼保姆豪华版", variety_id=eye.id, unit="台",
                           short_code="YBM1", retail_price="398.00")
    p2 = arch.save_product(superadmin, name="眼保姆护目贴", variety_id=eye.id, unit="盒",
                           short_code="YBM2", retail_price="58.50")
    p3 = arch.save_product(superadmin, name="操盘手标准版", variety_id=soft.id, unit="套",
                           short_code="CPS1", retail_price="1280")
    tv = arch.save_medium(superadmin, type="电视", name="江苏卫视")
    web = arch.save_medium(superadmin, type="网络", name="官网")
    from db.enums import Permission
    agent = operator(database, superadmin, "1001", "李娜", {Permission.VIEW_FULL_NUMBERS})
    customer = CustomerService(database).register(
        agent, CustomerDraft(name="王建国", mobile="13800138000", address="杭州市文三路8号"))

    class Shop:
        pass
    s = Shop()
    s.db, s.admin, s.agent, s.customer = database, superadmin, agent, customer
    s.products, s.media = (p1, p2, p3), (tv, web)
    s.svc = OrderService(database)
    return s


@pytest.fixture
def depot(shop):
    """The shop, clerks 3001 (every logistics permission) and 3002 (反馈 only) of 物流部,
    and the logistics service (tests/services/depot.py)."""
    from tests.services.depot import make_depot
    return make_depot(shop)
