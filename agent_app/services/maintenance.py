"""客户维护: bulk changes an administrator makes to many customers at once.

所属人员 / 回访人员 settings, 资料转移 (handing an agent's customers to another) and
客户清除 (removing duplicate orders). Each call is one transaction and one audit row that
lists the ids and the old values, so any change can be traced and put back by hand.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_app.errors import Conflict, NotFound, ValidationError
from agent_app.services.base import Actor, audit, db_errors, require, retrying
from agent_app.services.orders import order_states
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import CustomerSource, EmployeeStatus, OrderStatus, Permission
from db.models import Customer, Employee, SalesOrder

CHUNK = 500  # ids per IN (...): well under every driver's parameter limit


def _ids(values: Iterable[int], what: str) -> list[int]:
    ids = sorted({int(v) for v in values})
    if not ids:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Select at least one row first."), field=what)
    return ids


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _customers(s: Session, ids: list[int]) -> list[Customer]:
    """The customers, locked for this transaction; all of them or NotFound."""
    rows: list[Customer] = []
    for part in _chunks(ids):
        rows += s.scalars(select(Customer).where(Customer.id.in_(part))
                          .order_by(Customer.id).with_for_update()).all()
    if len(rows) != len(ids):
        raise NotFound()
    return rows


def _employee(s: Session, employee_id: int) -> Employee:
    e = s.get(Employee, employee_id)
    if e is None:
        raise NotFound()
    if e.status == EmployeeStatus.CLOSED:
        # A closed account is gone from every pick list; customers given to it would be
        # nobody's to call back.
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "{name} ({login}) is a closed account; choose an active employee."),
            field="employee_id", name=e.name, login=e.login)
    return e


class CustomerMaintenanceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def set_owner(self, actor: Actor, customer_ids: Iterable[int], employee_id: int) -> int:
        """所属人员. Returns how many customers changed."""
        return self._assign(actor, customer_ids, employee_id, "customers_owner_set",
                            {"owner_id": employee_id})

    def set_callback_agent(self, actor: Actor, customer_ids: Iterable[int],
                           employee_id: int | None) -> int:
        """回访人员 (None: nobody). Returns how many customers changed."""
        return self._assign(actor, customer_ids, employee_id, "customers_callback_agent_set",
                            {"callback_agent_id": employee_id})

    def transfer(self, actor: Actor, customer_ids: Iterable[int], to_employee_id: int) -> int:
        """资料转移: the customers become the employee's, marked 转交."""
        return self._assign(actor, customer_ids, to_employee_id, "customers_transferred",
                            {"owner_id": to_employee_id, "source": str(CustomerSource.TRANSFER)})

    def remove_orders(self, actor: Actor, order_ids: Iterable[int]) -> int:
        """客户清除: delete duplicate orders. Only orders logistics has not confirmed, or
        cancelled ones, may go; one confirmed live order refuses the whole call. The
        orders (with their lines) are kept in the audit row."""
        require(actor, Permission.CUSTOMER_MAINTENANCE)
        ids = _ids(order_ids, "order_ids")
        return retrying(lambda: self._remove_orders(actor, ids))

    # -- helpers ---------------------------------------------------------------------------
    def _assign(self, actor: Actor, customer_ids: Iterable[int], employee_id: int | None,
                action: str, values: dict[str, Any]) -> int:
        require(actor, Permission.CUSTOMER_MAINTENANCE)
        ids = _ids(customer_ids, "customer_ids")
        if employee_id is None and "owner_id" in values:
            raise ValidationError(field="employee_id")

        def work() -> int:
            with db_errors(), self.db.transaction() as s:
                target = _employee(s, employee_id) if employee_id is not None else None
                old: list[dict[str, Any]] = []
                for c in _customers(s, ids):
                    before = {k: getattr(c, k) for k in values}
                    if before == values:
                        continue
                    old.append({"id": c.id, **before})
                    for k, v in values.items():
                        setattr(c, k, v)
                    c.updated_by_login = actor.login
                s.flush()
                audit(s, actor.login, action, target.login if target else "",
                      ids=[o["id"] for o in old], new=values, old=old,
                      unchanged=len(ids) - len(old))
                return len(old)

        return retrying(work)

    def _remove_orders(self, actor: Actor, ids: list[int]) -> int:
        with db_errors(), self.db.transaction() as s:
            orders: list[SalesOrder] = []
            for part in _chunks(ids):
                orders += s.scalars(select(SalesOrder).where(SalesOrder.id.in_(part))
                                    .order_by(SalesOrder.id).with_for_update()).all()
            if len(orders) != len(ids):
                raise NotFound()
            for o in orders:
                if o.confirmed and o.status != OrderStatus.CANCELLED:
                    raise Conflict(QT_TRANSLATE_NOOP(
                        "errors", "Order {order_no} is confirmed by logistics and not "
                        "cancelled, so it cannot be removed. Nothing was removed."),
                        order_no=o.order_no)
            snapshot = [_order_snapshot(o) for o in orders]
            customer_ids = {o.customer_id for o in orders}
            for o in orders:
                s.delete(o)  # lines go with it (cascade); events by the FK's ON DELETE
            s.flush()
            customers = _customers(s, sorted(customer_ids))
            states = order_states(s, customer_ids)
            recomputed = []
            for c in customers:
                if c.order_state != states[c.id]:
                    recomputed.append({"id": c.id, "order_state": c.order_state})
                    c.order_state = states[c.id]
                    c.updated_by_login = actor.login
            s.flush()
            audit(s, actor.login, "orders_removed", f"{len(orders)} orders",
                  ids=[o["id"] for o in snapshot], old=snapshot, order_state_old=recomputed)
            return len(orders)



def _order_snapshot(o: SalesOrder) -> dict[str, Any]:
    """Everything needed to re-enter a removed order by hand (JSON-safe)."""
    return {
        "id": o.id, "order_no": o.order_no, "customer_id": o.customer_id,
        "employee_id": o.employee_id, "created_at": o.created_at.isoformat(),
        "status": o.status, "confirmed": o.confirmed, "delivery_method": o.delivery_method,
        "payment": o.payment, "medium_id": o.medium_id, "placement_id": o.placement_id,
        "variety_id": o.variety_id, "total": str(o.total), "trial": o.trial,
        "remark": o.remark, "waybill_no": o.waybill_no,
        "lines": [{"product_id": ln.product_id, "quantity": ln.quantity,
                   "unit_price": str(ln.unit_price), "kind": ln.kind, "trial": ln.trial}
                  for ln in o.lines],
    }
