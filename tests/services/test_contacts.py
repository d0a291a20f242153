"""联系 and 意见及建议 on SQLite and MariaDB: the contact log, stale edits, log_call's
one-row-per-call rule (also under concurrent callers), feedback notes."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from agent_app.errors import Forbidden, NotFound, StaleEdit, ValidationError
from agent_app.services.contacts import ContactDraft, ContactService
from agent_app.services.customers import CustomerDraft, CustomerService
from db.models import Contact, FeedbackNote, Variety

UTC = dt.UTC
T0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=UTC)  # whole seconds: MariaDB DATETIME(0)


@pytest.fixture
def svc(database):
    return ContactService(database)


@pytest.fixture
def customer(database, agent):
    return CustomerService(database).register(agent, CustomerDraft(name="王建国",
                                                                   mobile="13800138000"))


@pytest.fixture
def variety_id(database):
    with database.transaction() as s:
        v = Variety(name="眼保姆", updated_by_login="t")
        s.add(v)
        s.flush()
        return v.id


def _count(database, model, **where):
    with database.reading() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalar(q)


def test_add_and_list_newest_first_with_names(svc, agent, other, customer, variety_id):
    first = svc.add(agent, ContactDraft(customer.id, content=" 询问价格 ", demand_type="consult",
                                        demand_variety_id=variety_id, our_staff="李娜", at=T0))
    second = svc.add(other, ContactDraft(customer.id, channel="call_out", content="确认地址",
                                         demand_type="order", at=T0 + dt.timedelta(hours=1)))
    assert first.content == "询问价格" and first.version == 1 and first.call_id is None
    rows = svc.for_customer(customer.id)
    assert [r.id for r in rows] == [second.id, first.id]
    assert (rows[0].employee_name, rows[0].channel, rows[0].demand_variety_name) == (
        "张伟", "call_out", None)
    assert (rows[1].employee_name, rows[1].demand_variety_name, rows[1].demand_type,
            rows[1].at) == ("李娜", "眼保姆", "consult", T0)
    assert [r.id for r in svc.for_customer(customer.id, limit=1)] == [second.id]
    assert svc.for_customer(customer.id + 999) == []


@pytest.mark.parametrize("draft_kw, field", [
    ({"channel": "fax"}, "channel"),
    ({"demand_type": "complaint"}, "demand_type"),
    ({"content": "字" * 2001}, "content"),
    ({"demand_info": "x" * 2001}, "demand_info"),
    ({"our_staff": "x" * 65}, "our_staff"),
    ({"at": dt.datetime(2024, 5, 1, 9, 30)}, "at"),          # naive: ambiguous by 8 hours
    ({"demand_variety_id": 987654}, "demand_variety_id"),
])
def test_add_refuses_bad_input_and_writes_nothing(svc, agent, customer, database, draft_kw,
                                                  field):
    with pytest.raises(ValidationError) as e:
        svc.add(agent, ContactDraft(customer.id, **draft_kw))
    assert e.value.field == field
    assert _count(database, Contact) == 0


def test_add_for_missing_customer(svc, agent, database):
    with pytest.raises(NotFound):
        svc.add(agent, ContactDraft(424242, content="hello"))
    assert _count(database, Contact) == 0


def test_stale_edit_names_the_other_user_and_keeps_their_text(svc, agent, other, customer):
    c = svc.add(agent, ContactDraft(customer.id, content="第一次"))
    theirs = svc.update(other, c.id, c.version, ContactDraft(customer.id, content="张伟改的"))
    assert theirs.version == 2 and theirs.updated_by_login == "1002"
    with pytest.raises(StaleEdit) as e:
        svc.update(agent, c.id, c.version, ContactDraft(customer.id, content="李娜改的"))
    assert "1002" in str(e.value)
    (row,) = svc.for_customer(customer.id)
    assert (row.content, row.version, row.employee_name) == ("张伟改的", 2, "李娜")


def test_update_refuses_moving_and_missing(svc, agent, customer, database):
    c = svc.add(agent, ContactDraft(customer.id, content="a"))
    another = CustomerService(database).register(agent, CustomerDraft(name="李四",
                                                                      mobile="13900139000"))
    with pytest.raises(ValidationError) as e:
        svc.update(agent, c.id, c.version, ContactDraft(another.id, content="moved"))
    assert e.value.field == "customer_id"
    with pytest.raises(NotFound):
        svc.update(agent, 999999, 1, ContactDraft(customer.id))
    assert svc.for_customer(another.id) == []
    assert svc.for_customer(customer.id)[0].content == "a"


def test_log_call_without_notes_writes_no_contact(svc, agent, customer, database):
    """A call saved with no notes, blank or whitespace notes leaves the contact log alone
    (the call itself is in the call records); the first notes write the row with every
    call fact given with them."""
    for notes in (None, "", "   \n\t "):
        assert svc.log_call(agent, customer_id=customer.id, call_id="c-76", direction="in",
                            at=T0, duration_s=42, recording_id="rec-0", notes=notes) is None
    assert _count(database, Contact) == 0
    assert svc.for_customer(customer.id) == []
    noted = svc.log_call(agent, customer_id=customer.id, call_id="c-76", direction="in",
                         at=T0, duration_s=42, recording_id="rec-0", notes=" 想了解价格 ")
    assert (noted.content, noted.duration_s, noted.recording_id) == ("想了解价格", 42, "rec-0")
    # blank notes later (the hang-up with an empty box) do not empty the line
    again = svc.log_call(agent, customer_id=customer.id, call_id="c-76", direction="in",
                         at=T0, notes="  ")
    assert again.id == noted.id and again.content == "想了解价格"
    assert _count(database, Contact) == 1


def test_log_call_one_row_per_call(svc, agent, customer, database):
    first = svc.log_call(agent, customer_id=customer.id, call_id="c-77", direction="in", at=T0,
                         notes="来电咨询")
    assert (first.channel, first.content, first.duration_s, first.call_id) == (
        "call_in", "来电咨询", None, "c-77")
    again = svc.log_call(agent, customer_id=customer.id, call_id="c-77", direction="in",
                         at=T0 + dt.timedelta(minutes=3), duration_s=181, recording_id="rec-1")
    assert again.id == first.id and (again.duration_s, again.recording_id) == (181, "rec-1")
    # Filling in call facts is not an edit of the agent's form: the version stays, so the
    # agent's save of this contact (read before the hang-up) still goes through.
    assert again.version == first.version and again.at == T0
    saved = svc.update(agent, first.id, first.version,
                       ContactDraft(customer.id, channel="call_in", content="要两盒"))
    assert saved.duration_s == 181 and saved.recording_id == "rec-1" and saved.call_id == "c-77"
    noted = svc.log_call(agent, customer_id=customer.id, call_id="c-77", direction="in",
                         at=T0, notes="  已下单 ", version=saved.version)
    assert noted.content == "已下单" and noted.version == saved.version + 1
    # no notes given: the content stays; None duration does not clear the known one
    last = svc.log_call(agent, customer_id=customer.id, call_id="c-77", direction="in", at=T0)
    assert (last.content, last.duration_s, last.recording_id) == ("已下单", 181, "rec-1")
    assert _count(database, Contact, call_id="c-77") == 1
    out = svc.log_call(agent, customer_id=customer.id, call_id="c-78", direction="out", at=T0,
                       notes="回访")
    assert (out.channel, out.content) == ("call_out", "回访")
    assert len(svc.for_customer(customer.id)) == 2


@pytest.mark.parametrize("kw, field", [
    ({"direction": "sideways"}, "direction"),
    ({"call_id": " "}, "call_id"),
    ({"at": dt.datetime(2024, 5, 1, 9, 30)}, "at"),
    ({"duration_s": -1}, "duration_s"),
    ({"recording_id": "r" * 65}, "recording_id"),
    ({"notes": "x" * 2001}, "content"),
])
def test_log_call_refuses_bad_input(svc, agent, customer, database, kw, field):
    args = {"customer_id": customer.id, "call_id": "c-1", "direction": "in", "at": T0} | kw
    with pytest.raises(ValidationError) as e:
        svc.log_call(agent, **args)
    assert e.value.field == field
    assert _count(database, Contact) == 0


def test_log_call_notes_only_by_the_calls_agent_over_the_version_read(
        svc, agent, other, superadmin, customer, database):
    """Call notes are the call's agent's (or an administrator's) and are version-checked
    like every edit: another operator's notes get Forbidden, notes over an unseen or
    stale version get StaleEdit naming who saved; each leaves the row as it was."""
    first = svc.log_call(agent, customer_id=customer.id, call_id="c-90", direction="in",
                         at=T0, notes="来电咨询")
    with pytest.raises(Forbidden):
        svc.log_call(other, customer_id=customer.id, call_id="c-90", direction="in", at=T0,
                     notes="覆盖", version=first.version)
    with pytest.raises(StaleEdit) as e:       # never read the row: may not write over it
        svc.log_call(agent, customer_id=customer.id, call_id="c-90", direction="in", at=T0,
                     notes="第二稿")
    assert "1001" in str(e.value)
    edited = svc.update(agent, first.id, first.version,
                        ContactDraft(customer.id, channel="call_in", content="在联系页改过"))
    with pytest.raises(StaleEdit):            # the console's copy predates that edit
        svc.log_call(agent, customer_id=customer.id, call_id="c-90", direction="in", at=T0,
                     notes="控制台的旧稿", version=first.version)
    (row,) = svc.for_customer(customer.id)
    assert (row.content, row.version) == ("在联系页改过", edited.version)
    # facts alone are not an edit: another desk may fill them in without a version
    facts = svc.log_call(other, customer_id=customer.id, call_id="c-90", direction="in",
                         at=T0, duration_s=30)
    assert (facts.duration_s, facts.content) == (30, "在联系页改过")
    boss = svc.log_call(superadmin, customer_id=customer.id, call_id="c-90",
                        direction="in", at=T0, notes="主管补充", version=edited.version)
    assert (boss.content, boss.updated_by_login, boss.employee_id) == (
        "主管补充", superadmin.login, agent.id)


def test_log_call_missing_customer(svc, agent, database):
    with pytest.raises(NotFound):
        svc.log_call(agent, customer_id=31337, call_id="c-1", direction="in", at=T0)
    assert _count(database, Contact) == 0


def test_log_call_concurrent_callers_still_one_row(svc, agent, customer, database):
    """Answer and hang-up events replayed after a reconnect reach log_call at once. Ten
    rounds of six callers: without the customer lock MariaDB writes duplicates here."""
    errors: list[BaseException] = []
    for round_ in range(10):
        barrier = threading.Barrier(6)

        def work(k: int, call_id: str = f"race-{round_}", barrier=barrier) -> None:
            barrier.wait()
            try:
                svc.log_call(agent, customer_id=customer.id, call_id=call_id,
                             direction="in", at=T0, duration_s=k, notes="来电")
            except BaseException as exc:  # noqa: BLE001 - collected and checked below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    with database.reading() as s:
        per_call = s.execute(select(Contact.call_id, func.count()).group_by(Contact.call_id))
        assert sorted(n for _, n in per_call) == [1] * 10


def test_feedback_newest_first(svc, agent, other, customer, database):
    a = svc.add_feedback(agent, customer.id, "  包装太大 ")
    b = svc.add_feedback(other, customer.id, "希望送货快一点")
    assert (a.text, a.employee_name, a.customer_id) == ("包装太大", "李娜", customer.id)
    got = svc.feedback_for(customer.id)
    assert {g.id for g in got} == {a.id, b.id}
    # same second on MariaDB: the id breaks the tie, so the later note is still first
    assert [g.id for g in got] == [b.id, a.id]
    assert [g.employee_name for g in got] == ["张伟", "李娜"]


def test_feedback_refused(svc, agent, customer, database):
    for text, field in (("   ", "text"), ("x" * 2001, "text")):
        with pytest.raises(ValidationError) as e:
            svc.add_feedback(agent, customer.id, text)
        assert e.value.field == field
    with pytest.raises(NotFound):
        svc.add_feedback(agent, 555555, "好")
    assert _count(database, FeedbackNote) == 0
    assert svc.feedback_for(customer.id) == []
