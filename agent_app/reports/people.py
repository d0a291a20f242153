"""Reports on staff and customer records (第二章 第七节): 员工通话统计 (employee-calls),
客户资料数统计 (customer-counts) and 资料分配利用率统计 (allocation-use).

Each figure family is one SQL query grouped in the database (by employee, direction and
site day; by class / source / region; by allocated employee); Python only rolls the
grouped rows up into weeks … years and names the employees (one query of the employee
table, a few hundred rows at most).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import case, func, or_, select

from agent_app.reports import (
    ChartSpec,
    Choice,
    Col,
    Param,
    Query,
    ReportDef,
    Row,
    customer_lookup,
    ratio,
    register,
)
from agent_app.reports.calls import GRAIN
from agent_app.reports.period import as_date, bounds, bucket, local_day
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import CallDirection, CustomerClass, CustomerSource, OrderStatus
from db.models import CallRecord, Contact, Customer, Department, Employee, Region, SalesOrder

NOT_SALES = (OrderStatus.CANCELLED, OrderStatus.VOIDED)


class _Staff:
    """The employees by id and by login: (login, name, department name). One query; with
    a department (the 部门 filter) only that department's employees."""

    def __init__(self, s, department: str | None) -> None:
        stmt = (select(Employee.id, Employee.login, Employee.name, Department.name)
                .outerjoin(Department, Department.id == Employee.department_id))
        if department:
            stmt = stmt.where(Department.name == department)
        self.by_id: dict[int, tuple[str, str, str]] = {}
        self.by_login: dict[str, tuple[str, str, str]] = {}
        for eid, login, name, dept in s.execute(stmt):
            info = (login, name, dept or "")
            self.by_id[eid] = info
            self.by_login[login] = info
        self.filtered = bool(department)


# -- 员工通话统计 ---------------------------------------------------------------------------
def employee_calls(s, q: Query) -> list[Row]:
    """Per employee and period: inbound and outbound calls, how many were answered, and
    their talk time. A call counts on the site day it was queued, with all its talk time,
    even when it ends after midnight. Internal calls count too: they are the employee's
    work, not leads."""
    start, end = bounds(q.date_from, q.date_to)
    staff = _Staff(s, q.group)
    day = local_day(s, CallRecord.queued_at).label("day")
    stmt = (select(CallRecord.agent_login, CallRecord.direction, day, func.count(),
                   func.count(CallRecord.answered_at),
                   func.coalesce(func.sum(CallRecord.talk_s), 0))
            .where(CallRecord.queued_at >= start, CallRecord.queued_at < end,
                   CallRecord.agent_login.is_not(None))
            .group_by(CallRecord.agent_login, CallRecord.direction, day))
    if staff.filtered:
        if not staff.by_login:
            return []
        stmt = stmt.where(CallRecord.agent_login.in_(sorted(staff.by_login)))
    grain = q.param("grain")
    out: dict[tuple[str, str], Row] = {}
    for login, direction, d, n, answered, talk in s.execute(stmt):
        label, first = bucket(as_date(d), grain)
        who = staff.by_login.get(login, (login, "", ""))
        r = out.get((label, login))
        if r is None:
            r = out[(label, login)] = Row(
                period=label, first=first, login=login, name=who[1], department=who[2],
                inbound=0, inbound_answered=0, outbound=0, outbound_answered=0,
                inbound_talk_s=0.0, outbound_talk_s=0.0)
        side = "inbound" if direction == CallDirection.IN else "outbound"
        r[side] += int(n)
        r[f"{side}_answered"] += int(answered)
        r[f"{side}_talk_s"] += float(talk or 0)
    rows = sorted(out.values(),
                  key=lambda r: (r["first"], -(r["inbound"] + r["outbound"]), r["login"]))
    for r in rows:
        # the chart's bar: the employee, whose periods the chart sums
        r["who"] = r["name"] or r["login"]
    return rows


register(ReportDef(
    name="employee-calls",
    title=N("reports", "Employee calls"),
    columns=(Col("period", N("reports", "Period")),
             Col("login", N("reports", "Employee no.")),
             Col("name", N("reports", "Employee")),
             Col("department", N("reports", "Department")),
             Col("inbound", N("reports", "Inbound calls"), "int"),
             Col("inbound_answered", N("reports", "Inbound answered"), "int"),
             Col("outbound", N("reports", "Outbound calls"), "int"),
             Col("outbound_answered", N("reports", "Outbound connected"), "int"),
             Col("inbound_talk_s", N("reports", "Inbound talk time"), "duration"),
             Col("outbound_talk_s", N("reports", "Outbound talk time"), "duration")),
    compute=employee_calls,
    params=(GRAIN,),
    chart=ChartSpec("bar", "who", ("inbound", "outbound")),
    # the employee's department, not the ACD group: outbound calls have no ACD group,
    # and an agent logged into several groups would be split between them
    group="department",
    order=910,
    menu_text=N("reports", "&Employee calls"),
))


# -- 客户资料数统计 -------------------------------------------------------------------------
CLASS_TITLES = {CustomerClass.A: N("reports", "A VIP"), CustomerClass.B: N("reports", "B Key"),
                CustomerClass.C: N("reports", "C Ordinary"),
                CustomerClass.D: N("reports", "D Dead")}
SOURCE_TITLES = {CustomerSource.DIRECT: N("reports", "Direct sale"),
                 CustomerSource.CALLBACK: N("reports", "Callback"),
                 CustomerSource.TRANSFER: N("reports", "Transferred")}
NO_REGION = N("reports", "No region")
BY_TITLES = {"class": N("reports", "Class"), "source": N("reports", "Source"),
             "region": N("reports", "Region")}
BY = Param("by", N("reports", "By"),
           (Choice("class", BY_TITLES["class"]), Choice("source", BY_TITLES["source"]),
            Choice("region", BY_TITLES["region"]), Choice("all", N("reports", "All"))))


def _customer_dim(by: str, counts: dict[tuple, list[int]], regions: dict[int, str]) -> list[Row]:
    """One grouping rolled up from the (class, source, region) counts: per class / source /
    region, the customers registered in the period and those on file at its end."""
    index = {"class": 0, "source": 1, "region": 2}[by]
    titles = CLASS_TITLES if by == "class" else SOURCE_TITLES if by == "source" else {}
    out: dict[str, Row] = {}
    for key, (registered, on_file) in counts.items():
        value = key[index]
        if by == "region":
            # a region id whose row is gone reads as no region: it is none the user can pick
            value = regions.get(value) if value is not None else None
        r = out.get(value or "")
        if r is None:
            item = titles.get(value, value) if value else NO_REGION
            r = out[value or ""] = Row(grouping=BY_TITLES[by], key=value or "", item=item,
                                       registered=0, on_file=0)
        r["registered"] += registered
        r["on_file"] += on_file
    rows = list(out.values())
    total = sum(r["on_file"] for r in rows)
    for r in rows:
        r["share"] = ratio(r["on_file"], total)
    if by == "region":
        rows.sort(key=lambda r: (-r["on_file"], r["key"]))
    else:
        order = list(titles)
        rows.sort(key=lambda r: (order.index(r["key"]) if r["key"] in order else len(order),
                                 r["key"]))
    return rows


def customer_counts(s, q: Query) -> list[Row]:
    """One read of the customers on file at the period's end, grouped by class, source and
    region at once (a few hundred groups), whichever grouping was asked for."""
    start, end = bounds(q.date_from, q.date_to)
    by = q.param("by")
    stmt = (select(Customer.customer_class, Customer.source, Customer.region_id,
                   func.sum(case((Customer.registered_at >= start, 1), else_=0)), func.count())
            .where(Customer.registered_at < end)
            .group_by(Customer.customer_class, Customer.source, Customer.region_id))
    counts = {(cls, source, region): [int(new or 0), int(n)]
              for cls, source, region, new, n in s.execute(stmt)}
    regions = dict(s.execute(select(Region.id, Region.name)).all()) if by in ("region", "all") else {}
    rows: list[Row] = []
    for dim in (("class", "source", "region") if by == "all" else (by,)):
        rows += _customer_dim(dim, counts, regions)
    return rows


def _customer_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", BY.default)
    first = ((Col("grouping", N("reports", "Grouping"), translated=True),
              Col("item", N("reports", "Item"), translated=True))
             if by == "all" else
             (Col("item", BY_TITLES.get(by, BY_TITLES["class"]), translated=True),))
    return first + (Col("registered", N("reports", "Registered in period"), "int"),
                    Col("on_file", N("reports", "On file at period end"), "int"),
                    Col("share", N("reports", "Share on file"), "percent"))


def _customer_total(rows: Sequence[Row]) -> Row:
    # every customer is in exactly one row of each grouping: with all three the total is
    # the first grouping's, not the sum of the three
    first = [r for r in rows if rows and r["grouping"] == rows[0]["grouping"]]
    return Row(registered=sum(r["registered"] for r in first),
               on_file=sum(r["on_file"] for r in first), share=1.0 if first else 0.0)


def _customer_chart(params: Mapping[str, str]) -> ChartSpec:
    by = params.get("by", BY.default)
    if by in ("class", "source"):
        return ChartSpec("pie", "item", ("on_file",))
    return ChartSpec("bar", "item", ("registered", "on_file"))


register(ReportDef(
    name="customer-counts",
    title=N("reports", "Customer records"),
    columns=_customer_columns,
    compute=customer_counts,
    params=(BY,),
    chart=_customer_chart,
    total=_customer_total,
    order=920,
    menu_text=N("reports", "&Customer records"),
))


# -- 资料分配利用率统计 ---------------------------------------------------------------------
ROLE = Param("role", N("reports", "Allocated as"),
             (Choice("any", N("reports", "Owner or callback agent")),
              Choice("owner", N("reports", "Owner")),
              Choice("callback", N("reports", "Callback agent"))))


def _allocated_to(role: str, who):
    """SQL: the customer is allocated to the employee id `who` (所属人员 / 回访人员)."""
    if role == "owner":
        return Customer.owner_id == who
    if role == "callback":
        return Customer.callback_agent_id == who
    return or_(Customer.owner_id == who, Customer.callback_agent_id == who)


def allocation_use(s, q: Query) -> list[Row]:
    """Per employee: the customers allocated to them (on file at the period's end), how
    many of those they contacted in the period, how many bought from them in it."""
    start, end = bounds(q.date_from, q.date_to)
    role = q.param("role")
    staff = _Staff(s, q.group)
    ids = sorted(staff.by_id)
    if staff.filtered and not ids:
        return []

    # allocated: one read of the customers on file, grouped by (owner, callback agent) —
    # at most employees² groups — rolled up per employee in Python; a customer both owned
    # by and called back by one employee counts once for them
    allocated: dict[int, int] = {}
    pairs = (select(Customer.owner_id, Customer.callback_agent_id, func.count())
             .where(Customer.registered_at < end)
             .group_by(Customer.owner_id, Customer.callback_agent_id))
    for owner, callback, n in s.execute(pairs):
        mine = set()
        if role in ("any", "owner") and owner is not None:
            mine.add(owner)
        if role in ("any", "callback") and callback is not None:
            mine.add(callback)
        for eid in mine:
            if not staff.filtered or eid in staff.by_id:
                allocated[eid] = allocated.get(eid, 0) + int(n)

    def reached(table, who, at, *extra) -> dict[int, int]:
        # distinct allocated customers with a row by their employee in the period: each
        # row of the period read once (its time index) with its customer by primary key.
        # No registered_at test: a customer with a contact or an order in the period was
        # on file by the period's end.
        stmt = customer_lookup(select(who, func.count(func.distinct(table.customer_id)))
                               .join(Customer, Customer.id == table.customer_id)
                               .where(at >= start, at < end, _allocated_to(role, who), *extra)
                               .group_by(who))
        if staff.filtered:
            stmt = stmt.where(who.in_(ids))
        return {eid: int(n) for eid, n in s.execute(stmt)}

    contacted = reached(Contact, Contact.employee_id, Contact.at)
    ordered = reached(SalesOrder, SalesOrder.employee_id, SalesOrder.created_at,
                      SalesOrder.status.not_in([str(x) for x in NOT_SALES]))
    rows = []
    for eid in set(allocated) | set(contacted) | set(ordered):
        login, name, dept = staff.by_id.get(eid, (str(eid), "", ""))
        rows.append(_alloc_rates(Row(login=login, name=name, department=dept,
                                     allocated=allocated.get(eid, 0),
                                     contacted=contacted.get(eid, 0),
                                     ordered=ordered.get(eid, 0))))
    rows.sort(key=lambda r: (-r["allocated"], r["login"]))
    return rows


def _alloc_rates(r: Row) -> Row:
    r["contact_rate"] = ratio(r["contacted"], r["allocated"])
    r["order_rate"] = ratio(r["ordered"], r["allocated"])
    return r


def _alloc_total(rows: Sequence[Row]) -> Row:
    return _alloc_rates(Row(allocated=sum(r["allocated"] for r in rows),
                            contacted=sum(r["contacted"] for r in rows),
                            ordered=sum(r["ordered"] for r in rows)))


register(ReportDef(
    name="allocation-use",
    title=N("reports", "Allocation use"),
    columns=(Col("login", N("reports", "Employee no.")),
             Col("name", N("reports", "Employee")),
             Col("department", N("reports", "Department")),
             Col("allocated", N("reports", "Allocated"), "int"),
             Col("contacted", N("reports", "Contacted"), "int"),
             Col("contact_rate", N("reports", "Contact rate"), "percent"),
             Col("ordered", N("reports", "Ordered"), "int"),
             Col("order_rate", N("reports", "Order rate"), "percent")),
    compute=allocation_use,
    params=(ROLE,),
    chart=ChartSpec("bar", "name", ("allocated", "contacted", "ordered")),
    group="department",
    total=_alloc_total,
    order=930,
    menu_text=N("reports", "&Allocation use"),
))
