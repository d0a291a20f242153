"""Sales statistics (第二章 第七节): 销售出库导出, 媒体销售明细表, 销售明细表, 销售统计表.

Definitions (docs/statistics.md, "### Sales"):
- An order counts on the site day of its `created_at` (the day it was taken); the
  dispatch export alone counts by `confirmed_at` (the day it was handed to logistics).
- Cancelled (取消单) and voided (已作废) orders are left out of every figure.
- Amount = Σ unit_price × quantity of the order's lines. `sales_order.total` holds the
  same sum (OrderService writes it from the lines; on the demo data every order agrees),
  but the quantities and the per-product figures need the lines anyway, and one
  definition everywhere keeps the per-product amounts adding up to the per-seller ones.
- Quantity = Σ quantity of the lines (gifts 赠品 included: they leave the warehouse);
  orders = distinct orders. 试单 (trial) is the line's flag; trial lines are counted in
  the figures and shown again in their own columns, so a reader can take them out.
- Seller = the order's employee; department = that employee's department now (an
  employee who moved takes his past sales with him).

Each report is one SQL query grouped in the database by the site day and its
dimensions; Python only rolls days up to weeks/months/… and ranks. The query reads
sales_order by its created_at index (the export: by its confirmed_at index, migration
0005) and joins the lines by their order_id index, so a year costs about twelve times a
month.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import case, distinct, func, select

from agent_app.errors import TooMany
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
from agent_app.reports.period import as_date, bounds, bucket, local_day, to_local
from agent_app.tr import QT_TRANSLATE_NOOP as N
from db.enums import OrderStatus, Payment, Permission
from db.models import Customer, Department, Employee, Medium, OrderLine, Product, SalesOrder

CENT = Decimal("0.01")
NONE = "—"  # an order without a medium / seller / department: its own row, not dropped
ZERO = Decimal("0.00")  # Decimal is immutable: one zero shared by every row that has one
LEFT_OUT = (OrderStatus.CANCELLED.value, OrderStatus.VOIDED.value)
# 销售出库导出 lists one row per order: 100,000 rows take ~10 s and ~170 MB to build and
# write, so 150,000 is the most one list may hold. A year of a large site (~900,000 orders)
# ran into the 25-s limit after holding the worker, the GUI thread's collections and
# gigabytes; it is now refused at once, counted by the confirmed_at index
MAX_DISPATCH_ROWS = 150_000


def money(value) -> Decimal:
    """A SUM of DECIMAL(12,2) as Decimal cents (SQLite sums it as a float)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


AMOUNT = OrderLine.unit_price * OrderLine.quantity
# a product by its name and specification (two products may share a name: 标准版 / 专业版)
PRODUCT = func.trim(Product.name + " " + Product.specification)


def _sales(s, q: Query, *cols):
    """SELECT cols FROM the period's counted orders joined to their lines (and the
    seller and department, outer: an order without a seller still counts)."""
    start, end = bounds(q.date_from, q.date_to)
    return (select(*cols)
            .select_from(SalesOrder)
            .join(OrderLine, OrderLine.order_id == SalesOrder.id)
            .outerjoin(Employee, Employee.id == SalesOrder.employee_id)
            .outerjoin(Department, Department.id == Employee.department_id)
            .where(SalesOrder.created_at >= start, SalesOrder.created_at < end,
                   SalesOrder.status.not_in(LEFT_OUT)))


FIGURES = (func.count(distinct(SalesOrder.id)), func.coalesce(func.sum(OrderLine.quantity), 0),
           func.sum(AMOUNT))


def _figures(r: Row, orders, quantity, amount) -> Row:
    r["orders"] = r.get("orders", 0) + int(orders)
    r["quantity"] = r.get("quantity", 0) + int(quantity or 0)
    r["amount"] = r.get("amount", Decimal("0.00")) + money(amount)
    return r


# -- 销售出库导出 ------------------------------------------------------------------------

WAYBILL = Param("waybill", N("reports", "Waybill no."),
                (Choice("no", N("reports", "No")), Choice("yes", N("reports", "Yes"))))

_DISPATCH_COLUMNS = (
    Col("order_no", N("reports", "Order no.")),
    Col("confirmed", N("reports", "Confirmed"), "datetime"),
    Col("customer", N("reports", "Customer")),
    Col("seller", N("reports", "Seller")),
    Col("medium", N("reports", "Medium")),
    Col("delivery", N("reports", "Delivery")),
    Col("products", N("reports", "Products")),
    Col("quantity", N("reports", "Quantity"), "int"),
    Col("amount", N("reports", "Amount"), "money"),
    Col("cod", N("reports", "COD amount"), "money"),
)


def dispatch_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    """The manual: with 联号 ticked the export has the waybill column, else not."""
    if params.get("waybill") == "yes":
        return _DISPATCH_COLUMNS[:1] + (Col("waybill_no", N("reports", "Waybill no.")),) \
            + _DISPATCH_COLUMNS[1:]
    return _DISPATCH_COLUMNS


def dispatch_export(s, q: Query) -> list[Row]:
    """One row per order (a parcel: its 联号 and its COD amount are the order's, so the
    columns sum to what logistics dispatched and collects); its lines as 'name×qty'.
    One query over the orders' lines in order, folded per order here."""
    start, end = bounds(q.date_from, q.date_to)
    period = (SalesOrder.confirmed_at >= start, SalesOrder.confirmed_at < end,
              SalesOrder.confirmed.is_(True), SalesOrder.status.not_in(LEFT_OUT))
    n = s.scalar(select(func.count()).select_from(SalesOrder).where(*period))
    if n > MAX_DISPATCH_ROWS:
        raise TooMany(n=f"{n:,}", limit=f"{MAX_DISPATCH_ROWS:,}")
    stmt = (select(SalesOrder.id, SalesOrder.order_no, SalesOrder.confirmed_at,
                   Customer.name, Employee.name, Medium.name, SalesOrder.delivery_method,
                   SalesOrder.payment, SalesOrder.waybill_no, PRODUCT,
                   OrderLine.quantity, AMOUNT)
            .select_from(SalesOrder)
            .join(OrderLine, OrderLine.order_id == SalesOrder.id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Customer, Customer.id == SalesOrder.customer_id)
            .outerjoin(Employee, Employee.id == SalesOrder.employee_id)
            .outerjoin(Medium, Medium.id == SalesOrder.medium_id)
            .where(*period)            # by the confirmed_at index (migration 0005)
            .order_by(SalesOrder.confirmed_at, SalesOrder.id, OrderLine.line_no)
            # the joins in this order, from the period's orders: on the large demo data
            # MariaDB otherwise started from the ten products and read every order line
            # (a month stopped at the 25-s limit; with this, seconds)
            .prefix_with("STRAIGHT_JOIN", dialect="mysql")
            # streamed (an unbuffered cursor on MySQL), 2,000 lines at a time: the driver
            # would otherwise hold every line of the period at once beside the rows built
            # from them (89,452 orders: 100 MB more at the peak)
            .execution_options(yield_per=2000))
    # the customer's name from the narrow look-up index (migration 0007): from the table's
    # rows it was a random disk read per order on a site's data
    stmt = customer_lookup(stmt)
    rows: list[Row] = []
    # One str per distinct seller, medium, delivery and list of products: 100,000 orders
    # name a few hundred, and a copy per row was a fifth of the rows' memory (the export's
    # target is 200 MB at the peak for 100,000 rows)
    shared: dict[str, str] = {}
    order = None  # the order being folded: its first line's fields, its parts and sums
    for (oid, no, confirmed, customer, seller, medium, delivery, payment, waybill,
         product, qty, amount) in s.execute(stmt):
        if order is None or oid != order[0]:
            if order is not None:
                rows.append(_dispatch_row(order, shared))
            order = [oid, no, confirmed, customer, seller, medium, delivery, payment, waybill,
                     [], 0, ZERO]
        order[9].append(f"{product}×{qty}")
        order[10] += int(qty)
        order[11] += money(amount)
    if order is not None:
        rows.append(_dispatch_row(order, shared))
    return rows


def _dispatch_row(order: list, shared: dict[str, str]) -> Row:
    """An order's row, its dict built once with its final keys."""
    (_oid, no, confirmed, customer, seller, medium, delivery, payment, waybill, parts,
     quantity, amount) = order
    products = "、".join(parts)
    return Row(order_no=no, confirmed=to_local(confirmed), customer=customer,
               seller=shared.setdefault(seller or NONE, seller or NONE),
               medium=shared.setdefault(medium or NONE, medium or NONE),
               delivery=shared.setdefault(delivery, delivery), waybill_no=waybill or "",
               products=shared.setdefault(products, products), quantity=quantity,
               amount=amount,
               # 代收货款: the courier collects the whole amount; a prepaid order nothing
               cod=amount if payment == Payment.COD.value else ZERO)


register(ReportDef(
    name="sales-dispatch-export",
    title=N("reports", "Sales dispatch export"),
    columns=dispatch_columns,
    compute=dispatch_export,
    permission=Permission.STATISTICS,
    params=(WAYBILL,),
    order=100,
    menu_text=N("reports", "Sales dispatch &export"),
))


# -- 媒体销售明细表 ----------------------------------------------------------------------

DIMS = {"medium": Col("medium", N("reports", "Medium")),
        "seller": Col("seller", N("reports", "Seller")),
        "delivery": Col("delivery", N("reports", "Delivery"))}
MEDIA_BY = Param("by", N("reports", "By"),
                 (Choice("medium", N("reports", "Medium")),
                  Choice("seller", N("reports", "Seller")),
                  Choice("delivery", N("reports", "Delivery")),
                  Choice("all", N("reports", "Medium, seller and delivery"))))
_MEDIA_FIGURES = (
    Col("orders", N("reports", "Orders"), "int"),
    Col("quantity", N("reports", "Quantity"), "int"),
    Col("amount", N("reports", "Amount"), "money"),
    Col("trial_orders", N("reports", "Trial orders"), "int"),
    Col("trial_quantity", N("reports", "Trial quantity"), "int"),
    Col("trial_amount", N("reports", "Trial amount"), "money"),
)


def _dims(by: str) -> tuple[str, ...]:
    return ("medium", "seller", "delivery") if by == "all" else (by,)


def media_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    return tuple(DIMS[d] for d in _dims(params.get("by", "medium"))) + _MEDIA_FIGURES


def media_sales(s, q: Query) -> list[Row]:
    """Per medium / seller / delivery method (or all three): an order has one of each,
    so its distinct count adds up across the rows."""
    dims = _dims(q.param("by"))
    keys = {"medium": (SalesOrder.medium_id, Medium.name),
            "seller": (SalesOrder.employee_id, Employee.name),
            "delivery": (SalesOrder.delivery_method,)}
    group = [c for d in dims for c in keys[d]]
    trial = OrderLine.trial.is_(True)
    stmt = _sales(s, q, *group, *FIGURES,
                  func.count(distinct(case((trial, SalesOrder.id)))),
                  func.coalesce(func.sum(case((trial, OrderLine.quantity), else_=0)), 0),
                  func.sum(case((trial, AMOUNT), else_=0)))
    if "medium" in dims:
        stmt = stmt.outerjoin(Medium, Medium.id == SalesOrder.medium_id)
    stmt = stmt.group_by(*group)
    rows = []
    for rec in s.execute(stmt):
        values = list(rec)
        r = Row()
        for d in dims:
            if d == "delivery":
                r[d] = values.pop(0) or NONE
            else:
                values.pop(0)  # the id: two media or sellers of one name stay apart
                r[d] = values.pop(0) or NONE
        orders, qty, amount, t_orders, t_qty, t_amount = values
        _figures(r, orders, qty, amount)
        r["trial_orders"], r["trial_quantity"] = int(t_orders), int(t_qty or 0)
        r["trial_amount"] = money(t_amount)
        r["label"] = " ".join(r[d] for d in dims)  # the chart's bar
        rows.append(r)
    rows.sort(key=lambda r: (-r["amount"], *(r[d] for d in dims)))
    return rows


register(ReportDef(
    name="media-sales",
    title=N("reports", "Media sales detail"),
    columns=media_columns,
    compute=media_sales,
    permission=None,
    params=(MEDIA_BY,),
    chart=ChartSpec("bar", "label", ("amount",)),
    order=110,
    menu_text=N("reports", "&Media sales detail"),
))


# -- 销售明细表 -------------------------------------------------------------------------

def sales_detail(s, q: Query) -> list[Row]:
    """A department's (or everyone's) sales per day/week/month/quarter/year."""
    day = local_day(s, SalesOrder.created_at).label("day")
    stmt = _sales(s, q, day, *FIGURES).group_by(day)
    if q.group:
        stmt = stmt.where(Department.name == q.group)
    grain = q.param("grain")
    out: dict[str, Row] = {}
    for d, orders, qty, amount in s.execute(stmt):
        label, first = bucket(as_date(d), grain)
        r = out.setdefault(label, Row(period=label, first=first))
        _figures(r, orders, qty, amount)
    return sorted(out.values(), key=lambda r: r["first"])


register(ReportDef(
    name="sales-detail",
    title=N("reports", "Sales detail"),
    columns=(Col("period", N("reports", "Period")),
             Col("orders", N("reports", "Orders"), "int"),
             Col("quantity", N("reports", "Quantity"), "int"),
             Col("amount", N("reports", "Amount"), "money")),
    compute=sales_detail,
    permission=None,
    params=(GRAIN,),
    chart=ChartSpec("bar", "period", ("amount",)),
    group="department",
    order=120,
    menu_text=N("reports", "Sa&les detail"),
))


# -- 销售统计表 -------------------------------------------------------------------------

SUMMARY_BY = Param("by", N("reports", "By"),
                   (Choice("department", N("reports", "Department")),
                    Choice("product", N("reports", "Product")),
                    Choice("ranking", N("reports", "Ranking"))))


def summary_columns(params: Mapping[str, str]) -> tuple[Col, ...]:
    by = params.get("by", "department")
    if by == "product":
        return (Col("seller", N("reports", "Seller")),
                Col("product", N("reports", "Product")),
                Col("quantity", N("reports", "Quantity"), "int"),
                Col("amount", N("reports", "Amount"), "money"))
    if by == "ranking":
        return (Col("rank", N("reports", "Rank"), "int"),
                Col("seller", N("reports", "Seller")),
                Col("amount", N("reports", "Amount"), "money"),
                Col("share", N("reports", "Share"), "percent"))
    return (Col("department", N("reports", "Department")),
            Col("orders", N("reports", "Orders"), "int"),
            Col("quantity", N("reports", "Quantity"), "int"),
            Col("amount", N("reports", "Amount"), "money"))


def sales_summary(s, q: Query) -> list[Row]:
    by = q.param("by")
    if by == "department":
        stmt = _sales(s, q, Employee.department_id, Department.name, *FIGURES) \
            .group_by(Employee.department_id, Department.name)
        rows = [_figures(Row(department=name or NONE), o, n, a) for _, name, o, n, a in s.execute(stmt)]
        rows.sort(key=lambda r: (-r["amount"], r["department"]))
        for r in rows:
            r["label"] = r["department"]
        return rows
    if by == "product":
        stmt = (_sales(s, q, SalesOrder.employee_id, Employee.name, Product.id, PRODUCT,
                       func.coalesce(func.sum(OrderLine.quantity), 0), func.sum(AMOUNT))
                .join(Product, Product.id == OrderLine.product_id)
                .group_by(SalesOrder.employee_id, Employee.name, Product.id, Product.name,
                          Product.specification))
        rows = [Row(seller=seller or NONE, product=product, quantity=int(qty),
                    amount=money(amount), label=f"{seller or NONE} {product}")
                for _, seller, _, product, qty, amount in s.execute(stmt)]
        rows.sort(key=lambda r: (r["seller"], -r["amount"], r["product"]))
        return rows
    # ranking: by amount, high to low; equal amounts share a rank (1, 2, 2, 4)
    stmt = (_sales(s, q, SalesOrder.employee_id, Employee.name, func.sum(AMOUNT))
            .group_by(SalesOrder.employee_id, Employee.name))
    rows = [Row(seller=seller or NONE, amount=money(amount)) for _, seller, amount in s.execute(stmt)]
    rows.sort(key=lambda r: (-r["amount"], r["seller"]))
    whole = sum((r["amount"] for r in rows), Decimal("0.00"))
    for i, r in enumerate(rows):
        r["rank"] = rows[i - 1]["rank"] if i and rows[i - 1]["amount"] == r["amount"] else i + 1
        r["share"] = ratio(float(r["amount"]), float(whole))
        r["label"] = r["seller"]
    return rows


def _summary_total(rows: Sequence[Row]) -> Row:
    """Sums of the figures; the ranking's total has no rank and its share is the whole."""
    t = Row()
    for attr in ("orders", "quantity"):
        if rows and attr in rows[0]:
            t[attr] = sum(r[attr] for r in rows)
    t["amount"] = sum((r["amount"] for r in rows), Decimal("0.00"))
    if rows and "share" in rows[0]:
        t["share"] = 1.0 if t["amount"] else 0.0
    return t


register(ReportDef(
    name="sales-summary",
    title=N("reports", "Sales summary"),
    columns=summary_columns,
    compute=sales_summary,
    permission=None,
    params=(SUMMARY_BY,),
    chart=ChartSpec("bar", "label", ("amount",)),
    total=_summary_total,
    order=130,
    menu_text=N("reports", "Sales &summary"),
))

