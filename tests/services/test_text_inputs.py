"""Text fields on SQLite and MariaDB: one rule on both back ends (services/text.py).

Before: a 65-character customer name was an unhandled DataError on MariaDB while SQLite
stored 10,000 characters; a lone surrogate ("\\ud800") raised UnicodeEncodeError in every
search and in registration; a NUL in a contains search matched every row.

Now every text a service writes is checked against its column's String(length) and its
characters: too long, a NUL, a lone surrogate or a C0 control character (TAB and LF are
allowed in multi-line remarks only) each get a ValidationError beside the field and
nothing is written. A search for a text no record can hold matches nothing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from agent_app.cli.identity import SHELL
from agent_app.errors import ValidationError
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.calls import CallQuery, CallService
from agent_app.services.contacts import ContactDraft, ContactService
from agent_app.services.cti_config import CtiConfigService
from agent_app.services.customer_query import CustomerQuery, CustomerQueryService
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.orders import OrderDraft, OrderLineDraft, SalesQuery
from agent_app.services.reminders import ReminderService
from agent_app.services.text import check_text
from db.base import Base
from db.enums import Role
from db.models import Variety

SH = dt.timezone(dt.timedelta(hours=8))
DUE = dt.datetime(2024, 5, 2, 10, 0, tzinfo=SH)


@dataclass(frozen=True)
class Field:
    """One text field a service writes: write(shop, value) saves it."""

    write: Callable
    field: str          # the ValidationError's field (the form field beside the message)
    limit: int          # its column's width
    multiline: bool = False


def _customer(draft_kw):
    return lambda shop, v: CustomerService(shop.db).register(
        shop.agent, CustomerDraft(**({"name": "王建国", "mobile": "13900001111"} | {
            k: (v if val is None else val) for k, val in draft_kw.items()})))


def _order(kw):
    return lambda shop, v: shop.svc.create(shop.agent, OrderDraft(
        shop.customer.id, (OrderLineDraft(shop.products[0].id),), **{kw: v}))


FIELDS = {
    "customer name": Field(_customer({"name": None}), "name", 64),
    "customer address": Field(_customer({"address": None}), "address", 200),
    "customer remark": Field(_customer({"remark": None}), "remark", 500, multiline=True),
    "end-user school": Field(_customer({"end_user_school": None}), "end_user_school", 100),
    "contact content": Field(lambda shop, v: ContactService(shop.db).add(
        shop.agent, ContactDraft(shop.customer.id, content=v)), "content", 2000, True),
    "contact our staff": Field(lambda shop, v: ContactService(shop.db).add(
        shop.agent, ContactDraft(shop.customer.id, our_staff=v)), "our_staff", 64),
    "call notes": Field(lambda shop, v: ContactService(shop.db).log_call(
        shop.agent, customer_id=shop.customer.id, call_id="c-1", direction="in",
        at=DUE, notes=v), "content", 2000, True),
    "feedback": Field(lambda shop, v: ContactService(shop.db).add_feedback(
        shop.agent, shop.customer.id, v), "text", 2000, True),
    "reminder note": Field(lambda shop, v: ReminderService(shop.db).create(
        shop.agent, shop.customer.id, DUE, v), "note", 500, True),
    "order remark": Field(_order("remark"), "remark", 500, True),
    "order delivery": Field(_order("delivery_requirements"), "delivery_requirements", 200,
                            True),
    "variety name": Field(lambda shop, v: ArchiveService(shop.db).save_variety(
        shop.admin, name=v), "name", 64),
    "medium type": Field(lambda shop, v: ArchiveService(shop.db).save_medium(
        shop.admin, type=v, name="新媒体"), "type", 32),
    "employee name": Field(lambda shop, v: AccountService(shop.db).add_employee(
        shop.admin, login="2001", name=v, role=Role.OPERATOR, password="pass1234"),
        "name", 64),
    "CTI group name": Field(lambda shop, v: CtiConfigService(shop.db).set_group(
        SHELL, "31", name=v), "name", 64),
    "internal number note": Field(lambda shop, v: CallService(shop.db).save_internal(
        shop.admin, None, "057188000001", v), "note", 100, True),  # a note: may wrap
}


def _rows(database) -> dict[str, int]:
    with database.reading() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables if t.name != "audit_log"}


def _bad_values(f: Field) -> dict[str, str]:
    bad = {"one too many": "字" * (f.limit + 1), "NUL": "王\x00建国",
           "lone surrogate": "王\ud800", "bell": "王\x07", "escape": "王\x1b[31m",
           "CR alone": "王\r建国"}
    if not f.multiline:
        bad |= {"TAB": "王\t建国", "LF": "王\n建国"}
    return bad


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_bad_text_refused_beside_the_field_nothing_written(shop, name):
    f = FIELDS[name]
    before = _rows(shop.db)
    for what, value in _bad_values(f).items():
        with pytest.raises(ValidationError) as e:
            f.write(shop, value)
        assert e.value.field == f.field, (name, what)
        assert _rows(shop.db) == before, (name, what)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_full_width_text_is_stored_whole_on_both_back_ends(shop, name):
    """Exactly the column's width is stored, not cut (MariaDB counts characters)."""
    f = FIELDS[name]
    value = "字" * f.limit
    if f.multiline:
        value = "第一行\t甲\n第二行" + "字" * (f.limit - 9)
    f.write(shop, value)
    stored = _stored(shop, f, value)
    assert stored == value


def _stored(shop, f: Field, value: str) -> str | None:
    """The value as it reads back from the database, from whichever table holds it."""
    with shop.db.reading() as s:
        for table in Base.metadata.sorted_tables:
            if f.field in table.c and table.name != "audit_log":
                hit = s.execute(select(table.c[f.field]).where(table.c[f.field] == value)
                                ).scalar()
                if hit is not None:
                    return hit
    return None


def test_crlf_in_a_remark_is_read_as_lf():
    assert check_text("一\r\n二", field="remark", limit=10) == "一\n二"


def test_the_flush_guard_catches_a_write_no_service_checked(database):
    """A service that forgot its check still cannot store bad text: the same message,
    the column's name as the field, nothing written."""
    for value in ("字" * 65, "眼\x00保姆", "\udfff"):
        with pytest.raises(ValidationError) as e, database.transaction() as s:
            s.add(Variety(name=value, updated_by_login="t"))
        assert e.value.field == "name"
    with database.reading() as s:
        assert s.scalar(select(func.count()).select_from(Variety)) == 0


# -- searches ---------------------------------------------------------------------------------
UNSTORABLE = {"NUL": "\x00", "NUL inside": "文三\x00", "lone surrogate": "\ud800",
              "surrogate inside": "杭州\udc00"}


@pytest.mark.parametrize("field", ["address", "remark", "name", "registration_no", "phone",
                                   "end_user_name", "user_account", "direct"])
def test_customer_search_for_unstorable_text_matches_nothing(shop, field):
    """A NUL once matched every customer (LIKE '%\\0%' reads as '%'); a lone surrogate
    crashed the search. Both now match nothing, on both back ends."""
    CustomerService(shop.db).update(shop.agent, shop.customer.id, shop.customer.version,
                                    CustomerDraft(name="王建国", mobile="13800138000",
                                                  address="杭州市文三路8号", remark="文三路"))
    svc = CustomerQueryService(shop.db)
    assert svc.search(shop.admin, CustomerQuery(field="address", text="文三")).rows
    for what, needle in UNSTORABLE.items():
        page = svc.search(shop.admin, CustomerQuery(field=field, text=needle))
        assert page.rows == [], (field, what)


def test_order_search_for_unstorable_text_matches_nothing(shop):
    shop.svc.create(shop.agent, OrderDraft(shop.customer.id,
                                           (OrderLineDraft(shop.products[0].id),),
                                           remark="加急"))
    today = dt.datetime.now(SH).date()
    q = {"date_from": today - dt.timedelta(days=2), "date_to": today + dt.timedelta(days=2)}
    assert shop.svc.search(shop.admin, SalesQuery(**q, field="remark", text="加急")).rows
    for field in ("remark", "order_no", "registration_no", "customer_name", "waybill_no"):
        for what, needle in UNSTORABLE.items():
            rows = shop.svc.search(shop.admin, SalesQuery(**q, field=field, text=needle)).rows
            assert rows == [], (field, what)


def test_call_search_for_unstorable_text_matches_nothing(shop):
    start = dt.datetime(2024, 1, 1, tzinfo=SH)
    q = {"start": start, "end": start + dt.timedelta(days=3650)}
    svc = CallService(shop.db)
    for what, needle in UNSTORABLE.items():
        for kw in ("dialed", "seat"):
            assert svc.search(shop.admin, CallQuery(**q, **{kw: needle})).rows == [], what


def test_employee_name_search_for_unstorable_text_matches_nothing(shop):
    """员工档案's name filter: a lone surrogate raised UnicodeEncodeError on MariaDB."""
    from agent_app.services.accounts import AccountService

    accounts = AccountService(shop.db)
    assert accounts.list_employees(shop.admin, name_prefix="")  # someone is there
    for what, needle in UNSTORABLE.items():
        assert accounts.list_employees(shop.admin, name_prefix=needle) == [], what
