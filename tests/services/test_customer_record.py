"""The record bundle: one call returns the profile, orders, contacts and reminders."""
from __future__ import annotations

import datetime as dt

import pytest

from agent_app.errors import NotFound
from agent_app.services.archives import ArchiveService
from agent_app.services.contacts import ContactDraft, ContactService
from agent_app.services.customer_record import load_bundle
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService
from agent_app.services.reminders import ReminderService


def test_bundle_has_everything_newest_first(database, superadmin):
    arch = ArchiveService(database)
    v = arch.save_variety(superadmin, name="眼保姆")
    p = arch.save_product(superadmin, name="眼保姆", variety_id=v.id, unit="台",
                          short_code="Y1", retail_price="398")
    c = CustomerService(database).register(superadmin, CustomerDraft(
        name="王建国", mobile="13800138000"))
    other = CustomerService(database).register(superadmin, CustomerDraft(
        name="李四", mobile="13900139000"))
    orders = OrderService(database)
    first = orders.create(superadmin, OrderDraft(customer_id=c.id, lines=(OrderLineDraft(p.id),)))
    second = orders.create(superadmin, OrderDraft(customer_id=c.id, lines=(OrderLineDraft(p.id),)),
                           confirm=True)
    orders.create(superadmin, OrderDraft(customer_id=other.id, lines=(OrderLineDraft(p.id),)))
    contacts = ContactService(database)
    for text in ("第一次", "第二次"):
        contacts.add(superadmin, ContactDraft(customer_id=c.id, content=text))
    ReminderService(database).create(superadmin, c.id, dt.datetime.now(dt.UTC)
                                     + dt.timedelta(days=1), "问是否决定买")
    b = load_bundle(database, c.id)
    assert (b.customer.name, b.owner_name, b.customer.order_state) == ("王建国", "王明辉", 2)
    assert [o.order_no for o in b.orders] == [second.order_no, first.order_no]
    assert [x.content for x in b.contacts] == ["第二次", "第一次"]
    assert [r.note for r in b.reminders] == ["问是否决定买"]
    with pytest.raises(NotFound):
        load_bundle(database, 999999)
