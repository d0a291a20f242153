"""The logistics tests' world: the shop of the order tests, clerks of 物流部, and orders
brought to each state through the services (tests/services/test_logistics*.py)."""
from __future__ import annotations

from agent_app.services.logistics import FeedbackEntry, LogisticsService
from agent_app.services.orders import OrderDraft, OrderLineDraft
from db.enums import Permission

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


