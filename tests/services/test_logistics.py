"""物流管理's state machine (services/logistics.py): every action from every state an order
can be in, allowed or refused with its reason, on SQLite and MariaDB; the 出库反馈 batch,
its refusals and two clerks on one parcel."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from agent_app.errors import Conflict, Forbidden, NotFound, StaleEdit, ValidationError
from agent_app.services.logistics import RULES, parse_fee
from agent_app.services.orders import OrderDraft, OrderLineDraft
from db.models import AuditLog, DispatchFeedback, OrderEvent, PrintLog, SalesOrder
from tests.services.depot import delivered, make, version


def act(depot, action: str, oid: int):
    lg, clerk, v = depot.logistics, depot.clerk, version(depot, oid)
    if action == "withdraw":
        return lg.withdraw(clerk, oid, v, "错单")
    if action == "delete_withdrawn":
        return lg.delete_withdrawn(clerk, oid, v, "重复下单")
    if action == "void":
        return lg.void(clerk, oid, v, "数据有误")
    if action == "cancel":
        return lg.cancel(clerk, oid, v, "客户不要了")
    if action == "print":
        out = lg.record_printed(clerk, [oid], "label_76x130")
        if out.refused:
            raise out.refused[0].error
        return out
    if action == "feedback":
        out = lg.feedback(clerk, [delivered(oid)])
        if out.refused:
            raise out.refused[0].error
        return out
    if action == "resend":
        return lg.resend(depot.agent, oid, v)
    if action == "receipt":
        return lg.set_receipt(depot.agent, oid, v, "received")
    if action == "waybill":
        return lg.set_waybill(clerk, oid, v, f"YD{oid:010d}")
    raise AssertionError(action)


STATES = ("draft", "confirmed", "withdrawn", "printed", "delivered", "returned", "voided",
          "cancelled", "edited")
OK = None
# action -> the rule each state fails (OK: allowed). Written out by hand from the manual's
# rules, not derived from RULES, so a wrong rule there shows here.
EXPECTED = {
    "withdraw": dict(draft="confirmed", confirmed=OK, withdrawn="confirmed",
                     printed="not_printed", delivered="not_fed_back",
                     returned="not_fed_back", voided="live", cancelled="live", edited=OK),
    "delete_withdrawn": dict(draft="withdrawn", confirmed="withdrawn", withdrawn=OK,
                             printed="withdrawn", delivered="withdrawn", returned="live",
                             voided="live", cancelled="live", edited="withdrawn"),
    "void": dict(draft="confirmed", confirmed="printed", withdrawn="confirmed", printed=OK,
                 delivered="not_fed_back", returned="not_fed_back", voided="live",
                 cancelled="live", edited="printed"),
    "cancel": dict(draft=OK, confirmed=OK, withdrawn=OK, printed="not_printed",
                   delivered="not_fed_back", returned="not_fed_back", voided="live",
                   cancelled="live", edited=OK),
    "print": dict(draft="confirmed", confirmed=OK, withdrawn="confirmed", printed=OK,
                  delivered="not_fed_back", returned="not_fed_back", voided="live",
                  cancelled="live", edited=OK),
    "feedback": dict(draft="confirmed", confirmed=OK, withdrawn="confirmed", printed=OK,
                     delivered="not_fed_back", returned="not_fed_back", voided="live",
                     cancelled="live", edited=OK),
    "resend": dict(draft="confirmed", confirmed="edited", withdrawn="confirmed",
                   printed="not_printed", delivered="not_fed_back", returned="not_fed_back",
                   voided="live", cancelled="live", edited=OK),
    "receipt": {s: ("not_cancelled" if s == "cancelled" else OK) for s in STATES},
    "waybill": dict(draft="confirmed", confirmed=OK, withdrawn="confirmed", printed=OK,
                    delivered="not_fed_back", returned="not_fed_back", voided="live",
                    cancelled="live", edited=OK),
}
# what each refusal says (a fragment of the English text)
SAYS = {"confirmed": "is not confirmed for logistics", "not_printed": "has been printed",
        "printed": "has not been printed", "not_fed_back": "was already fed back by 3001",
        "live": "can no longer change", "withdrawn": "is not a withdrawn order",
        "not_cancelled": "is cancelled", "edited": "has no change since it was confirmed"}


def test_the_expectations_cover_every_action_and_state():
    assert set(EXPECTED) == set(RULES)
    assert all(set(row) == set(STATES) for row in EXPECTED.values())


def snapshot(depot, oid):
    with depot.db.reading() as s:
        o = s.get(SalesOrder, oid)
        events = s.scalar(select(func.count()).select_from(OrderEvent)
                          .where(OrderEvent.order_id == oid))
        return (o.version, o.status, o.confirmed, o.printed_at, o.print_count,
                o.feedback_state, o.receipt_state, o.withdrawn_at, events)


def after(depot, action: str, oid: int, before) -> None:
    """What an allowed action leaves behind."""
    if action == "delete_withdrawn":
        with depot.db.reading() as s:
            assert s.get(SalesOrder, oid) is None
            assert s.scalar(select(func.count()).select_from(OrderEvent)
                            .where(OrderEvent.order_id == oid)) == 0
            trail = s.scalars(select(AuditLog).where(
                AuditLog.action == "order.delete_withdrawn")).all()
            assert len(trail) == 1 and trail[0].detail["reason"] == "重复下单"
        return
    o = depot.svc.get(oid)
    assert o.version > before[0]
    last = depot.svc.history(oid)[-1]
    if action == "withdraw":
        assert (o.confirmed, o.status, last.action, last.detail) == (False, "not_sent",
                                                                    "withdraw", "错单")
    elif action == "void":
        assert (o.status, o.cancel_reason, last.action) == ("voided", "数据有误", "void")
    elif action == "cancel":
        assert (o.status, o.cancel_reason, last.action) == ("cancelled", "客户不要了", "cancel")
    elif action == "print":
        assert o.status == "in_transit" and o.printed_at is not None
        with depot.db.reading() as s:
            assert s.get(SalesOrder, oid).print_count == before[4] + 1
            logs = s.scalars(select(PrintLog).where(PrintLog.order_id == oid)
                             .order_by(PrintLog.id)).all()
            assert [pl.reprint for pl in logs] == [False] + [True] * (len(logs) - 1)
    elif action == "feedback":
        assert (o.status, o.feedback_state) == ("accepted", "accepted")
        assert (last.action, last.from_status) == ("feedback", before[1])
    elif action == "resend":
        assert (last.action, last.detail) == ("resend", "来源 江苏卫视 -> 官网")
    elif action == "receipt":
        assert o.receipt_state == "received" and o.status == before[1]
    elif action == "waybill":
        assert o.waybill_no == f"YD{oid:010d}" and last.action == "waybill"


@pytest.mark.parametrize("action", sorted(RULES))
def test_every_action_from_every_state(depot, action):
    for state in STATES:
        oid = make(depot, state)
        before = snapshot(depot, oid)
        rule = EXPECTED[action][state]
        if rule is OK:
            act(depot, action, oid)
            after(depot, action, oid, before)
            continue
        with pytest.raises(Conflict) as e:
            act(depot, action, oid)
        assert SAYS[rule] in str(e.value), (action, state, str(e.value))
        assert depot.svc.get(oid).order_no in str(e.value)     # names the order
        # a closed order's state is a message of its own, translated with the refusal
        assert e.value.translated_params == (("status",) if rule == "live" else ())
        assert snapshot(depot, oid) == before, (action, state)   # nothing written


@pytest.mark.parametrize("action", ["withdraw", "delete_withdrawn", "void", "cancel",
                                    "print", "feedback", "waybill"])
def test_each_action_needs_its_permission(depot, action):
    """A seller (no logistics permission) and clerk 3002 (反馈 only) are refused whatever
    the order's state, and nothing changes."""
    state = {"delete_withdrawn": "withdrawn", "void": "printed"}.get(action, "confirmed")
    oid = make(depot, state)
    before = snapshot(depot, oid)
    allowed_3002 = action in ("print", "feedback", "waybill")
    for who in ([depot.agent] if allowed_3002 else [depot.agent, depot.clerk2]):
        depot.clerk, saved = who, depot.clerk
        try:
            with pytest.raises(Forbidden):
                act(depot, action, oid)
        finally:
            depot.clerk = saved
        assert snapshot(depot, oid) == before


def test_a_withdrawn_order_is_fixed_by_its_seller_and_confirmed_again(depot):
    oid = make(depot, "withdrawn")
    o = depot.svc.get(oid)
    p3 = depot.products[2]
    fixed = depot.svc.update(depot.agent, oid, o.version, OrderDraft(
        customer_id=o.customer_id, medium_id=o.medium_id, lines=(OrderLineDraft(p3.id),)))
    assert fixed.total == Decimal("1280.00")      # unlocked: the lines changed
    again = depot.svc.confirm(depot.agent, oid, fixed.version)
    assert again.confirmed
    with depot.db.reading() as s:
        assert s.get(SalesOrder, oid).withdrawn_at is None   # no longer a 撤销单
    with pytest.raises(Conflict, match="not a withdrawn order"):
        depot.logistics.delete_withdrawn(depot.clerk, oid, again.version, "重复")
    assert [e.action for e in depot.svc.history(oid)] == [
        "create", "confirm", "withdraw", "edit", "confirm"]


def test_corrections_need_a_reason_and_a_fresh_version(depot):
    oid = make(depot, "confirmed")
    v = version(depot, oid)
    lg = depot.logistics
    for bad in ("", "   ", None, "x" * 201, "a\x00b"):
        with pytest.raises(ValidationError):
            lg.withdraw(depot.clerk, oid, v, bad)
    depot.svc.update(depot.agent, oid, v, OrderDraft(
        customer_id=depot.customer.id, medium_id=depot.media[1].id,
        lines=tuple(OrderLineDraft(ln.product_id, ln.quantity, kind=ln.kind)
                    for ln in depot.svc.get(oid).lines)))
    with pytest.raises(StaleEdit) as e:
        lg.withdraw(depot.clerk, oid, v, "错单")
    assert "1001" in str(e.value)            # names who saved in between
    with pytest.raises(NotFound):
        lg.void(depot.clerk, 999999, 1, "x")
    assert depot.svc.get(oid).confirmed


def test_a_reprint_is_logged_as_one_and_a_batch_goes_past_bad_orders(depot):
    good, bad = make(depot, "confirmed"), make(depot, "draft")
    out = depot.logistics.record_printed(depot.clerk, [good, bad, 999999], "label_76x130")
    assert out.accepted == (depot.svc.get(good).order_no,)
    assert [r.order_id for r in out.refused] == [bad, 999999]
    assert isinstance(out.refused[0].error, Conflict)
    assert isinstance(out.refused[1].error, NotFound)
    first = depot.svc.get(good).printed_at
    depot.logistics.record_printed(depot.clerk, [good], "label_100x150")
    o = depot.svc.get(good)
    assert o.printed_at == first and o.status == "in_transit"
    with depot.db.reading() as s:
        logs = s.execute(select(PrintLog.template, PrintLog.reprint)
                         .where(PrintLog.order_id == good).order_by(PrintLog.id)).all()
    assert [tuple(r) for r in logs] == [("label_76x130", False), ("label_100x150", True)]
    assert [e.action for e in depot.svc.history(good)].count("print") == 1


# -- 出库反馈 ----------------------------------------------------------------------------------
def test_lookup_by_order_number_or_waybill(depot):
    oid = make(depot, "printed")
    o = depot.svc.get(oid)
    with depot.db.transaction() as s:
        s.get(SalesOrder, oid).waybill_no = "YD0000000123"
    lg = depot.logistics
    by_no = lg.lookup(depot.clerk, o.order_no)
    by_waybill = lg.lookup(depot.clerk, " YD0000000123 ")
    assert by_no == by_waybill
    assert (by_no.order_no, by_no.customer_name, by_no.phone) == (o.order_no, "王建国",
                                                                  "13800138000")
    assert by_no.goods == "眼保姆豪华版×1, 眼保姆护目贴×2"
    assert by_no.cod_amount == by_no.total == Decimal("515.00")
    # 3002 does not see full numbers: the parcel's phone comes masked
    assert lg.lookup(depot.clerk2, o.order_no).phone == "138****8000"
    with pytest.raises(NotFound, match="YD404"):
        lg.lookup(depot.clerk, "YD404")
    with pytest.raises(ValidationError):
        lg.lookup(depot.clerk, "  ")
    with pytest.raises(Forbidden):
        lg.lookup(depot.agent, o.order_no)
    lg.feedback(depot.clerk, [delivered(oid)])
    with pytest.raises(Conflict, match="already fed back by 3001"):
        lg.lookup(depot.clerk2, o.order_no)
    with pytest.raises(Conflict, match="not confirmed"):
        lg.lookup(depot.clerk, depot.svc.get(make(depot, "draft")).order_no)


def test_a_batch_feeds_back_the_good_parcels_and_refuses_the_rest_with_reasons(depot):
    lg = depot.logistics
    couriers = lg.couriers()
    assert [c.login for c in couriers] == ["3001", "3002"]
    ok1, ok2, fed, draft, cancelled = (make(depot, s) for s in (
        "printed", "confirmed", "delivered", "draft", "cancelled"))
    courier = couriers[1].id
    out = lg.feedback(depot.clerk2, [
        delivered(ok1, courier_id=courier, delivery_fee="¥8.50", remark="本人签收"),
        delivered(ok2, "returned", courier_id=courier, delivery_fee=0, remark="拒收"),
        delivered(fed), delivered(draft), delivered(cancelled), delivered(999999),
        delivered(ok1)])
    assert out.accepted == (depot.svc.get(ok1).order_no, depot.svc.get(ok2).order_no)
    reasons = [str(r.error) for r in out.refused]
    assert "already fed back by 3001" in reasons[0]
    assert "not confirmed" in reasons[1]
    assert "cancelled" in reasons[2]
    assert isinstance(out.refused[3].error, NotFound)
    assert "in the batch twice" in reasons[4]
    one, two = depot.svc.get(ok1), depot.svc.get(ok2)
    assert (one.status, one.feedback_state) == ("accepted", "accepted")
    assert (two.status, two.feedback_state) == ("voided", "accepted")  # 退包 is 已作废
    with depot.db.reading() as s:
        rows = {r.order_id: r for r in s.execute(select(
            DispatchFeedback.order_id, DispatchFeedback.result, DispatchFeedback.delivery_fee,
            DispatchFeedback.courier_id, DispatchFeedback.remark,
            DispatchFeedback.actor_login))}
    assert (rows[ok1].result, rows[ok1].delivery_fee, rows[ok1].courier_id, rows[ok1].remark,
            rows[ok1].actor_login) == ("delivered", Decimal("8.50"), courier, "本人签收", "3002")
    assert rows[ok2].result == "returned"
    assert set(rows) == {ok1, ok2, fed}
    assert depot.svc.get(draft).status == "not_sent"     # the refused are untouched


def test_bad_batch_lines_refuse_the_whole_call(depot):
    oid = make(depot, "confirmed")
    lg = depot.logistics
    seller = depot.agent.id   # not of 物流部
    for entries in ([], [delivered(oid, "lost")], [delivered(oid, delivery_fee="abc")],
                    [delivered(oid, delivery_fee="-1")], [delivered(oid, delivery_fee="100000")],
                    [delivered(oid, remark="x" * 201)]):
        with pytest.raises(ValidationError):
            lg.feedback(depot.clerk, entries)
    out = lg.feedback(depot.clerk, [delivered(oid, courier_id=seller)])
    assert out.accepted == () and "not in 物流部" in str(out.refused[0].error)
    with pytest.raises(Forbidden):
        lg.feedback(depot.agent, [delivered(oid)])
    assert depot.svc.get(oid).feedback_state == "none"


@pytest.mark.parametrize("typed, value", [("8", "8.00"), ("¥1,280.00", "1280.00"),
                                          ("￥ 12.5", "12.50"), ("", "0.00"), ("1e2", "100.00"),
                                          (None, "0.00"), ("1，280", "1280.00"), (8, "8.00"),
                                          (" 99999.99 ", "99999.99"), ("0", "0.00")])
def test_fees_as_clerks_type_them(typed, value):
    assert parse_fee(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["abc", "-0.01", "1e9", "NaN", "Infinity", "X8",
                                   "100000", "100000.00"])
def test_fees_that_are_not_money(typed):
    with pytest.raises(ValidationError):
        parse_fee(typed)


def test_two_clerks_one_parcel_one_wins_and_the_other_is_told_who(depot):
    oid = make(depot, "printed")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def clerk(actor):
        barrier.wait()
        outcomes[actor.login] = depot.logistics.feedback(actor, [delivered(oid)])

    threads = [threading.Thread(target=clerk, args=(a,)) for a in (depot.clerk, depot.clerk2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [login for login, out in outcomes.items() if out.accepted]
    lost = [out for out in outcomes.values() if out.refused]
    assert len(won) == 1 and len(lost) == 1
    assert f"already fed back by {won[0]}" in str(lost[0].refused[0].error)
    with depot.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(DispatchFeedback)) == 1


def test_a_waybill_is_one_parcels_and_plain_text(depot):
    a, b = make(depot, "confirmed"), make(depot, "confirmed")
    lg = depot.logistics
    lg.set_waybill(depot.clerk, a, version(depot, a), " EA123456789CN ")
    assert depot.svc.get(a).waybill_no == "EA123456789CN"
    with pytest.raises(Conflict, match="is on order"):
        lg.set_waybill(depot.clerk, b, version(depot, b), "EA123456789CN")
    for bad in ("", "EA 1", "联号123", "x" * 33):
        with pytest.raises(ValidationError):
            lg.set_waybill(depot.clerk, b, version(depot, b), bad)
    assert lg.lookup(depot.clerk, "EA123456789CN").id == a


def test_fed_back_names_the_clerk_even_after_the_seller_touched_the_order(depot):
    """The clerk and time come from the feedback itself, not from whoever saved last."""
    from agent_app import clock

    oid = make(depot, "delivered")
    with clock.pinned(clock.now() + dt.timedelta(hours=3)):     # the seller, hours later
        depot.logistics.set_receipt(depot.agent, oid, version(depot, oid), "received")
    assert depot.svc.get(oid).updated_by_login == "1001"
    with pytest.raises(Conflict) as e:
        depot.logistics.lookup(depot.clerk2, depot.svc.get(oid).order_no)
    with depot.db.reading() as s:
        fb = s.scalar(select(DispatchFeedback).where(DispatchFeedback.order_id == oid))
        at = fb.at.astimezone().strftime("%Y-%m-%d %H:%M")
    assert e.value.params["who"] == "3001" and e.value.params["when"] == at


def test_an_order_fed_back_before_the_feedback_table_names_who_saved_it(depot):
    """Orders fed back before migration 0008 have 反 = 受 and no dispatch_feedback row:
    the refusal names whoever saved the order last, and when."""
    oid = make(depot, "delivered")
    with depot.db.transaction() as s:
        s.execute(sql_delete(DispatchFeedback).where(DispatchFeedback.order_id == oid))
        o = s.get(SalesOrder, oid)
        o.updated_by_login = "legacy"
        o.updated_at = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    with pytest.raises(Conflict) as e:
        depot.logistics.lookup(depot.clerk, depot.svc.get(oid).order_no)
    stamp = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    assert (e.value.params["who"], e.value.params["when"]) == ("legacy", stamp)
    with depot.db.transaction() as s:
        s.get(SalesOrder, oid).updated_by_login = None
    with pytest.raises(Conflict) as e:
        depot.logistics.lookup(depot.clerk, depot.svc.get(oid).order_no)
    assert e.value.params["who"] == "?"


@pytest.mark.parametrize("typed, says", [
    ("abc", "abc is not an amount of money."),
    ("-1", "A delivery fee must be between 0 and 99,999.99."),
    ("100000", "A delivery fee must be between 0 and 99,999.99.")])
def test_a_bad_fee_names_the_field_and_what_was_typed(typed, says):
    with pytest.raises(ValidationError) as e:
        parse_fee(typed)
    assert e.value.field == "fee" and str(e.value) == says
