"""进线 statistics (agent_app/reports/leads.py) on SQLite and MariaDB: a small set of calls
and orders with known answers, every figure compared with a plain Python count over the
rows inserted (site days, ISO weeks and quarters computed here, not by the report)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select

from agent_app.errors import ValidationError
from agent_app.reports import Query, load_all
from agent_app.services.reports import ReportService
from db.models import (
    CallRecord,
    Customer,
    CustomerPhone,
    Department,
    Employee,
    Medium,
    MobilePrefix,
    OrderLine,
    Placement,
    Product,
    Region,
    SalesOrder,
    Variety,
)

SITE = dt.timezone(dt.timedelta(hours=8))
FROM, TO = dt.date(2026, 3, 1), dt.date(2027, 1, 31)
NONE = "—"


def site(y, mo, d, h, mi):
    return dt.datetime(y, mo, d, h, mi, tzinfo=SITE)


def utc(y, mo, d, h, mi):
    return dt.datetime(y, mo, d, h, mi, tzinfo=dt.UTC)


# Calls: (id, direction, internal, queued (aware), answered?, agent, caller, dialed, medium,
# placement, linked customer). Medium/placement/customer are keys of the reference rows.
CALLS = [
    # queued 23:50 site on 03-31 and talking past midnight: a lead of 03-31
    ("c1", "in", False, site(2026, 3, 31, 23, 50), True, "1001", "PA", "4006000000",
     "tv", "pl_eye", "c_hz"),
    # 16:10 UTC on 03-31 is 00:10 site on 04-01: a lead of 04-01
    ("c2", "in", False, utc(2026, 3, 31, 16, 10), True, "2001", "PB", "4006000001",
     "paper", "pl_soft", None),
    # an internal number (集团电话): never a lead
    ("c3", "in", True, site(2026, 4, 1, 10, 0), True, "1001", "057188000000", "4006000000",
     "tv", "pl_eye", None),
    # abandoned, a mobile whose prefix is not in 手机号段: a lead without agent nor region
    ("c4", "in", False, site(2026, 4, 1, 10, 5), False, None, "PU", "4006000000",
     "tv", "pl_eye", None),
    # outbound: not a lead
    ("c5", "out", False, site(2026, 4, 1, 11, 0), True, "1001", "4006000000", "PA",
     None, None, "c_hz"),
    # ISO week 2026-W53 holds both 2026-12-31 and 2027-01-01 (quarters 2026Q4 and 2027Q1);
    # c7 is from a landline of region B
    ("c6", "in", False, site(2026, 12, 31, 9, 0), True, "1001", "PA", "4006000000",
     "tv", None, None),
    ("c7", "in", False, site(2027, 1, 1, 9, 10), True, "2001", "LB", "",
     "paper", "pl_soft", None),
    # before the period (site 02-28 23:59 = 15:59 UTC): not counted
    ("c8", "in", False, site(2026, 2, 28, 23, 59), True, "1001", "PA", "4006000000",
     "tv", "pl_eye", "c_hz"),
]

# Orders: (no, created (aware), status, seller, customer, variety, [(product, qty, price, kind)])
ORDERS = [
    ("2603310001", site(2026, 3, 31, 23, 55), "not_sent", "1001", "c_hz", "eye",
     [("p_eye", 2, "100.00", "direct"), ("p_soft", 1, "0.00", "gift")]),
    ("2604010001", utc(2026, 3, 31, 16, 5), "accepted", "2001", "c_nj", "soft",
     [("p_soft", 1, "500.00", "direct")]),
    ("2604010002", site(2026, 4, 1, 12, 0), "cancelled", "1001", "c_hz", "eye",
     [("p_eye", 1, "100.00", "direct")]),
    ("2604020001", site(2026, 4, 2, 12, 0), "voided", "2001", "c_nj", "soft",
     [("p_soft", 4, "500.00", "direct")]),
    # two lines of one product: one order of that product
    ("2612310001", site(2026, 12, 31, 10, 0), "in_transit", "1001", "c_hz", "eye",
     [("p_eye", 1, "100.00", "direct"), ("p_eye", 2, "50.00", "bundled")]),
    # no seller, a customer without a region
    ("2701010001", site(2027, 1, 1, 8, 0), "not_sent", None, "c_none", "soft",
     [("p_soft", 1, "300.00", "direct")]),
    # after the period: not counted
    ("2702010001", site(2027, 2, 1, 8, 0), "not_sent", "1001", "c_hz", "eye",
     [("p_eye", 1, "100.00", "direct")]),
]

EMPLOYEES = {"1001": ("李娜", "直销部"), "2001": ("周杰", "回访部")}
# customers' regions (orders count by them): the cities of callers PA and PB
CUSTOMER_AREA = {"c_hz": "PA", "c_nj": "PB", "c_none": None}
# filled by the fixture from the 手机号段 table: caller token → number, and the regions
NUM: dict[str, str] = {}
AREA_REGION: dict[str, str] = {}   # area code → region name
PREFIX_AREA: dict[str, str] = {}   # the two known prefixes → area code
MEDIA = {"tv": ("电视", "江苏卫视"), "paper": ("报纸", "钱江晚报")}
VARIETIES = {"eye": "眼保姆", "soft": "操盘手软件"}
PRODUCTS = {"p_eye": ("眼保姆护眼仪", "EB-3", "eye"), "p_soft": ("操盘手炒股软件", "标准版", "soft")}
PLACEMENTS = {"pl_eye": ("tv", "eye"), "pl_soft": ("paper", "soft")}


@pytest.fixture
def data(database):
    ids: dict[str, int] = {}
    with database.transaction() as s:
        depts = {d.name: d.id for d in s.scalars(select(Department))}
        for login, (name, dept) in EMPLOYEES.items():
            e = Employee(login=login, name=name, department_id=depts[dept], password_hash="x")
            s.add(e)
            s.flush()
            ids[login] = e.id
        # two mobile prefixes of different cities and a prefix the table does not hold
        known = s.execute(select(MobilePrefix.prefix, MobilePrefix.city,
                                 MobilePrefix.area_code)
                          .where(MobilePrefix.area_code != "")
                          .order_by(MobilePrefix.prefix)).all()
        (pa, city_a, area_a) = known[0]
        pb, city_b, area_b = next(k for k in known if k[2] != area_a and k[1] != city_a)
        held = {k[0] for k in known}
        pu = next(p for p in (f"1{n:06d}" for n in range(999_999, 0, -1)) if p not in held)
        NUM.clear()
        NUM.update(PA=pa + "0001", PB=pb + "0002", PU=pu + "0009",
                   LB=area_b + "8400" + "0" * (11 - len(area_b) - 4))
        PREFIX_AREA.clear()
        PREFIX_AREA.update({pa: area_a, pb: area_b})
        AREA_REGION.clear()
        AREA_REGION.update({area_a: city_a, area_b: city_b})
        regions = {}
        for area, name in AREA_REGION.items():
            r = Region(name=name, area_code=area)
            s.add(r)
            s.flush()
            regions[area] = r.id
        # a region without area code never takes the leads of unknown area codes
        s.add(Region(name="无区号", area_code=""))
        for key, name in VARIETIES.items():
            v = Variety(name=name)
            s.add(v)
            s.flush()
            ids[key] = v.id
        for n, (key, (name, spec, variety)) in enumerate(PRODUCTS.items()):
            p = Product(code=f"P{n}", name=name, specification=spec, variety_id=ids[variety],
                        unit="台", short_code=f"S{n}", retail_price=Decimal("1"))
            s.add(p)
            s.flush()
            ids[key] = p.id
        for key, (mtype, name) in MEDIA.items():
            m = Medium(type=mtype, name=name)
            s.add(m)
            s.flush()
            ids[key] = m.id
        for key, (medium, variety) in PLACEMENTS.items():
            p = Placement(medium_id=ids[medium], variety_id=ids[variety],
                          air_date=dt.date(2026, 3, 31), start_time=dt.time(23, 0), length_s=120)
            s.add(p)
            s.flush()
            ids[key] = p.id
        for n, (key, token) in enumerate(CUSTOMER_AREA.items()):
            phone = NUM[token] if token else f"1{n}8000000{n}3"
            area = {"PA": area_a, "PB": area_b}.get(token)
            c = Customer(registration_no=f"R{n}", name=f"客户{n}", mobile=phone,
                         region_id=regions.get(area))
            s.add(c)
            s.flush()
            ids[key] = c.id
            s.add(CustomerPhone(phone=phone, customer_id=c.id, kind="mobile"))
        for (cid, direction, internal, queued, answered, agent, caller, dialed, medium,
             placement, customer) in CALLS:
            q = queued.astimezone(dt.UTC)
            s.add(CallRecord(
                call_id=cid, direction=direction, caller=NUM.get(caller, caller),
                dialed=NUM.get(dialed, dialed),
                agent_login=agent, queued_at=q,
                answered_at=q + dt.timedelta(seconds=5) if answered else None,
                ended_at=q + dt.timedelta(minutes=30),   # c1 ends after midnight
                end_cause="answered" if answered else "abandoned", internal=internal,
                lead=direction == "in" and not internal,
                medium_id=ids.get(medium), placement_id=ids.get(placement),
                customer_id=ids.get(customer)))
        for no, created, status, seller, customer, variety, lines in ORDERS:
            o = SalesOrder(order_no=no, customer_id=ids[customer], employee_id=ids.get(seller),
                           created_at=created.astimezone(dt.UTC), status=status,
                           variety_id=ids[variety],
                           total=sum(Decimal(p) * q for _pr, q, p, _k in lines))
            o.lines = [OrderLine(line_no=i, product_id=ids[pr], quantity=q,
                                 unit_price=Decimal(p), kind=k)
                       for i, (pr, q, p, k) in enumerate(lines, start=1)]
            s.add(o)
    return ids


# -- the independent count -------------------------------------------------------------------
def _in_period(when: dt.datetime) -> bool:
    return FROM <= when.astimezone(SITE).date() <= TO


def leads():
    """The leads as dicts (site time), by the definition: inbound, not internal, in period."""
    out = []
    for (_cid, direction, internal, queued, answered, agent, caller, dialed, medium,
         placement, _customer) in CALLS:
        if direction != "in" or internal or not _in_period(queued):
            continue
        variety = PLACEMENTS[placement][1] if placement else None
        agent_dept = EMPLOYEES[agent][1] if agent else None
        out.append(dict(local=queued.astimezone(SITE), answered=answered,
                        employee=EMPLOYEES[agent][0] if agent else NONE,
                        department=agent_dept or NONE,
                        region=caller_region(NUM[caller]),
                        source=MEDIA[medium][0] if medium else NONE,
                        medium=MEDIA[medium][1] if medium else NONE,
                        variety=VARIETIES[variety] if variety else NONE,
                        business=dialed or NONE))
    return out


def caller_region(number: str) -> str:
    """The region of a caller's number, from the prefixes the fixture read."""
    if number.startswith("0"):
        area = number[:3] if number[:2] in ("01", "02") else number[:4]
    else:
        area = PREFIX_AREA.get(number[:7])
    return AREA_REGION.get(area) or NONE


def orders():
    out = []
    for _no, created, status, seller, customer, variety, lines in ORDERS:
        if status in ("cancelled", "voided") or not _in_period(created):
            continue
        out.append(dict(local=created.astimezone(SITE),
                        employee=EMPLOYEES[seller][0] if seller else NONE,
                        department=EMPLOYEES[seller][1] if seller else NONE,
                        region=(AREA_REGION[PREFIX_AREA[NUM[CUSTOMER_AREA[customer]][:7]]]
                                if CUSTOMER_AREA[customer] else NONE),
                        variety=VARIETIES[variety],
                        amount=sum(Decimal(p) * q for _pr, q, p, _k in lines),
                        quantity=sum(q for _pr, q, _p, _k in lines), lines=lines))
    return out


def period_label(day: dt.date, grain: str) -> str:
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year}Q{(day.month + 2) // 3}"
    return str(day.year)


def expected(dim: str, grain: str | None = None, with_orders: bool = True) -> dict:
    """(period?, dim label) → [leads, answered, orders, amount]."""
    out: dict = defaultdict(lambda: [0, 0, 0, Decimal("0.00")])

    def key(x):
        label = x[dim]
        return (period_label(x["local"].date(), grain), label) if grain else label
    for x in leads():
        out[key(x)][0] += 1
        out[key(x)][1] += int(x["answered"])
    for x in orders() if with_orders else ():
        out[key(x)][2] += 1
        out[key(x)][3] += x["amount"]
    return dict(out)


def run(superadmin, database, name, **params):
    return ReportService(database).run(superadmin, name, FROM, TO, params)


def got(result, fields=("leads", "answered", "orders", "amount"), grain=False) -> dict:
    out = {}
    for r in result.rows:
        k = (r["period"], r["label"]) if grain else r["label"]
        assert k not in out
        out[k] = [r[f] for f in fields]
    return out


# -- the tests -------------------------------------------------------------------------------
def test_the_data_set_has_the_cases(data):
    ls = leads()
    assert len(ls) == 5   # c1 c2 c4 c6 c7: internal, outbound and early calls left out
    assert [x["local"].date() for x in ls][:2] == [dt.date(2026, 3, 31), dt.date(2026, 4, 1)]
    assert len(orders()) == 4


def test_inbound_sales_by_slot(superadmin, database, data):
    result = run(superadmin, database, "inbound-sales", by="slot")
    want: dict = defaultdict(lambda: [0, 0, 0, Decimal("0.00")])
    for x in leads():
        m = x["local"].hour * 60 + x["local"].minute
        slot = m - m % 30
        label = f"{slot // 60:02d}:{slot % 60:02d}-{(slot + 30) // 60 % 24:02d}:{(slot + 30) % 60:02d}"
        want[label][0] += 1
        want[label][1] += int(x["answered"])
    for x in orders():
        m = x["local"].hour * 60 + x["local"].minute
        slot = m - m % 30
        label = f"{slot // 60:02d}:{slot % 60:02d}-{(slot + 30) // 60 % 24:02d}:{(slot + 30) % 60:02d}"
        want[label][2] += 1
        want[label][3] += x["amount"]
    assert got(result) == dict(want)
    assert "23:30-00:00" in want and want["23:30-00:00"][:3] == [1, 1, 1]  # c1 and its order
    assert [r["label"] for r in result.rows] == sorted(want)   # the day's order
    for r in result.rows:
        assert r["conversion"] == (r["orders"] / r["answered"] if r["answered"] else 0.0)
    t = result.total
    assert (t["leads"], t["answered"], t["orders"]) == (
        len(leads()), sum(x["answered"] for x in leads()), len(orders()))
    assert t["amount"] == sum(x["amount"] for x in orders())
    assert t["conversion"] == t["orders"] / t["answered"]


@pytest.mark.parametrize("by", ["employee", "region"])
def test_inbound_sales_by_employee_and_region(superadmin, database, data, by):
    result = run(superadmin, database, "inbound-sales", by=by)
    assert got(result) == expected(by)


def test_inbound_sales_by_product_and_sales_kind(superadmin, database, data):
    def count(keyf):
        want: dict = defaultdict(lambda: [set(), 0, Decimal("0.00")])
        for n, x in enumerate(orders()):
            for pr, q, p, k in x["lines"]:
                w = want[keyf(pr, k)]
                w[0].add(n)
                w[1] += q
                w[2] += Decimal(p) * q
        return {k: [len(v[0]), v[1], v[2]] for k, v in want.items()}

    fields = ("orders", "quantity", "amount")
    result = run(superadmin, database, "inbound-sales", by="product")
    assert got(result, fields) == count(lambda pr, k: f"{PRODUCTS[pr][0]} {PRODUCTS[pr][1]}")
    # the total counts each order once although one has lines of both products
    assert result.total["orders"] == len(orders()) < sum(r["orders"] for r in result.rows)
    assert result.total["quantity"] == sum(x["quantity"] for x in orders())
    result = run(superadmin, database, "inbound-sales", by="sale")
    titles = {"direct": "Direct sale", "bundled": "Bundled sale", "gift": "Gift"}
    assert got(result, fields) == count(lambda pr, k: titles[k])
    assert result.total["orders"] == len(orders())
    assert result.total["amount"] == sum(x["amount"] for x in orders())


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize("by", ["source", "medium", "variety", "business"])
def test_media_slot_leads(superadmin, database, data, grain, by):
    result = run(superadmin, database, "media-slot-leads", grain=grain, by=by)
    want = {k: v[:2] for k, v in expected(by, grain, with_orders=False).items()}
    assert got(result, ("leads", "answered"), grain=True) == want
    assert result.total["leads"] == len(leads())


def test_media_slot_leads_weeks_and_quarters(superadmin, database, data):
    weeks = got(run(superadmin, database, "media-slot-leads", grain="week", by="source"),
                ("leads",), grain=True)
    # 2026-12-31 and 2027-01-01 are both in ISO week 2026-W53
    assert weeks[("2026-W53", "电视")] == [1] and weeks[("2026-W53", "报纸")] == [1]
    quarters = got(run(superadmin, database, "media-slot-leads", grain="quarter", by="source"),
                   ("leads",), grain=True)
    assert quarters[("2026Q1", "电视")] == [1]      # c1, queued 03-31 23:50 site
    assert quarters[("2026Q2", "报纸")] == [1]      # c2, 03-31 16:10 UTC = 04-01 site
    assert quarters[("2026Q4", "电视")] == [1] and quarters[("2027Q1", "报纸")] == [1]


@pytest.mark.parametrize("grain", ["day", "week", "quarter"])
@pytest.mark.parametrize("by", ["department", "employee", "variety"])
def test_employee_lead_sales(superadmin, database, data, grain, by):
    result = run(superadmin, database, "employee-lead-sales", grain=grain, by=by)
    assert got(result, grain=True) == expected(by, grain)
    for r in result.rows:
        assert r["conversion"] == (r["orders"] / r["answered"] if r["answered"] else 0.0)


def test_employee_lead_sales_of_one_department(superadmin, database, data):
    result = ReportService(database).run(superadmin, "employee-lead-sales", FROM, TO,
                                         {"grain": "year", "by": "employee"}, group="回访部")
    want = {k: v for k, v in expected("employee", "year").items() if k[1] == "周杰"}
    assert got(result, grain=True) == want and want


def test_region_lead_sales(superadmin, database, data):
    result = run(superadmin, database, "region-lead-sales")
    want: dict = defaultdict(lambda: [0, 0, 0, Decimal("0.00")])
    for x in leads():
        want[x["region"]][0] += 1
    for x in orders():
        w = want[x["region"]]
        w[1] += 1
        w[2] += x["quantity"]
        w[3] += x["amount"]
    assert got(result, ("leads", "orders", "quantity", "amount")) == dict(want)
    # PB's mobile (c2) and B's landline (c7) are B's leads; PU's prefix is unknown
    assert want[AREA_REGION[PREFIX_AREA[NUM["PB"][:7]]]][0] == 2 and want[NONE][0] == 1
    assert result.total["amount"] == sum(x["amount"] for x in orders())


@pytest.mark.parametrize("name", ["inbound-sales", "media-slot-leads", "employee-lead-sales"])
def test_a_bad_by_is_refused(superadmin, database, name):
    with pytest.raises(ValidationError) as e:
        ReportService(database).run(superadmin, name, FROM, TO, {"by": "nope"})
    assert e.value.field == "by"
    report = load_all()[name]
    with pytest.raises(ValidationError) as e, database.reading() as s:
        report.compute(s, Query(FROM, TO, {"by": "nope", "grain": "day"}))
    assert e.value.field == "by"
