"""广告响应 / 响应曲线 on both back ends: every figure compared with a plain-Python
computation over the rows inserted, plus the hand-counted answers of placement A."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from agent_app.clock import SITE_ZONE
from agent_app.reports import REPORTS, load_all
from agent_app.services.archives import ArchiveService
from agent_app.services.reports import ReportService
from db.models import CallRecord, Customer, SalesOrder

UTC = dt.UTC
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def local(day: int, h: int, m: int, s: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, h, m, s, tzinfo=SITE_ZONE)


class World:
    """Placements A (TV, 03-10 20:00, cost 1000), B (TV, 03-10 23:50, no cost: its calls run
    past the site's midnight), C (paper, 03-11 00:10, cost 0: its baseline starts the day
    before), E (TV, 04-01 00:05 site = 03-31 16:05 UTC: outside March by its air date)."""

    def __init__(self, db, admin) -> None:
        self.db = db
        svc = ArchiveService(db)
        v = svc.save_variety(admin, name="眼保姆")
        prod = svc.save_product(admin, name="眼保姆护眼仪", specification="EB-2",
                                variety_id=v.id, unit="台", short_code="ybm", retail_price="398")
        self.tv = svc.save_medium(admin, type="电视", name="央视二套")
        self.paper = svc.save_medium(admin, type="报纸", name="钱江晚报")
        mk = dict(variety_id=v.id, length_s=120)
        self.a = svc.save_placement(admin, medium_id=self.tv.id, product_id=prod.id,
                                    air_date=dt.date(2026, 3, 10), start_time=dt.time(20, 0),
                                    cost="¥1,000.00", **mk)
        self.b = svc.save_placement(admin, medium_id=self.tv.id, air_date=dt.date(2026, 3, 10),
                                    start_time=dt.time(23, 50), **mk)
        self.c = svc.save_placement(admin, medium_id=self.paper.id,
                                    air_date=dt.date(2026, 3, 11), start_time=dt.time(0, 10),
                                    cost="0", **mk)
        self.e = svc.save_placement(admin, medium_id=self.tv.id, air_date=dt.date(2026, 4, 1),
                                    start_time=dt.time(0, 5), cost="500", **mk)
        self.placements = [self.a, self.b, self.c, self.e]
        with db.transaction() as s:
            cust = Customer(registration_no="R0001", name="王建国")
            s.add(cust)
            s.flush()
            self.customer_id = cust.id
        self.calls: list[dict] = []
        self.orders: list[dict] = []
        self._n = 0

    def call(self, at: dt.datetime, medium=None, placement=None, *, internal=False,
             direction="in") -> None:
        self._n += 1
        row = dict(at=at.astimezone(UTC), medium_id=medium.id if medium else None,
                   placement_id=placement.id if placement else None, internal=internal,
                   direction=direction)
        self.calls.append(row)
        with self.db.transaction() as s:
            s.add(CallRecord(call_id=f"c{self._n}", direction=direction, caller="13900000000",
                             queued_at=at, internal=internal, medium_id=row["medium_id"],
                             placement_id=row["placement_id"]))

    def order(self, at: dt.datetime, placement, total: str, status="not_sent") -> None:
        self._n += 1
        row = dict(at=at.astimezone(UTC), placement_id=placement.id, total=Decimal(total),
                   status=status)
        self.orders.append(row)
        with self.db.transaction() as s:
            s.add(SalesOrder(order_no=f"O{self._n:07d}", customer_id=self.customer_id,
                             created_at=at, placement_id=placement.id, status=status,
                             total=Decimal(total)))


@pytest.fixture
def world(database, superadmin):
    w = World(database, superadmin[1] if isinstance(superadmin, tuple) else superadmin)
    tv, paper, a, b, c, e = w.tv, w.paper, w.a, w.b, w.c, w.e
    # A's leads: minute 0, 0, 59 (in the window), 60 (after it), the next morning
    for at in (local(10, 20, 0), local(10, 20, 0, 30), local(10, 20, 59, 59), local(10, 21, 0),
               local(11, 9, 0)):
        w.call(at, tv, a)
    w.call(local(10, 19, 59, 59), tv, a)                  # tied, before the air: no lead
    w.call(local(10, 20, 5), tv, a, internal=True)        # internal: out
    w.call(local(10, 20, 6), tv, a, direction="out")      # outbound: out
    w.call(local(17, 20, 0), tv, a)                       # 7 days on: past the horizon
    # TV's traffic before A: −30 (in), −15, −31 (out), internal (out); paper's: not TV
    w.call(local(10, 19, 30), tv)
    w.call(local(10, 19, 45), tv)
    w.call(local(10, 19, 29, 59), tv)
    w.call(local(10, 19, 40), tv, internal=True)
    w.call(local(10, 19, 50), paper)
    # B (23:50 site = 15:50 UTC): baseline 23:30; leads 23:55 and 00:20 the next site day
    w.call(local(10, 23, 30), tv)
    w.call(local(10, 23, 55), tv, b)
    w.call(local(11, 0, 20), tv, b)
    # C (paper 03-11 00:10): its baseline call on 03-10 23:45; one lead
    w.call(local(10, 23, 45), paper)
    w.call(local(11, 0, 15), paper, c)
    # E is in April by its site date though 03-31 in UTC
    w.call(local(1, 0, 6, month=4), tv, e)
    # orders: A's 398 at minute 10 and 500 two days on; cancelled, voided, before air: out
    w.order(local(10, 20, 10), a, "398")
    w.order(local(12, 10, 0), a, "500.50")
    w.order(local(10, 20, 11), a, "398", status="cancelled")
    w.order(local(10, 20, 12), a, "398", status="voided")
    w.order(local(10, 19, 50), a, "398")
    w.order(local(17, 20, 0), a, "398")                   # 7 days on: past the horizon
    w.order(local(11, 0, 5), b, "100")
    w.order(local(1, 0, 30, month=4), e, "100")
    return w


# -- the independent computation ----------------------------------------------------------------
def air(p) -> dt.datetime:
    return dt.datetime.combine(p.air_date, p.start_time, SITE_ZONE).astimezone(UTC)


def minute(at: dt.datetime, p) -> int:
    return math.floor((at - air(p)).total_seconds() / 60)


def is_lead(c) -> bool:
    return c["direction"] == "in" and not c["internal"]


def expected(w) -> dict[int, dict]:
    out = {}
    for p in w.placements:
        if not MARCH[0] <= p.air_date <= MARCH[1]:
            continue
        start = air(p)
        end = start + dt.timedelta(days=7)
        leads = [c for c in w.calls if is_lead(c) and c["placement_id"] == p.id
                 and start <= c["at"] < end]
        window = [c for c in leads if c["at"] < start + dt.timedelta(minutes=60)]
        before = [c for c in w.calls if is_lead(c) and c["medium_id"] == p.medium_id
                  and start - dt.timedelta(minutes=30) <= c["at"] < start]
        orders = [o for o in w.orders if o["placement_id"] == p.id and start <= o["at"] < end
                  and o["status"] not in ("cancelled", "voided")]
        baseline = len(before) / 30
        cost = p.cost
        out[p.id] = dict(
            cost=cost, calls=len(leads), orders=len(orders),
            amount=sum((o["total"] for o in orders), Decimal(0)), baseline=baseline,
            window_calls=len(window),
            lift=len(window) / (baseline * 60) if baseline else None,
            cost_per_call=(cost / len(leads)).quantize(Decimal("0.01"))
            if cost is not None and leads else None,
            cost_per_order=(cost / len(orders)).quantize(Decimal("0.01"))
            if cost is not None and orders else None)
    return out


FIELDS = ("cost", "calls", "orders", "amount", "cost_per_call", "cost_per_order", "baseline",
          "window_calls", "lift")


def same(got, want) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return got is not None and want is not None and math.isclose(got, want)
    return got == want


def run(database, superadmin, name, **params):
    actor = superadmin[1] if isinstance(superadmin, tuple) else superadmin
    return ReportService(database).run(actor, name, *MARCH, params)


def test_advert_response_per_placement(world, database, superadmin):
    res = run(database, superadmin, "advert-response", by="placement")
    want = expected(world)
    assert len(res.rows) == 3  # E is April's
    by_key = {(r.air_date, r.start): r for r in res.rows}
    ids = {(p.air_date, f"{p.start_time:%H:%M}"): p.id for p in world.placements}
    for key, r in by_key.items():
        for f in FIELDS:
            assert same(r[f], want[ids[key]][f]), (key, f, r[f], want[ids[key]][f])
    a = by_key[(dt.date(2026, 3, 10), "20:00")]
    # hand-counted: 5 leads (3 in the first hour), 2 orders, TV's 3 calls before (19:30,
    # 19:45 and the tied 19:59:59)
    assert (a.calls, a.window_calls, a.orders, a.amount) == (5, 3, 2, Decimal("898.50"))
    assert a.cost_per_call == Decimal("200.00") and a.cost_per_order == Decimal("500.00")
    assert a.baseline == pytest.approx(3 / 30) and a.lift == pytest.approx(3 / 6)
    assert a.medium == "央视二套" and a.item == "眼保姆 / 眼保姆护眼仪" and a.slot == "20:00-20:30"
    b = by_key[(dt.date(2026, 3, 10), "23:50")]
    assert (b.cost, b.cost_per_call, b.cost_per_order) == (None, None, None)
    assert (b.calls, b.window_calls, b.orders, b.baseline) == (2, 2, 1, pytest.approx(1 / 30))
    c = by_key[(dt.date(2026, 3, 11), "00:10")]
    assert (c.cost, c.cost_per_call, c.cost_per_order) == (Decimal("0.00"), Decimal("0.00"), None)
    assert res.rows[0] is a or res.rows[0].calls >= res.rows[-1].calls  # most calls first
    # the total: sums, and the cost per call over the costed placements' calls only (A, C)
    t = res.total
    assert (t.calls, t.orders, t.cost) == (8, 3, Decimal("1000.00"))
    assert t.cost_per_call == (Decimal(1000) / 6).quantize(Decimal("0.01"))
    assert t.cost_per_order == Decimal("500.00")


@pytest.mark.parametrize("by", ["medium", "slot", "product"])
def test_advert_response_grouped(world, database, superadmin, by):
    res = run(database, superadmin, "advert-response", by=by)
    want = expected(world)
    keys = {world.a.id: {"medium": "央视二套", "slot": "20:00-20:30", "product": "眼保姆护眼仪"},
            world.b.id: {"medium": "央视二套", "slot": "23:30-00:00", "product": "眼保姆"},
            world.c.id: {"medium": "钱江晚报", "slot": "00:00-00:30", "product": "眼保姆"}}
    groups: dict[str, list[int]] = {}
    for pid, k in keys.items():
        groups.setdefault(k[by], []).append(pid)
    assert sorted(r[by] for r in res.rows) == sorted(groups)
    for r in res.rows:
        members = [want[pid] for pid in groups[r[by]]]
        costed = [m for m in members if m["cost"] is not None]
        cost = sum((m["cost"] for m in costed), Decimal(0)) if costed else None
        calls, orders = sum(m["calls"] for m in members), sum(m["orders"] for m in members)
        ccalls, corders = sum(m["calls"] for m in costed), sum(m["orders"] for m in costed)
        base = sum(m["baseline"] for m in members)
        window = sum(m["window_calls"] for m in members)
        assert r.placements == len(members)
        assert (r.cost, r.calls, r.orders) == (cost, calls, orders)
        assert r.amount == sum((m["amount"] for m in members), Decimal(0))
        assert r.cost_per_call == ((cost / ccalls).quantize(Decimal("0.01"))
                                   if cost is not None and ccalls else None)
        assert r.cost_per_order == ((cost / corders).quantize(Decimal("0.01"))
                                    if cost is not None and corders else None)
        assert r.baseline == pytest.approx(base)
        assert same(r.lift, window / (base * 60) if base else None)


def test_advert_curve(world, database, superadmin):
    res = run(database, superadmin, "advert-curve")
    assert [r.minute for r in res.rows] == list(range(-30, 61))
    march = [p for p in world.placements if MARCH[0] <= p.air_date <= MARCH[1]]
    calls = dict.fromkeys(range(-30, 61), 0)
    medium = dict.fromkeys(range(-30, 61), 0)
    orders = dict.fromkeys(range(-30, 61), 0)
    for p in march:
        for c in world.calls:
            if not is_lead(c):
                continue
            m = minute(c["at"], p)
            if c["placement_id"] == p.id and m in calls:
                calls[m] += 1
            if c["medium_id"] == p.medium_id and m in medium:
                medium[m] += 1
        for o in world.orders:
            m = minute(o["at"], p)
            if o["placement_id"] == p.id and m in orders and o["status"] not in ("cancelled",
                                                                                "voided"):
                orders[m] += 1
    baseline = sum(medium[m] for m in range(-30, 0)) / 30
    for r in res.rows:
        assert (r.calls, r.orders, r.medium_calls) == (calls[r.minute], orders[r.minute],
                                                       medium[r.minute]), r.minute
        assert r.baseline == pytest.approx(baseline)
    # hand-counted: A's tied call at 19:59:59 is minute −1; minute 0 has A's two calls
    by_minute = {r.minute: r for r in res.rows}
    assert by_minute[-1].calls == 1 and by_minute[0].calls == 2 and by_minute[59].calls == 1
    assert baseline == pytest.approx((3 + 1 + 1) / 30)
    assert res.total.calls == sum(calls[m] for m in range(61))


def test_registered_live_with_the_statistics_permission():
    load_all()
    for name in ("advert-response", "advert-curve"):
        assert REPORTS[name].live and REPORTS[name].permission is not None
    assert not REPORTS["daily-calls"].live


def test_an_empty_period_has_no_rows_and_a_flat_curve(database, superadmin):
    assert run(database, superadmin, "advert-response", by="placement").rows == []
    rows = run(database, superadmin, "advert-curve").rows
    assert len(rows) == 91 and all(r.calls == 0 and r.baseline == 0 for r in rows)
