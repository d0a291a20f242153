"""统计分析: every report, defined once and run the same way by the desk's windows and by
`agent-admin report` (docs/statistics.md).

A report is a `ReportDef` in `REPORTS`, registered by the module that computes it
(agent_app/reports/calls.py, sales.py, …):

    register(ReportDef(
        name="daily-calls",                      # agent-admin report NAME; stable
        title=QT_TRANSLATE_NOOP("reports", "Daily calls"),
        columns=(Col("day", QT_TRANSLATE_NOOP("reports", "Day"), "date"), ...),
        compute=daily_calls,                     # (session, query) -> list[Row]
        chart=ChartSpec("bar", "day", ("answered", "abandoned")),
    ))

- `compute` gets a read-only session and a `Query` (the period in site days, the chosen
  params, the group); it returns `Row`s, whose keys are the columns' attrs. It runs on a
  worker thread (the desk) or in agent-admin, never on the GUI thread.
- Titles are source strings of the translation context "reports"; the desk translates
  them (QCoreApplication.translate("reports", …)), agent-admin writes them as they are.
- `permission`: Permission.STATISTICS (统计) for the supervisor's reports; None for the
  sales statistics every user may see (the manual: without 统计 only sales statistics).
- `columns` and `chart` may be functions of the params, for a report whose first column is the
  dimension the user chose (by medium / by seller / …).
- A text column whose cells are source strings of "reports" (a customer class's
  "A VIP") says `translated=True`: the desk shows, charts and exports them translated.
- The totals row: `total(rows)` when given, else the sum of the int, money, number and
  duration columns (a ratio or an average is not a sum: those reports give `total`).

Core code: no Qt. The service (agent_app/services/reports.py) checks the permission and
the input, runs `compute` and writes the Excel file.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from db.enums import Permission

KINDS = ("text", "int", "number", "money", "percent", "date", "datetime", "duration")
SUMMED = ("int", "number", "money", "duration")


class Row(dict):
    """One report row: a dict whose keys also read as attributes (the desk's table reads
    `row.attr`, the Excel writer and the tests read `row["attr"]`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Col:
    attr: str
    title: str                # source text, context "reports"
    kind: str = "text"
    # the cells are source texts of context "reports" (a class's "A VIP"), shown and
    # exported translated by the desk; agent-admin writes them as they are
    translated: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Choice:
    value: str
    title: str                # source text, context "reports"


@dataclass(frozen=True)
class Param:
    """A filter with fixed choices (统计周期: day/week/…, 按: medium/seller/…)."""

    name: str
    title: str
    choices: tuple[Choice, ...]
    default: str = ""

    def __post_init__(self) -> None:
        if not self.default:
            object.__setattr__(self, "default", self.choices[0].value)

    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


@dataclass(frozen=True)
class ChartSpec:
    kind: str                          # bar / line / pie
    category: str                      # the attr along the axis (or the pie's slices)
    series: tuple[str, ...]            # attrs drawn (their column titles name them)
    # a bar or pie chart's largest N categories (a ranking's top): the chart sits beside
    # the table, about 350 px wide at 1366×768, where 30 bars' labels overlapped
    limit: int = 15


@dataclass(frozen=True)
class Query:
    date_from: dt.date                 # site calendar days, both included
    date_to: dt.date
    params: Mapping[str, str] = field(default_factory=dict)
    group: str | None = None           # see ReportDef.group
    settings: Mapping[str, str] = field(default_factory=dict)  # system_setting values

    def param(self, name: str) -> str:
        return self.params[name]


Compute = Callable[[Any, Query], list[Row]]


@dataclass(frozen=True)
class ReportDef:
    name: str
    title: str
    columns: tuple[Col, ...] | Callable[[Mapping[str, str]], tuple[Col, ...]]
    compute: Compute
    permission: Permission | None = Permission.STATISTICS
    params: tuple[Param, ...] = ()
    # a ChartSpec, or a function of the params for a report whose chart depends on them
    # (a pie for a few classes, bars for many regions)
    chart: ChartSpec | None | Callable[[Mapping[str, str]], ChartSpec | None] = None
    # what --group / the 组 filter means: "" none, "acd" the ACD group a call came in on,
    # "department" the seller's or the employee's department (部门) name
    group: str = ""
    total: Callable[[Sequence[Row]], Row] | None = None
    order: int = 100                   # the menu's order
    menu_text: str = ""                # the menu's text when it differs from the title
    # the desk's window re-runs it every minute while shown and the period includes today
    # (广告响应 while the advert airs)
    live: bool = False
    menu: str = "statistics"           # the desk's menu: statistics, or logistics (物流管理)
    # a row key whose true value paints the row red in the window (退包 in 出库反馈明细表)
    highlight: str = ""

    def columns_for(self, params: Mapping[str, str]) -> tuple[Col, ...]:
        return self.columns(params) if callable(self.columns) else self.columns

    def chart_for(self, params: Mapping[str, str]) -> ChartSpec | None:
        return self.chart(params) if callable(self.chart) else self.chart

    def totals(self, rows: Sequence[Row], params: Mapping[str, str]) -> Row:
        if self.total is not None:
            return self.total(rows)
        out = Row()
        for c in self.columns_for(params):
            if c.kind in SUMMED:
                out[c.attr] = sum((r.get(c.attr) or 0) for r in rows)
        return out


REPORTS: dict[str, ReportDef] = {}


def register(defn: ReportDef) -> ReportDef:
    if defn.name in REPORTS:
        raise ValueError(f"report {defn.name!r} registered twice")
    REPORTS[defn.name] = defn
    return defn


def ratio(a: float, b: float) -> float:
    """a ÷ b, 0 when b is 0 (a report row with no calls shows 0 %, not an error)."""
    return a / b if b else 0.0


# A period's orders and contacts look up their customer's allocation and region in this
# narrow index (migration 0006: id, owner, callback agent, region; about 30 MB for a
# million customers), which stays in the buffer pool. Left to itself MariaDB joins by the
# primary key, the customer's whole row: a random disk read per order once the customer
# file outgrows the pool (a month's contacts for 资料分配利用率统计: 5.7 s, with the index
# 0.3 s). Only reports that need no other customer column may use it.
CUSTOMER_LOOKUP_INDEX = "ix_customer_id_owner_id_callback_agent_id_region_id_name"


def customer_lookup(stmt):
    """`stmt`, whose join to customer reads only id, owner_id, callback_agent_id,
    region_id and name, told to read them from CUSTOMER_LOOKUP_INDEX (MySQL/MariaDB; SQLite, a
    workstation's small file, chooses for itself)."""
    from db.models import Customer

    return stmt.with_hint(Customer, f"FORCE INDEX ({CUSTOMER_LOOKUP_INDEX})", "mysql")


def load_all() -> dict[str, ReportDef]:
    """Import every report module (each registers its reports); the registry, by name."""
    from agent_app.reports import catalog  # noqa: F401 - imports the report modules

    return REPORTS
