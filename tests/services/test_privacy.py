"""Phone numbers masked for users without 查看完整号码 (PIPL art. 51), and exports checked
and audited in the core — docs/privacy.md lists the places; each has a test here.

Every screen path: an operator without the permission gets 138****5678, one with it the
full number, from the same service call. Dialling, the screen-pop and a search by a typed
number work on the real number; saving a record seen masked keeps the real number.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from agent_app.errors import Forbidden, ValidationError
from agent_app.services.call_pop import pop_context
from agent_app.services.calls import CallQuery, CallService
from agent_app.services.customer_query import CustomerQuery, CustomerQueryService
from agent_app.services.customer_record import load_bundle
from agent_app.services.customers import SITE_ZONE, CustomerDraft, CustomerService
from agent_app.services.exports import ExportService
from agent_app.services.orders import OrderService, SalesQuery
from agent_app.services.reminders import ReminderService
from db.enums import Permission
from db.models import AuditLog, CallRecord, Customer, SalesOrder
from tests.services.conftest import operator

MOBILE, MASKED = "13800138000", "138****8000"
LANDLINE, LANDLINE_MASKED = "057188001234", "057*****1234"
NOW = dt.datetime.now(SITE_ZONE)


@pytest.fixture
def people(database, superadmin):
    """plain: an operator without 查看完整号码; full: one with it (and 导出)."""
    class People:
        plain = operator(database, superadmin, "1101", "张伟")
        full = operator(database, superadmin, "1102", "刘芳",
                        {Permission.VIEW_FULL_NUMBERS, Permission.EXPORT})
        exporter = operator(database, superadmin, "1103", "陈静", {Permission.EXPORT})
    return People


@pytest.fixture
def wang(database, people):
    """A customer of the plain operator with a mobile and a landline, one order, one
    reminder and one call."""
    c = CustomerService(database).register(people.full, CustomerDraft(
        name="王建国", mobile=MOBILE, landline=LANDLINE, address="杭州市文三路8号"))
    with database.transaction() as s:
        s.get(Customer, c.id).owner_id = people.plain.id
        s.add(SalesOrder(order_no="2603100001", customer_id=c.id, created_at=NOW,
                         status="not_sent", total=Decimal("100"), employee_id=people.plain.id))
        s.add(CallRecord(call_id="in1", direction="in", caller=MOBILE, dialed="4006000000",
                         agent_login="1101", queued_at=NOW - dt.timedelta(minutes=5),
                         end_cause="abandoned", internal=False))
        s.add(CallRecord(call_id="out1", direction="out", caller="4006000000",
                         dialed=LANDLINE, agent_login="1101",
                         queued_at=NOW - dt.timedelta(minutes=3),
                         answered_at=NOW - dt.timedelta(minutes=3), talk_s=30.0,
                         end_cause="answered", internal=False))
    ReminderService(database).create(people.plain, c.id, NOW + dt.timedelta(hours=1), "回访")
    return c


def _phones(rec) -> tuple[str, str]:
    return rec.mobile, rec.landline


# -- every screen path ----------------------------------------------------------------------

def test_customer_record_form_paths(database, people, wang):
    svc = CustomerService(database)
    assert _phones(svc.get(wang.id, viewer=people.plain)) == (MASKED, LANDLINE_MASKED)
    assert _phones(svc.get(wang.id, viewer=people.full)) == (MOBILE, LANDLINE)
    # the screen-pop's lookup and 电话 search find by the real number, show it masked
    assert [_phones(r) for r in svc.find_by_phone("138-0013-8000", viewer=people.plain)] == \
        [(MASKED, LANDLINE_MASKED)]
    assert [_phones(r) for r in svc.find_by_phone(MOBILE, viewer=people.full)] == \
        [(MOBILE, LANDLINE)]
    # register/update answer with the record as the actor may see it
    other = svc.register(people.plain, CustomerDraft(name="李四", mobile="13700137000"))
    assert other.mobile == "137****7000"


def test_record_bundle_masks_customer_orders_and_reminders(database, people, wang):
    plain = load_bundle(database, wang.id, viewer=people.plain)
    assert _phones(plain.customer) == (MASKED, LANDLINE_MASKED)
    assert [o.phone for o in plain.orders] == [MASKED]
    assert [r.phone for r in plain.reminders] == [MASKED]
    full = load_bundle(database, wang.id, viewer=people.full)
    assert _phones(full.customer) == (MOBILE, LANDLINE)
    assert [o.phone for o in full.orders] == [MOBILE]
    assert [r.phone for r in full.reminders] == [MOBILE]


def test_customer_directory_and_search(database, people, wang):
    q = CustomerQueryService(database)
    for actor, want in ((people.plain, (MASKED, LANDLINE_MASKED)), (people.full, (MOBILE, LANDLINE))):
        assert [_phones(r) for r in q.directory(actor, days=1).rows] == [want]
        # a whole number typed by the agent still finds the customer
        found = q.search(actor, CustomerQuery(field="phone", text=MOBILE)).rows
        assert [(r.id, _phones(r)) for r in found] == [(wang.id, want)]


def test_orders_sales_directory_and_customer_orders(database, people, wang):
    orders = OrderService(database)
    day = NOW.date()
    q = SalesQuery(date_from=day - dt.timedelta(days=1), date_to=day + dt.timedelta(days=1))
    assert [r.phone for r in orders.search(people.plain, q).rows] == [MASKED]
    assert [r.phone for r in orders.search(people.full, q).rows] == [MOBILE]
    assert [r.phone for r in orders.for_customer(wang.id, viewer=people.plain)] == [MASKED]
    assert [r.phone for r in orders.for_customer(wang.id, viewer=people.full)] == [MOBILE]


def test_reminders_list_due_and_record(database, people, wang):
    rem = ReminderService(database)
    day = NOW.date()
    listed = rem.list(people.plain, date_from=day, date_to=day + dt.timedelta(days=1))
    assert [r.phone for r in listed] == [MASKED]
    due = rem.due(people.plain, NOW + dt.timedelta(hours=2))
    assert [r.phone for r in due] == [MASKED]
    done = rem.mark_done(people.plain, due[0].id, due[0].version)
    assert done.phone == MASKED
    assert [r.phone for r in rem.for_customer(wang.id, viewer=people.full)] == [MOBILE]


def test_screen_pop_finds_by_the_real_number_and_shows_it_masked(database, people, wang):
    ctx = pop_context(database, MOBILE, "4006000000", NOW, viewer=people.plain)
    assert [m.id for m in ctx.matches] == [wang.id]
    assert _phones(ctx.matches[0]) == (MASKED, LANDLINE_MASKED)
    assert _phones(ctx.bundle.customer) == (MASKED, LANDLINE_MASKED)
    assert ctx.caller == MASKED
    full = CallService(database).pop_context(MOBILE, "4006000000", NOW, viewer=people.full)
    assert full.caller == MOBILE and _phones(full.bundle.customer) == (MOBILE, LANDLINE)


def test_calls_today_query_and_missed(database, people, wang):
    calls = CallService(database)
    day_start = NOW - dt.timedelta(days=1)
    q = CallQuery(start=day_start, end=NOW + dt.timedelta(minutes=1))
    seen = {r.call_id: (r.caller, r.dialed) for r in calls.search(people.plain, q).rows}
    # inbound: the caller masked, the hotline dialled is the site's own; outbound: the
    # customer's number dialled is masked
    assert seen == {"in1": (MASKED, "4006000000"),
                    "out1": ("4006000000", LANDLINE_MASKED)}
    assert {r.call_id: r.caller for r in calls.today(people.plain)} == \
        {"in1": MASKED, "out1": "4006000000"}
    missed_plain = calls.missed(people.plain, start=day_start, end=NOW + dt.timedelta(minutes=1),
                                assigned_to_login=None)
    assert [r.caller for r in missed_plain] == []  # none allocated to the plain operator
    with database.transaction() as s:
        s.scalar(select(CallRecord).where(CallRecord.call_id == "in1")).assigned_to_id = \
            people.plain.id
    missed_plain = calls.missed(people.plain, start=day_start, end=NOW + dt.timedelta(minutes=1))
    assert [r.caller for r in missed_plain] == [MASKED]


def test_calls_full_for_the_permission(database, people, superadmin, wang):
    calls = CallService(database)
    q = CallQuery(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(minutes=1))
    # superadmin holds every permission, 查看完整号码 included
    seen = {r.call_id: (r.caller, r.dialed) for r in calls.search(superadmin, q).rows}
    assert seen == {"in1": (MOBILE, "4006000000"), "out1": ("4006000000", LANDLINE)}


def test_a_duplicate_phone_is_named_as_the_actor_may_see_it(database, people, wang):
    from agent_app.services.customers import DuplicatePhone
    svc = CustomerService(database)
    for actor, shown in ((people.plain, MASKED), (people.full, MOBILE)):
        with pytest.raises(DuplicatePhone) as err:
            svc.register(actor, CustomerDraft(name="冒名", mobile=MOBILE))
        assert err.value.params["phone"] == shown and err.value.existing_id == wang.id
        assert err.value.params["name"] == "王建国"


# -- dialling by id -------------------------------------------------------------------------

def test_numbers_to_dial_are_the_real_ones(database, people, wang):
    assert CustomerService(database).number_to_dial(people.plain, wang.id) == MOBILE
    calls = CallService(database)
    with pytest.raises(Forbidden):  # not the plain operator's call, nor allocated to them
        calls.number_to_dial(people.full, "in1")
    assert calls.number_to_dial(people.plain, "in1") == MOBILE


def test_number_to_dial_of_a_customer_without_phones_is_refused(database, people, wang):
    with database.transaction() as s:
        c = s.get(Customer, wang.id)
        c.mobile = c.landline = ""
    with pytest.raises(ValidationError):
        CustomerService(database).number_to_dial(people.plain, wang.id)


# -- editing a record seen masked -----------------------------------------------------------

def test_saving_a_masked_record_keeps_the_real_numbers(database, people, wang):
    svc = CustomerService(database)
    shown = svc.get(wang.id, viewer=people.plain)
    draft = CustomerDraft(**{f: getattr(shown, f) for f in CustomerDraft.__dataclass_fields__})
    saved = svc.update(people.plain, wang.id, shown.version, replace(draft, address="新地址"))
    assert saved.mobile == MASKED and saved.address == "新地址"
    stored = svc.get(wang.id)
    assert (stored.mobile, stored.landline) == (MOBILE, LANDLINE)
    assert [c.id for c in svc.find_by_phone(MOBILE)] == [wang.id]   # the phone rows too
    # a new number typed in full replaces the old one; the masked landline stays
    svc.update(people.plain, wang.id, saved.version, replace(draft, mobile="13600136000"))
    stored = svc.get(wang.id)
    assert (stored.mobile, stored.landline) == ("13600136000", LANDLINE)


def test_masked_text_typed_over_is_refused_and_nothing_changes(database, people, wang):
    svc = CustomerService(database)
    shown = svc.get(wang.id, viewer=people.plain)
    draft = CustomerDraft(**{f: getattr(shown, f) for f in CustomerDraft.__dataclass_fields__})
    before = svc.get(wang.id)
    with pytest.raises(ValidationError) as err:
        svc.update(people.plain, wang.id, shown.version,
                   replace(draft, mobile="139****8000", address="x"))
    assert err.value.field == "mobile"
    with pytest.raises(ValidationError) as err:   # a mask in a new record
        svc.register(people.plain, CustomerDraft(name="新客户", mobile=MASKED))
    assert err.value.field == "mobile"
    assert svc.get(wang.id) == before


# -- exports ----------------------------------------------------------------------------------

def _exports(database) -> list[tuple]:
    """(who, what report, detail) of each export audit row."""
    with database.reading() as s:
        return [(a.actor_login, a.target, a.detail) for a in s.scalars(
            select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id))]


def test_call_export_needs_the_export_permission(database, people, wang, tmp_path):
    calls = CallService(database)
    q = CallQuery(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(minutes=1))
    rows = calls.search(people.plain, q).rows
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(Forbidden):
        calls.export_xlsx(people.plain, rows, folder / "calls.xlsx")
    assert list(folder.iterdir()) == []
    assert _exports(database) == []


def test_call_export_is_audited_masked_and_formula_safe(database, people, superadmin, wang,
                                                        tmp_path):
    with database.transaction() as s:
        s.get(Customer, wang.id).name = '=HYPERLINK("http://x","点此")'
    calls = CallService(database)
    q = CallQuery(start=NOW - dt.timedelta(days=1), end=NOW + dt.timedelta(minutes=1))
    # the exporter has 导出 but not 查看完整号码; a full row handed in is masked anyway
    rows = calls.search(superadmin, q).rows
    assert {r.caller for r in rows} == {MOBILE, "4006000000"}
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "calls.xlsx"
    assert calls.export_xlsx(people.exporter, rows, path) == 2
    assert [p.name for p in folder.iterdir()] == ["calls.xlsx"]  # no part file left
    ws = load_workbook(path).active
    head = [c.value for c in ws[1]]
    body = {row[head.index("Call ID")].value: row for row in ws.iter_rows(min_row=2)}
    assert body["in1"][head.index("Caller")].value == MASKED
    assert body["out1"][head.index("Dialled number")].value == LANDLINE_MASKED
    cell = body["in1"][head.index("Customer")]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","点此")'
    assert _exports(database) == [("1103", "calls", {"rows": 2, "file": "calls.xlsx"})]


def test_export_service_checks_before_and_again_when_recording(database, people):
    exports = ExportService(database)
    with pytest.raises(Forbidden):
        exports.check(people.plain, "statistics.daily_calls")
    with pytest.raises(Forbidden):
        exports.record(people.plain, "statistics.daily_calls", 3)
    exports.check(people.exporter, "statistics.daily_calls")
    exports.record(people.exporter, "statistics.daily_calls", 3, "/tmp/x/daily.xlsx")
    assert _exports(database) == [
        ("1103", "statistics.daily_calls", {"rows": 3, "file": "daily.xlsx"})]
