"""提醒 on SQLite and MariaDB: validation, site-calendar date ranges, who sees what
("only me" vs the group, administrators), due pop-ups, 已回 and cancelling."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from agent_app.errors import Conflict, Forbidden, NotFound, StaleEdit, ValidationError
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.reminders import ReminderService
from db.models import AuditLog, Customer, Reminder

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour, minute, tzinfo=SH)


@pytest.fixture
def svc(database):
    return ReminderService(database)


def in_groups(actor, *groups: str):
    """The actor as a desk logged in to `groups` builds it (ui/shell.py)."""
    return dataclasses.replace(actor, groups=groups)


@pytest.fixture
def agent(agent):
    """李娜 works in callback group 11 (the conftest's agent, at a desk in that group)."""
    return in_groups(agent, "11")


@pytest.fixture
def customer(database, agent):
    return CustomerService(database).register(
        agent, CustomerDraft(name="王建国", landline="057188001234", mobile="13800138000"))


def _rows(database):
    with database.reading() as s:
        return s.scalar(select(func.count()).select_from(Reminder))


@pytest.mark.parametrize("kw, field", [
    ({"due_at": dt.datetime(2024, 5, 1, 10, 0)}, "due_at"),   # naive
    ({"note": "字" * 501}, "note"),
    ({"scope": "everyone"}, "scope"),
    ({"scope": "group"}, "group_number"),
    ({"scope": "group", "group_number": "  "}, "group_number"),
    ({"scope": "group", "group_number": "123456789"}, "group_number"),
    ({"scope": "group", "group_number": "21"}, "group_number"),   # not her group
])
def test_create_refuses_bad_input(svc, agent, customer, database, kw, field):
    args = {"due_at": at(1, 10), "note": "回访"} | kw
    with pytest.raises(ValidationError) as e:
        svc.create(agent, customer.id, **args)
    assert e.value.field == field
    assert _rows(database) == 0


def test_create_and_for_customer(svc, agent, customer, database):
    with pytest.raises(NotFound):
        svc.create(agent, 98765, at(1, 10))
    assert _rows(database) == 0
    r = svc.create(agent, customer.id, at(1, 10), " 问效果 ", group_number="11")
    assert (r.note, r.scope, r.group_number, r.owner_name) == ("问效果", "me", None, "李娜")
    assert (r.customer_name, r.phone) == ("王建国", "13800138000")  # mobile before landline
    assert r.due_at == at(1, 10) and r.due_at.tzinfo is not None
    assert not r.done and r.done_at is None and r.version == 1
    g = svc.create(agent, customer.id, at(3, 9), scope="group", group_number="11")
    assert (g.scope, g.group_number) == ("group", "11")
    assert [x.id for x in svc.for_customer(customer.id)] == [g.id, r.id]  # newest due first


def test_list_uses_site_calendar_days_inclusive(svc, agent, customer):
    late = svc.create(agent, customer.id, at(1, 23, 30))    # 15:30 UTC on the 1st
    early = svc.create(agent, customer.id, at(2, 0, 10))    # 16:10 UTC on the 1st
    edge = svc.create(agent, customer.id, at(2, 23, 59))
    svc.create(agent, customer.id, at(3, 0, 0))             # the next day's first minute
    ids = lambda rows: [r.id for r in rows]  # noqa: E731
    assert ids(svc.list(agent, date_from=dt.date(2024, 5, 2), date_to=dt.date(2024, 5, 2))) \
        == [early.id, edge.id]
    assert ids(svc.list(agent, date_from=dt.date(2024, 5, 1), date_to=dt.date(2024, 5, 2))) \
        == [late.id, early.id, edge.id]
    with pytest.raises(ValidationError):
        svc.list(agent, date_from=dt.date(2024, 5, 2), date_to=dt.date(2024, 5, 1))


def test_list_filters_done_and_source(svc, agent, customer, database):
    other_customer = CustomerService(database).register(
        agent, CustomerDraft(name="李四", landline="01062345678"))
    with database.transaction() as s:
        s.get(Customer, other_customer.id).source = "callback"
    a = svc.create(agent, customer.id, at(2, 9))
    b = svc.create(agent, other_customer.id, at(2, 10))
    svc.mark_done(agent, a.id, a.version)
    day = {"date_from": dt.date(2024, 5, 2), "date_to": dt.date(2024, 5, 2)}
    assert [r.id for r in svc.list(agent, **day)] == [a.id, b.id]
    assert [r.id for r in svc.list(agent, include_done=False, **day)] == [b.id]
    (cb,) = svc.list(agent, source="callback", **day)
    assert (cb.id, cb.phone) == (b.id, "01062345678")
    assert [r.id for r in svc.list(agent, source="direct", **day)] == [a.id]
    with pytest.raises(ValidationError):
        svc.list(agent, source="nowhere", **day)


def test_only_me_vs_group_visibility(svc, agent, other, superadmin, customer):
    mine = svc.create(agent, customer.id, at(2, 9))
    shared = svc.create(agent, customer.id, at(2, 10), scope="group", group_number="11")
    day = {"date_from": dt.date(2024, 5, 2), "date_to": dt.date(2024, 5, 2)}
    assert [r.id for r in svc.list(agent, **day)] == [mine.id, shared.id]
    assert svc.list(other, **day) == []
    assert svc.list(in_groups(other, "21"), **day) == []
    assert [r.id for r in svc.list(in_groups(other, "21", "11"), **day)] == [shared.id]
    # administrators see every reminder in the list, whatever their groups
    assert [r.id for r in svc.list(superadmin, **day)] == [mine.id, shared.id]


def test_due_pop_up(svc, agent, other, superadmin, customer):
    a = svc.create(agent, customer.id, at(2, 9))
    b = svc.create(agent, customer.id, at(2, 8), scope="group", group_number="11")
    c = svc.create(agent, customer.id, at(2, 11))                 # not yet due
    d = svc.create(other, customer.id, at(2, 7))                  # someone else's, only me
    done = svc.create(agent, customer.id, at(2, 6))
    svc.mark_done(agent, done.id, done.version)
    now = at(2, 10)
    assert [r.id for r in svc.due(agent, now)] == [b.id, a.id]    # ordered by due time
    assert [r.id for r in svc.due(agent, now, since=at(2, 8))] == [a.id]  # (since, now]
    assert [r.id for r in svc.due(agent, at(2, 9))] == [b.id, a.id]       # inclusive of now
    assert [r.id for r in svc.due(other, now)] == [d.id]
    assert [r.id for r in svc.due(in_groups(other, "11"), now)] == [d.id, b.id]
    assert svc.due(superadmin, now) == []   # the pop-up is a to-do, not a report
    assert c.id not in [r.id for r in svc.due(agent, now.astimezone(UTC))]
    with pytest.raises(ValidationError):
        svc.due(agent, dt.datetime(2024, 5, 2, 10))


def test_mark_done_and_its_refusals(svc, agent, other, customer, database):
    r = svc.create(agent, customer.id, at(2, 9))
    with pytest.raises(Forbidden):      # another agent's "only me" reminder
        svc.mark_done(other, r.id, r.version)
    done = svc.mark_done(agent, r.id, r.version)
    assert done.done and done.done_at is not None and done.version == r.version + 1
    with database.reading() as s:
        assert s.get(Reminder, r.id).done_by_id == agent.id
    with pytest.raises(Conflict) as e:
        svc.mark_done(agent, r.id, done.version)
    assert "李娜" in str(e.value) and "called back" in str(e.value)
    with pytest.raises(NotFound):
        svc.mark_done(agent, 123456, 1)
    # a group reminder: anyone of that callback group may take it, nobody else
    g = svc.create(agent, customer.id, at(2, 9), scope="group", group_number="11")
    with pytest.raises(Forbidden):
        svc.mark_done(in_groups(other, "21"), g.id, g.version)
    assert not next(x for x in svc.for_customer(customer.id) if x.id == g.id).done
    assert svc.mark_done(in_groups(other, "11"), g.id, g.version).done


def test_mark_done_stale_names_who_and_changes_nothing(svc, agent, customer, database):
    r = svc.create(agent, customer.id, at(2, 9), "原备注")
    with database.transaction() as s:  # 张伟 edits the note meanwhile
        row = s.get(Reminder, r.id)
        row.note, row.updated_by_login = "改期", "1002"
    with pytest.raises(StaleEdit) as e:
        svc.mark_done(agent, r.id, r.version)
    assert "1002" in str(e.value)
    (now,) = svc.for_customer(customer.id)
    assert not now.done and now.note == "改期" and now.version == r.version + 1


def test_cancel_needs_permission_skips_done_and_is_audited(svc, agent, keeper, customer,
                                                           database):
    a = svc.create(agent, customer.id, at(2, 9), "甲")
    b = svc.create(agent, customer.id, at(2, 10), "乙")
    c = svc.create(agent, customer.id, at(2, 11))
    svc.mark_done(agent, c.id, c.version)
    with pytest.raises(Forbidden):
        svc.cancel(agent, [a.id, b.id])
    with pytest.raises(NotFound):      # one id gone: nothing cancelled
        svc.cancel(keeper, [a.id, 999999])
    assert len(svc.for_customer(customer.id)) == 3
    assert svc.cancel(keeper, [a.id, b.id, c.id, a.id]) == 2
    assert [r.id for r in svc.for_customer(customer.id)] == [c.id]   # cancelled left out
    assert svc.due(agent, at(3, 0)) == []
    assert svc.cancel(keeper, [a.id]) == 0                           # already cancelled
    with pytest.raises(Conflict):
        svc.mark_done(agent, b.id, b.version + 1)
    with database.reading() as s:
        logs = s.scalars(select(AuditLog).where(AuditLog.action == "reminders_cancelled")).all()
        assert [row.actor_login for row in logs] == ["1003"]
        assert logs[0].detail["ids"] == [a.id, b.id]
        assert [o["note"] for o in logs[0].detail["old"]] == ["甲", "乙"]
        row = s.get(Reminder, a.id)
        assert row.cancelled and row.updated_by_login == "1003"


def test_groups_come_from_the_actor_not_from_an_argument(svc, agent, other, superadmin,
                                                         customer, database):
    """The services take no `groups=` argument a caller could widen: an agent outside
    group 11 sees, is shown and takes none of its reminders, and cannot hand a reminder
    to a group they do not work in (administrators may)."""
    shared = svc.create(agent, customer.id, at(2, 9), scope="group", group_number="11")
    day = {"date_from": dt.date(2024, 5, 2), "date_to": dt.date(2024, 5, 2)}
    for method in (svc.list, svc.due, svc.mark_done):
        with pytest.raises(TypeError):   # the old argument is gone, not ignored
            method(other, groups=("11",))
    assert svc.list(other, **day) == [] and svc.due(other, at(2, 10)) == []
    with pytest.raises(Forbidden):
        svc.mark_done(other, shared.id, shared.version)
    with pytest.raises(ValidationError) as e:     # 张伟 works in no group 11
        svc.create(other, customer.id, at(2, 9), scope="group", group_number="11")
    assert e.value.field == "group_number"
    assert svc.create(superadmin, customer.id, at(2, 9), scope="group",
                      group_number="31").group_number == "31"
    assert _rows(database) == 2   # the refused one wrote nothing
