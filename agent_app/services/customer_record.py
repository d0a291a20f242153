"""客户资料: everything the customer record shows, read in one worker call.

Opening a record (from the directory, a search or a screen-pop) must paint at once, so
the panel asks for one bundle instead of four lists one after another: the profile,
recent orders, the contact log and the reminders.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from agent_app.errors import NotFound
from agent_app.services.base import Actor, db_errors
from agent_app.services.contacts import ContactInfo, ContactService
from agent_app.services.customers import CustomerRecord, _record
from agent_app.services.orders import OrderRow, OrderService
from agent_app.services.privacy import shown, shown_all
from agent_app.services.reminders import ReminderInfo, ReminderService
from db.engine import Database
from db.models import Customer, Employee, Region

ORDERS_SHOWN = 100
CONTACTS_SHOWN = 200


@dataclass(frozen=True)
class CustomerBundle:
    customer: CustomerRecord
    region_name: str
    owner_name: str
    orders: list[OrderRow]          # newest first
    contacts: list[ContactInfo]     # newest first
    reminders: list[ReminderInfo]


def load_bundle(db: Database, customer_id: int, *, viewer: Actor | None = None) -> CustomerBundle:
    """The bundle; every phone in it masked for a `viewer` without 查看完整号码 (the desk
    always passes its user)."""
    with db_errors(), db.reading() as s:
        c = s.get(Customer, customer_id)
        if c is None:
            raise NotFound()
        region_name = s.scalar(select(Region.name).where(Region.id == c.region_id)) \
            if c.region_id else None
        owner_name = s.scalar(select(Employee.name).where(Employee.id == c.owner_id)) \
            if c.owner_id else None
        record = shown(viewer, _record(c))
        orders = shown_all(viewer, OrderService(db).rows_for_customer(s, customer_id,
                                                                      ORDERS_SHOWN))
    return CustomerBundle(
        customer=record, region_name=region_name or "", owner_name=owner_name or "",
        orders=orders,
        contacts=ContactService(db).for_customer(customer_id, limit=CONTACTS_SHOWN),
        reminders=ReminderService(db).for_customer(customer_id, viewer=viewer))
