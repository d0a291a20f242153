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
    order service (tests/services/test_orders*.py; tests/services/depot.py builds it)."""
    from tests.services.depot import make_shop
    return make_shop(database, superadmin)


@pytest.fixture
def depot(shop):
    """The shop, clerks 3001 (every logistics permission) and 3002 (反馈 only) of 物流部,
    and the logistics service (tests/services/depot.py)."""
    from tests.services.depot import make_depot
    return make_depot(shop)
