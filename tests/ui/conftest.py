"""Fixtures of the direct-sales UI tests: the main window with ui.sales installed, on the
seeded SQLite database of tests/conftest.py, plus a few archives (region, variety, products,
medium) and makers of customers and orders through the real services."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from tests.ui.helpers import idle, run, settle, until
from tests.ui.reports import COLUMNS, report_row


@pytest.fixture
def shop(sqlite_db, make_ctx):
    """Archives every sales test needs, and makers for customers and orders."""
    from agent_app.services.archives import ArchiveService
    from agent_app.services.customers import CustomerDraft, CustomerService
    from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService

    admin = make_ctx().actor
    arch = ArchiveService(sqlite_db)
    region = arch.save_region(admin, name="杭州", province="浙江", area_code="0571")
    other_region = arch.save_region(admin, name="宁波", province="浙江", area_code="0574")
    variety = arch.save_variety(admin, name="眼保姆")
    products = [arch.save_product(admin, name=name, variety_id=variety.id, unit="台",
                                  short_code=short, retail_price=price)
                for name, short, price in (("眼保姆护眼仪", "YBM", "398"),
                                           ("眼保姆眼贴", "YT", "68"),
                                           ("按摩靠垫", "AMKD", "168.50"))]
    medium = arch.save_medium(admin, type="电视", name="江苏卫视")
    medium2 = arch.save_medium(admin, type="电视", name="浙江卫视")
    customers = CustomerService(sqlite_db)
    orders = OrderService(sqlite_db)
    counter = iter(range(10_000))

    def customer(name=None, *, mobile=None, region_id=None, **kw):
        n = next(counter)
        return customers.register(admin, CustomerDraft(
            name=name or f"客户{n:03d}", mobile=mobile or f"139{n:08d}",
            region_id=region.id if region_id is None else region_id,
            address=f"杭州市西湖区文三路{n}号", **kw))

    def order(customer_id, *, confirm=False, lines=None):
        lines = lines or (OrderLineDraft(products[0].id),)
        return orders.create(admin, OrderDraft(customer_id=customer_id, lines=tuple(lines),
                                               medium_id=medium.id), confirm=confirm)

    return SimpleNamespace(admin=admin, region=region, other_region=other_region,
                           variety=variety, products=products, medium=medium,
                           medium2=medium2, customer=customer, order=order,
                           customers=customers, orders=orders, db=sqlite_db)


@pytest.fixture
def sales_window(qtbot, make_ctx, aloop):
    """A 1366×768 main window of the given user, with the sales feature installed and
    its first loads done."""
    from ui.main_window import MainWindow

    def make(login="0001", password="admin123"):
        w = MainWindow(make_ctx(login, password), database_label="SQLite test")
        qtbot.addWidget(w)
        w.resize(1366, 768)
        w.show()
        w.features["sales"].notifier.timer.stop()  # tests look for reminders themselves
        settle(aloop, w)
        made.append(w)
        return w
    made = []
    yield make
    # the lists a test's last save reloads come back before the loop is closed
    for w in made:
        run(aloop, idle(w.ctx.runner))


# -- the demo data: the acceptance walkthroughs ------------------------------------------
@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """The demo data, loaded once per test module into a SQLite file each test copies."""
    from agent_app.demodata import ensure_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    ensure_demo_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_window(qtbot, aloop, runner):
    """make(db, login): a 1366×768 main window of a demo login (its demo password) on
    `db`, shown and settled; its last loads are waited for at the end."""
    from agent_app.config import WorkstationSettings
    from agent_app.demodata import demo_password
    from agent_app.services.accounts import AccountService
    from ui.context import AppContext, Services
    from ui.main_window import MainWindow

    made = []

    def make(db, login: str):
        actor = AccountService(db).authenticate(login, demo_password(login)).actor
        ctx = AppContext(actor=actor, settings=WorkstationSettings(), runner=runner,
                         services=Services(db))
        w = MainWindow(ctx, database_label="demo")
        qtbot.addWidget(w)
        w.resize(1366, 768)
        w.show()
        settle(aloop, w)
        made.append(w)
        return w
    yield make
    for w in made:
        run(aloop, until(lambda w=w: w.ctx.runner.in_flight == 0))


# -- the ui/kit tests -------------------------------------------------------------------


@pytest.fixture
def report_columns() -> list[tuple[str, str]]:
    return list(COLUMNS)


@pytest.fixture
def report_rows() -> list[tuple]:
    return [report_row(i) for i in range(120)]


@pytest.fixture
def english(qapp):
    """The English catalogue, so plural messages read as users see them ("1 row")."""
    from ui import i18n

    i18n.install("en", qapp)


@pytest.fixture
def bugs(monkeypatch):
    """The errors that reached sys.excepthook (the crash dialog in the program)."""
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: seen.append(exc))
    return seen


@pytest.fixture
def runner_ctx(runner):
    return SimpleNamespace(runner=runner)
