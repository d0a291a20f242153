"""The sales statistics (agent_app/reports/sales.py) on both back ends: every figure of
销售出库导出, 媒体销售明细表, 销售明细表 and 销售统计表 against a plain-Python count over the
orders inserted here; who may run them; a bad choice."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from agent_app.errors import Forbidden, ValidationError
from agent_app.reports.period import bucket
from agent_app.services.reports import ReportService
from db.enums import Permission
from tests.services.conftest import operator

SITE = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))

# product key: (name, specification, price); the two 操盘手 share a name (told apart by
# the specification)
PRODUCTS = {"lux": ("眼保姆", "豪华版", "398.00"), "patch": ("护目贴", "", "58.50"),
            "soft": ("操盘手", "标准版", "1280.00"), "soft2": ("操盘手", "专业版", "1980.00")}
# login: (name, department)
SELLERS = {"0001": ("王明辉", "直销部"), "1001": ("李娜", "直销部"), "2001": ("周敏", "回访部")}


def utc(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=UTC)


# Each order: no, created_at (UTC), seller, medium, delivery, payment, status,
# confirmed_at (UTC or None), waybill, lines (product, unit price, qty, trial).
ORDERS = [
    # 16:30 UTC on 31 March is 00:30 on the site's 1 April: an April sale
    dict(no="2604010001", created=utc(2026, 3, 31, 16, 30), seller="1001", medium="江苏卫视",
         delivery="B", payment="cod", status="in_transit", confirmed=utc(2026, 3, 31, 16, 40),
         waybill="YD01", lines=[("lux", "398.00", 2, False), ("patch", "58.50", 1, False)]),
    # 15:30 UTC is 23:30 on the site's 31 March: a March sale, but confirmed on 1 April
    dict(no="2603310001", created=utc(2026, 3, 31, 15, 30), seller="1001", medium="江苏卫视",
         delivery="B", payment="cod", status="accepted", confirmed=utc(2026, 3, 31, 16, 5),
         waybill="YD02", lines=[("soft", "1280.00", 1, False)]),
    dict(no="2604100001", created=utc(2026, 4, 10, 2, 0), seller="2001", medium="官网",
         delivery="A", payment="prepaid", status="accepted", confirmed=utc(2026, 4, 10, 2, 5),
         waybill="EA03", lines=[("soft", "1280.00", 1, True), ("patch", "0.00", 2, False)]),
    # 16:00 UTC on 30 April is the site's 1 May: not April
    dict(no="2605010001", created=utc(2026, 4, 30, 16, 0), seller="2001", medium="官网",
         delivery="B", payment="cod", status="in_transit", confirmed=utc(2026, 4, 30, 16, 1),
         waybill="YD04", lines=[("lux", "398.00", 5, False)]),
    # cancelled and voided: in no figure, though confirmed
    dict(no="2604050001", created=utc(2026, 4, 5, 3, 0), seller="1001", medium="江苏卫视",
         delivery="B", payment="cod", status="cancelled", confirmed=utc(2026, 4, 5, 3, 5),
         waybill=None, lines=[("soft2", "1980.00", 3, False)]),
    dict(no="2604060001", created=utc(2026, 4, 6, 3, 0), seller="2001", medium="官网",
         delivery="A", payment="cod", status="voided", confirmed=utc(2026, 4, 6, 3, 5),
         waybill="EA06", lines=[("soft2", "1980.00", 4, False)]),
    # no medium, never confirmed
    dict(no="2604200001", created=utc(2026, 4, 20, 1, 0), seller="0001", medium=None,
         delivery="C", payment="cod", status="not_sent", confirmed=None, waybill=None,
         lines=[("patch", "58.50", 3, False)]),
    dict(no="2604150001", created=utc(2026, 4, 15, 4, 0), seller="1001", medium="江苏卫视",
         delivery="B", payment="cod", status="not_sent", confirmed=utc(2026, 4, 16, 1, 0),
         waybill=None, lines=[("lux", "398.00", 1, True), ("soft2", "1980.00", 1, False)]),
    # 20:00 UTC on 5 April is the site's 6 April, a Monday: ISO week 15 (not 14)
    dict(no="2604060002", created=utc(2026, 4, 5, 20, 0), seller="0001", medium="官网",
         delivery="D", payment="cod", status="accepted", confirmed=utc(2026, 4, 5, 20, 30),
         waybill="YD09", lines=[("soft2", "1980.00", 1, False)]),
    # May: 李娜 sells what 周敏 sold on 1 May (5 × 398 = 1990): a tie for the ranking
    dict(no="2605100001", created=utc(2026, 5, 10, 2, 0), seller="1001", medium="官网",
         delivery="B", payment="cod", status="not_sent", confirmed=None, waybill=None,
         lines=[("lux", "398.00", 4, False), ("lux", "398.00", 1, False)]),
    dict(no="2605110001", created=utc(2026, 5, 11, 2, 0), seller="0001", medium="官网",
         delivery="B", payment="cod", status="not_sent", confirmed=None, waybill=None,
         lines=[("patch", "58.50", 2, False)]),
]
MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


def product_title(key: str) -> str:
    name, spec, _ = PRODUCTS[key]
    return f"{name} {spec}".strip()


def site_day(t: dt.datetime) -> dt.date:
    return t.astimezone(SITE).date()


def amount(o) -> Decimal:
    return sum((Decimal(p) * q for _, p, q, _ in o["lines"]), Decimal("0.00"))


def counted(period=APRIL):
    """The orders an April sales report counts, by the definition (site day of created_at,
    cancelled and voided left out)."""
    return [o for o in ORDERS if period[0] <= site_day(o["created"]) <= period[1]
            and o["status"] not in ("cancelled", "voided")]


@pytest.fixture
def sales(database, superadmin):
    from agent_app.services.accounts import AccountService
    from db.enums import Role
    from db.models import Customer, Medium, OrderLine, Product, SalesOrder, Variety

    accounts = AccountService(database)
    for login, (name, dept) in SELLERS.items():
        if login != "0001":
            accounts.add_employee(superadmin, login=login, name=name, role=Role.OPERATOR,
                                  password="pass1234", department=dept,
                                  must_change_password=False)
    from db.models import Employee
    with database.transaction() as s:
        from sqlalchemy import select
        emp = {e.login: e.id for e in s.scalars(select(Employee))}
        v = Variety(name="眼保姆")
        s.add(v)
        s.flush()
        prod = {}
        for i, (key, (name, spec, price)) in enumerate(PRODUCTS.items()):
            p = Product(code=f"P{i}", name=name, specification=spec, variety_id=v.id, unit="台",
                        short_code=f"S{i}", retail_price=Decimal(price))
            s.add(p)
            s.flush()
            prod[key] = p.id
        media = {}
        for name in ("江苏卫视", "官网"):
            m = Medium(type="电视", name=name)
            s.add(m)
            s.flush()
            media[name] = m.id
        c = Customer(registration_no="R1", name="张三")
        s.add(c)
        s.flush()
        for o in ORDERS:
            so = SalesOrder(order_no=o["no"], customer_id=c.id, employee_id=emp[o["seller"]],
                            created_at=o["created"], delivery_method=o["delivery"],
                            payment=o["payment"], medium_id=media.get(o["medium"]),
                            status=o["status"], confirmed=o["confirmed"] is not None,
                            confirmed_at=o["confirmed"], waybill_no=o["waybill"],
                            total=amount(o), trial=any(ln[3] for ln in o["lines"]))
            so.lines = [OrderLine(line_no=i, product_id=prod[k], unit_price=Decimal(p),
                                  quantity=q, trial=t)
                        for i, (k, p, q, t) in enumerate(o["lines"], 1)]
            s.add(so)
    return ReportService(database)


def run(svc, actor, name, params=None, group=None, period=APRIL):
    return svc.run(actor, name, period[0], period[1], params or {}, group)


def test_the_data_set_has_the_cases(sales):
    """The set-up covers what the reports are exposed to (so the tests below mean something)."""
    april = counted()
    assert {o["no"] for o in april} >= {"2604010001"}            # taken after site midnight
    assert "2603310001" not in {o["no"] for o in april}        # before site midnight
    assert len({SELLERS[o["seller"]][1] for o in april}) == 2   # two departments
    assert any(ln[3] for o in april for ln in o["lines"])       # trial lines
    assert any(o["status"] == "voided" and o["confirmed"] for o in ORDERS)


def test_sales_dispatch_export(sales, superadmin):
    start, end = APRIL
    expected = []
    for o in sorted(ORDERS, key=lambda o: o["confirmed"] or utc(9999, 1, 1)):
        if o["confirmed"] is None or o["status"] in ("cancelled", "voided"):
            continue
        if not start <= site_day(o["confirmed"]) <= end:
            continue
        a = amount(o)
        expected.append(dict(
            order_no=o["no"], waybill_no=o["waybill"] or "",
            confirmed=o["confirmed"].astimezone(SITE),
            customer="张三", seller=SELLERS[o["seller"]][0], medium=o["medium"] or "—",
            delivery=o["delivery"],
            products="、".join(f"{product_title(k)}×{q}" for k, _, q, _ in o["lines"]),
            quantity=sum(q for _, _, q, _ in o["lines"]), amount=a,
            cod=a if o["payment"] == "cod" else Decimal("0.00")))
    # the March sale confirmed on the site's 1 April is April's dispatch
    assert "2603310001" in [e["order_no"] for e in expected]
    assert "2604050001" not in [e["order_no"] for e in expected]  # cancelled
    result = run(sales, superadmin, "sales-dispatch-export", {"waybill": "yes"})
    attrs = [c.attr for c in result.columns]
    assert attrs[:2] == ["order_no", "waybill_no"]
    assert [{a: r[a] for a in attrs} for r in result.rows] == expected
    assert result.total["quantity"] == sum(e["quantity"] for e in expected)
    assert result.total["amount"] == sum(e["amount"] for e in expected)
    assert result.total["cod"] == sum(e["cod"] for e in expected)
    # without 联号 the column is not there (the manual's two pictures)
    plain = run(sales, superadmin, "sales-dispatch-export", {"waybill": "no"})
    assert "waybill_no" not in [c.attr for c in plain.columns]
    assert len(plain.rows) == len(expected)


def test_a_dispatch_list_past_its_limit_is_refused_at_once(sales, superadmin, monkeypatch):
    """More orders in the period than one list may hold: refused before a row is read,
    with the count and the way out; at the limit itself it runs."""
    import agent_app.reports.sales as sales_reports
    from agent_app.errors import TooMany

    n = len(run(sales, superadmin, "sales-dispatch-export").rows)
    assert n > 1
    monkeypatch.setattr(sales_reports, "MAX_DISPATCH_ROWS", n)
    assert len(run(sales, superadmin, "sales-dispatch-export").rows) == n
    monkeypatch.setattr(sales_reports, "MAX_DISPATCH_ROWS", n - 1)
    with pytest.raises(TooMany) as e:
        run(sales, superadmin, "sales-dispatch-export")
    assert str(e.value) == (f"This period has {n} orders, more than the {n - 1} one list "
                            "holds. Choose a shorter period (a month at a time), then run "
                            "it again.")


def _media_expected(dims):
    out = defaultdict(lambda: dict(orders=set(), quantity=0, amount=Decimal("0"),
                                   trial_orders=set(), trial_quantity=0,
                                   trial_amount=Decimal("0")))
    for o in counted():
        values = {"medium": o["medium"] or "—", "seller": SELLERS[o["seller"]][0],
                  "delivery": o["delivery"]}
        key = tuple(values[d] for d in dims)
        e = out[key]
        for _, p, q, trial in o["lines"]:
            e["orders"].add(o["no"])
            e["quantity"] += q
            e["amount"] += Decimal(p) * q
            if trial:
                e["trial_orders"].add(o["no"])
                e["trial_quantity"] += q
                e["trial_amount"] += Decimal(p) * q
    return {k: dict(v, orders=len(v["orders"]), trial_orders=len(v["trial_orders"]))
            for k, v in out.items()}


@pytest.mark.parametrize("by,dims", [("medium", ("medium",)), ("seller", ("seller",)),
                                     ("delivery", ("delivery",)),
                                     ("all", ("medium", "seller", "delivery"))])
def test_media_sales(sales, superadmin, by, dims):
    expected = _media_expected(dims)
    result = run(sales, superadmin, "media-sales", {"by": by})
    assert [c.attr for c in result.columns][:len(dims)] == list(dims)
    figures = ("orders", "quantity", "amount", "trial_orders", "trial_quantity", "trial_amount")
    got = {tuple(r[d] for d in dims): {f: r[f] for f in figures} for r in result.rows}
    assert got == expected
    assert len(result.rows) == len(expected)
    for f in figures:
        assert result.total[f] == sum(e[f] for e in expected.values())
    assert result.total["orders"] == len(counted())
    amounts = [r["amount"] for r in result.rows]
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.parametrize("grain", ["day", "week", "month"])
@pytest.mark.parametrize("department", [None, "直销部", "回访部"])
def test_sales_detail(sales, superadmin, grain, department):
    out = {}
    for o in counted():
        if department and SELLERS[o["seller"]][1] != department:
            continue
        label, first = bucket(site_day(o["created"]), grain)
        e = out.setdefault(label, dict(period=label, orders=0, quantity=0,
                                       amount=Decimal("0"), first=first))
        e["orders"] += 1
        e["quantity"] += sum(q for _, _, q, _ in o["lines"])
        e["amount"] += amount(o)
    expected = [{k: v for k, v in e.items() if k != "first"}
                for e in sorted(out.values(), key=lambda e: e["first"])]
    result = run(sales, superadmin, "sales-detail", {"grain": grain}, department)
    attrs = ("period", "orders", "quantity", "amount")
    assert [{a: r[a] for a in attrs} for r in result.rows] == expected
    for a in attrs[1:]:
        assert result.total[a] == sum(e[a] for e in expected)
    if grain == "week" and department is None:
        # 1 April (Wed) is in 2026-W14; the sale at 20:00 UTC on Sunday 5 April is the
        # site's Monday 6 April, 2026-W15
        assert [e["period"] for e in expected][:2] == ["2026-W14", "2026-W15"]


def test_sales_summary_by_department(sales, superadmin):
    out = defaultdict(lambda: dict(orders=0, quantity=0, amount=Decimal("0")))
    for o in counted():
        e = out[SELLERS[o["seller"]][1]]
        e["orders"] += 1
        e["quantity"] += sum(q for _, _, q, _ in o["lines"])
        e["amount"] += amount(o)
    result = run(sales, superadmin, "sales-summary", {"by": "department"})
    got = {r["department"]: {a: r[a] for a in ("orders", "quantity", "amount")}
           for r in result.rows}
    assert got == dict(out) and set(got) == {"直销部", "回访部"}
    assert result.total["amount"] == sum(e["amount"] for e in out.values())
    assert result.total["orders"] == len(counted())


def test_sales_summary_by_product(sales, superadmin):
    out = defaultdict(lambda: dict(quantity=0, amount=Decimal("0")))
    for o in counted():
        for k, p, q, _ in o["lines"]:
            e = out[SELLERS[o["seller"]][0], product_title(k)]
            e["quantity"] += q
            e["amount"] += Decimal(p) * q
    result = run(sales, superadmin, "sales-summary", {"by": "product"})
    assert [c.attr for c in result.columns] == ["seller", "product", "quantity", "amount"]
    got = {(r["seller"], r["product"]): {"quantity": r["quantity"], "amount": r["amount"]}
           for r in result.rows}
    assert got == dict(out) and len(result.rows) == len(out)
    # 总数量 and 总金额: the totals row
    assert result.total["quantity"] == sum(e["quantity"] for e in out.values())
    assert result.total["amount"] == sum(e["amount"] for e in out.values())


def test_sales_summary_ranking(sales, superadmin):
    out = defaultdict(Decimal)
    for o in counted():
        out[SELLERS[o["seller"]][0]] += amount(o)
    whole = sum(out.values())
    ranked = sorted(out.items(), key=lambda kv: -kv[1])
    assert len({a for _, a in ranked}) == len(ranked)  # no ties here: ranks are 1..n
    result = run(sales, superadmin, "sales-summary", {"by": "ranking"})
    assert [(r["rank"], r["seller"], r["amount"]) for r in result.rows] == [
        (i, name, a) for i, (name, a) in enumerate(ranked, 1)]
    for r in result.rows:
        assert r["share"] == pytest.approx(float(out[r["seller"]] / whole))
    assert result.total["amount"] == whole and result.total["share"] == 1.0
    assert "rank" not in result.total
    assert result.report.chart.limit == 15  # the top 15 sellers: legible beside the table


def test_equal_amounts_share_a_rank(sales, superadmin):
    out = defaultdict(Decimal)
    for o in counted(MAY):
        out[SELLERS[o["seller"]][0]] += amount(o)
    assert out["李娜"] == out["周敏"] > out["王明辉"]  # the set-up's tie
    result = run(sales, superadmin, "sales-summary", {"by": "ranking"}, period=MAY)
    ranks = {r["seller"]: r["rank"] for r in result.rows}
    assert ranks == {"李娜": 1, "周敏": 1, "王明辉": 3}
    assert [r["amount"] for r in result.rows] == sorted(out.values(), reverse=True)


def test_who_may_run_the_sales_statistics(sales, database, superadmin):
    """Without 统计 only the sales statistics (the manual); the dispatch export needs it."""
    plain = operator(database, superadmin, "1009", "钱多")
    for name, params in (("media-sales", {}), ("sales-detail", {}), ("sales-summary", {})):
        assert run(sales, plain, name, params).rows  # counted, the same as for 0001
    with pytest.raises(Forbidden):
        run(sales, plain, "sales-dispatch-export")
    visible = {r.name for r in sales.reports(plain)}
    assert {"media-sales", "sales-detail", "sales-summary"} <= visible
    assert "sales-dispatch-export" not in visible
    stats = operator(database, superadmin, "1010", "孙丽", {Permission.STATISTICS})
    assert run(sales, stats, "sales-dispatch-export").rows


@pytest.mark.parametrize("name", ["sales-summary", "media-sales"])
def test_a_choice_that_is_not_listed_is_refused(sales, superadmin, name):
    with pytest.raises(ValidationError) as e:
        run(sales, superadmin, name, {"by": "region"})
    assert e.value.field == "by"
