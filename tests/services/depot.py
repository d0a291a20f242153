"""The logistics tests' world: the shop of the order tests, clerks of 物流部, and orders
brought to each state through the services (tests/services/test_logistics*.py)."""
from __future__ import annotations

from agent_app.services.logistics import FeedbackEntry, LogisticsService
from agent_app.services.orders import OrderDraft, OrderLineDraft
from db.enums import Permission
from tests.services.conftest import operator


def make_shop(database, superadmin):
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


CLERK_PERMISSIONS = {Permission.DISPATCH_FEEDBACK, Permission.WITHDRAW_ORDER,
                     Permission.CANCEL_ORDER, Permission.DELETE_WITHDRAWN,
                     Permission.VIEW_FULL_NUMBERS}


def make_depot(shop):
    """The shop of the order tests, a 物流部 clerk 3001 holding every logistics
    permission, a second clerk 3002 with 反馈 only, and the logistics service."""
    from agent_app.services.accounts import AccountService
    from db.enums import Role

    accounts = AccountService(shop.db)
    for login, name, perms in (("3001", "孙强", CLERK_PERMISSIONS),
                               ("3002", "马军", {Permission.DISPATCH_FEEDBACK})):
        accounts.add_employee(shop.admin, login=login, name=name, role=Role.OPERATOR,
                              password="pass1234", department="物流部",
                              must_change_password=False, permissions=perms)
    shop.clerk = accounts.authenticate("3001", "pass1234").actor
    shop.clerk2 = accounts.authenticate("3002", "pass1234").actor
    shop.logistics = LogisticsService(shop.db)
    return shop


def new_order(depot, *, confirm: bool = True) -> int:
    p1, p2, _ = depot.products
    o = depot.svc.create(depot.agent, OrderDraft(
        customer_id=depot.customer.id, medium_id=depot.media[0].id,
        lines=(OrderLineDraft(p1.id), OrderLineDraft(p2.id, quantity=2, kind="bundled"))),
        confirm=confirm)
    return o.id


def version(depot, oid) -> int:
    return depot.svc.get(oid).version


def delivered(oid, result="delivered", **kw) -> FeedbackEntry:
    return FeedbackEntry(oid, result, **kw)


def make(depot, state: str) -> int:
    """An order brought to `state` through the services, as users bring it there."""
    lg, clerk = depot.logistics, depot.clerk
    oid = new_order(depot, confirm=state != "draft")
    if state in ("draft", "confirmed"):
        pass
    elif state == "withdrawn":
        lg.withdraw(clerk, oid, version(depot, oid), "地址写错")
    elif state == "printed":
        lg.record_printed(clerk, [oid], "label_76x130")
    elif state in ("delivered", "returned"):
        lg.feedback(clerk, [delivered(oid, state)])
    elif state == "voided":
        lg.record_printed(clerk, [oid], "label_76x130")
        lg.void(clerk, oid, version(depot, oid), "打印的地址错了")
    elif state == "cancelled":
        lg.cancel(clerk, oid, version(depot, oid), "客户不要了")
    elif state == "edited":
        o = depot.svc.get(oid)
        depot.svc.update(depot.agent, oid, o.version, OrderDraft(
            customer_id=o.customer_id, medium_id=depot.media[1].id,
            lines=tuple(OrderLineDraft(ln.product_id, ln.quantity, kind=ln.kind)
                        for ln in o.lines)))
    else:
        raise AssertionError(state)
    return oid


