"""Couriers' sheets: delivery results applied as 出库反馈, and COD remittances reconciled
(代收货款对账). One engine for the desk's window and `agent-admin logistics`.

A site receives an Excel (.xlsx/.xls) or CSV sheet a day from each courier. Reading it:
- CSV in UTF-8 (with or without BOM) or GBK/GB18030, the two encodings such sheets come in;
- the header row is found among the first rows (a merged title above it is passed over,
  and a header cell merged across columns names each of them), by the header names of
  the courier's profile (`courier_profile`, remembered per courier after each import);
- waybills as Excel numbers (1.23456789012E+11 stored as a float) are read back to their
  digits; text in scientific notation ("1.23457E+11", a CSV saved by Excel) has lost
  digits and the row is refused, saying so;
- amounts as "¥1,280.00", "1280", "1.28E+03"; dates as dates, text or Excel serial numbers.

Each row gets a fate: applied, or refused with the reason (unknown order, duplicate of an
earlier row, a state that is not final, a parcel already fed back or not confirmed …).
Applying is one transaction: every good row or, on a database error, none. `dry_run`
reports the same fates and writes nothing. A state maps to ours through the profile's
`statuses` (kuaidi100: 3 签收 → delivered; 4 退签, 6 退回, 14 拒签 → returned; kdniao:
301/302/304/311 → delivered; 404, 406, 407 → returned); a state it does not map is not
final (in transit), and the row is skipped, not refused.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_app.errors import ValidationError
from agent_app.services.base import Actor, audit, db_errors, require, writes
from agent_app.services.logistics import FeedbackEntry, LogisticsService, refusal
from agent_app.services.orders import recompute_order_state
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import FeedbackResult, FeedbackState, OrderStatus, Payment, Permission
from db.models import CodRemittance, CourierProfile, DispatchFeedback, SalesOrder
from db.seed import COURIER_PROFILES, GENERIC_COLUMNS, GENERIC_STATUSES

MAX_ROWS = 50_000
HEADER_SEARCH = 10            # rows looked at for the header
FIELDS = ("waybill", "order_no", "status", "amount", "fee", "date", "remark")
EXCEL_EPOCH = dt.date(1899, 12, 30)
SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")


class SheetError(ValidationError):
    """The file as a whole cannot be read (nothing is applied)."""

    code = "sheet_invalid"


# -- reading ------------------------------------------------------------------------------------
def read_rows(path: str | Path) -> list[list]:
    """The first sheet's rows as Python values (CSV: text), merged header cells filled."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(path.read_bytes())
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            return _read_book(path)
    except OSError as exc:
        raise SheetError(QT_TRANSLATE_NOOP("errors", "Cannot read {file}: {detail}"),
                         file=path.name, detail=exc.strerror or str(exc)) from exc
    raise SheetError(QT_TRANSLATE_NOOP(
        "errors", "{file}: a courier's sheet is .xlsx, .xls or .csv."), file=path.name)


def _read_csv(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):   # GB18030 reads GBK and GB2312 as well
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes every byte string
        raise SheetError(QT_TRANSLATE_NOOP("errors", "The file is neither UTF-8 nor GBK text."))
    return [row for row in csv.reader(io.StringIO(text, newline=""))]


def _read_book(path: Path) -> list[list]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = [list(r) for r in sheet.to_python()]
        merged = sheet.merged_cell_ranges or []
    except OSError:           # a missing or unreadable file: read_rows says which
        raise
    except Exception as exc:  # noqa: BLE001 - calamine's errors are its own types
        raise SheetError(QT_TRANSLATE_NOOP("errors", "{file} is not a readable Excel sheet."),
                         file=path.name) from exc
    for (r0, c0), (r1, c1) in merged:       # a merged cell's value names every cell of it
        if r0 >= HEADER_SEARCH:
            continue
        value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                if rows[r][c] in ("", None):
                    rows[r][c] = value
    return rows


def cell_text(value) -> str:
    """A cell as text; an Excel number that is a whole number loses its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


def parse_amount(value) -> Decimal:
    """"¥1,280.00", "1280", 1280.0, "1.28E+03" → Decimal("1280.00")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = cell_text(value).replace(",", "").replace("，", "").replace(" ", "")
        text = text.lstrip("¥￥").removesuffix("元")
        try:
            d = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError(QT_TRANSLATE_NOOP("errors", "not an amount")) from None
    if not d.is_finite() or d < 0 or d >= Decimal("10000000"):
        raise ValueError(QT_TRANSLATE_NOOP("errors", "not an amount"))
    return d.quantize(Decimal("0.01"))


def parse_date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:           # an Excel serial day (1954 … 2119)
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(QT_TRANSLATE_NOOP("errors", "not a date"))
    text = cell_text(value)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date(float(text))
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S",
                "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text[:19], fmt).date()
        except ValueError:
            continue
    raise ValueError(QT_TRANSLATE_NOOP("errors", "not a date"))


def reference(value) -> str:
    """A waybill or order number as the sheet holds it, or ValueError."""
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(QT_TRANSLATE_NOOP("errors", "a number with decimals"))
    text = cell_text(value)
    if SCIENTIFIC.match(text):
        raise ValueError(QT_TRANSLATE_NOOP(
            "errors", "in scientific notation, its digits are lost: format the column as text"))
    if len(text) > 32:
        raise ValueError(QT_TRANSLATE_NOOP("errors", "longer than 32 characters"))
    return text


# -- the engine ----------------------------------------------------------------------------------
@dataclass
class SheetRow:
    line: int                     # the sheet's row number (1-based, as Excel shows it)
    ref: str = ""
    order_id: int | None = None
    order_no: str = ""
    result: str = ""              # delivered / returned (results)
    amount: Decimal | None = None
    fee: Decimal = Decimal("0.00")
    day: dt.date | None = None
    remark: str = ""
    fate: str = ""                # applied, skipped, refused, flagged
    reason: str = ""              # why (a source text of context "errors", with params)
    params: dict = field(default_factory=dict)
    expected: Decimal | None = None  # the order's COD amount (remittances)


@dataclass
class SheetOutcome:
    kind: str                     # results / remittance
    courier: str
    rows: list[SheetRow]
    dry_run: bool
    header_line: int
    missing: list[SheetRow] = field(default_factory=list)   # COD delivered, no remittance

    @property
    def applied(self) -> int:
        return sum(1 for r in self.rows if r.fate in ("applied", "flagged"))

    @property
    def refused(self) -> list[SheetRow]:
        return [r for r in self.rows if r.fate == "refused"]

    def totals(self) -> dict[str, Decimal]:
        matched = [r for r in self.rows if r.fate in ("applied", "flagged")]
        expected = sum((r.expected or Decimal(0) for r in matched), Decimal("0.00"))
        remitted = sum((r.amount or Decimal(0) for r in matched), Decimal("0.00"))
        return {"expected": expected, "remitted": remitted, "difference": remitted - expected,
                "fees": sum((r.fee for r in matched), Decimal("0.00")),
                "missing": sum((r.expected or Decimal(0) for r in self.missing),
                               Decimal("0.00"))}


def _refuse(row: SheetRow, reason: str, **params) -> None:
    row.fate, row.reason, row.params = "refused", reason, params


class CourierSheetService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def couriers(self) -> list[str]:
        with db_errors(), self.db.reading() as s:
            names = set(s.scalars(select(CourierProfile.name)))
        return sorted(names | set(COURIER_PROFILES))

    def profile(self, s: Session, courier: str) -> tuple[dict, dict]:
        stored = s.scalar(select(CourierProfile).where(CourierProfile.name == courier))
        if stored is not None:
            return stored.columns, stored.statuses
        base = COURIER_PROFILES.get(courier, {"columns": GENERIC_COLUMNS,
                                              "statuses": GENERIC_STATUSES})
        return base["columns"], base["statuses"]

    # -- the two imports ------------------------------------------------------------------------
    @writes
    def import_results(self, actor: Actor, path: str | Path, courier: str, *,
                       dry_run: bool = False) -> SheetOutcome:
        require(actor, Permission.DISPATCH_FEEDBACK)
        courier = self._courier(courier)
        raw = read_rows(path)
        with db_errors(), self.db.transaction() as s:
            columns, statuses = self.profile(s, courier)
            header, at, rows = self._rows(raw, columns, ("status",))
            self._parse(rows, raw, header, at, statuses=statuses)
            orders = self._match(s, rows, lock=not dry_run)
            touched: set[int] = set()
            logistics = LogisticsService(self.db)
            for row in rows:
                if row.fate:
                    continue
                o = orders[row.order_id]
                problem = refusal(s, o, "feedback")
                if problem is not None:
                    fb = s.scalar(select(DispatchFeedback).where(
                        DispatchFeedback.order_id == o.id))
                    if fb is not None and fb.result == row.result:
                        row.fate, row.reason = "skipped", QT_TRANSLATE_NOOP(
                            "errors", "already recorded")
                        continue
                    _refuse(row, problem.template, **problem.params)
                    continue
                row.fate = "applied"
                if not dry_run:
                    logistics.apply_feedback(s, actor, o, FeedbackEntry(
                        o.id, row.result, None, row.fee, row.remark[:200]), source=courier)
                    touched.add(o.customer_id)
            outcome = SheetOutcome("results", courier, rows, dry_run, at + 1)
            if dry_run:
                s.rollback()
                return outcome
            s.flush()
            recompute_order_state(s, touched)
            self._remember(s, actor, courier, columns, statuses, raw[at], header)
            audit(s, actor.login, "courier.import_results", courier, file=Path(path).name,
                  applied=outcome.applied, refused=len(outcome.refused))
            return outcome

    @writes
    def import_remittance(self, actor: Actor, path: str | Path, courier: str, *,
                          dry_run: bool = False) -> SheetOutcome:
        """代收货款对账: each remitted amount against the parcel's COD amount. Flags (and
        records) amount differences; refuses remittances for returned, undelivered or
        unknown parcels and duplicates; lists the delivered COD parcels of the sheet's
        period that no sheet has remitted."""
        require(actor, Permission.DISPATCH_FEEDBACK)
        courier = self._courier(courier)
        raw = read_rows(path)
        with db_errors(), self.db.transaction() as s:
            columns, statuses = self.profile(s, courier)
            header, at, rows = self._rows(raw, columns, ("amount",))
            self._parse(rows, raw, header, at, statuses=None)
            orders = self._match(s, rows, lock=False)
            done = set(s.scalars(select(CodRemittance.order_id).where(
                CodRemittance.order_id.in_([r.order_id for r in rows if r.order_id]))))
            for row in rows:
                if row.fate:
                    continue
                o = orders[row.order_id]
                row.expected = o.total if o.payment == Payment.COD else Decimal("0.00")
                if o.id in done:
                    _refuse(row, QT_TRANSLATE_NOOP("errors", "remitted already by an earlier sheet"))
                elif o.status == OrderStatus.VOIDED and o.feedback_state == FeedbackState.ACCEPTED:
                    _refuse(row, QT_TRANSLATE_NOOP("errors", "a remittance for a returned parcel"))
                elif o.status != OrderStatus.ACCEPTED:
                    _refuse(row, QT_TRANSLATE_NOOP("errors", "the parcel is not delivered"))
                elif row.amount != row.expected:
                    row.fate, row.reason = "flagged", QT_TRANSLATE_NOOP(
                        "errors", "remitted {amount}, the order's COD amount is {expected}")
                    row.params = {"amount": f"{row.amount:,.2f}", "expected": f"{row.expected:,.2f}"}
                else:
                    row.fate = "applied"
                if row.fate in ("applied", "flagged") and not dry_run:
                    s.add(CodRemittance(order_id=o.id, courier=courier, amount=row.amount,
                                        fee=row.fee, remitted_on=row.day, actor_login=actor.login,
                                        source_file=Path(path).name[:200]))
            outcome = SheetOutcome("remittance", courier, rows, dry_run, at + 1)
            outcome.missing = self._missing(s, rows, {r.order_id for r in rows if r.order_id})
            if dry_run:
                s.rollback()
                return outcome
            s.flush()
            self._remember(s, actor, courier, columns, statuses, raw[at], header)
            audit(s, actor.login, "courier.import_remittance", courier, file=Path(path).name,
                  applied=outcome.applied, refused=len(outcome.refused))
            return outcome

    # -- the steps ------------------------------------------------------------------------------
    @staticmethod
    def _courier(name: str) -> str:
        name = (name or "").strip()
        if not name or len(name) > 32:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Name the courier (at most 32 characters)."), field="courier")
        return name

    @staticmethod
    def _rows(raw: list[list], columns: dict, needed: Sequence[str]):
        """(field → column index, the header's row index, a SheetRow per data row)."""
        if len(raw) > MAX_ROWS + HEADER_SEARCH:
            raise SheetError(QT_TRANSLATE_NOOP(
                "errors", "The sheet has more than {n} rows; split it."), n=MAX_ROWS)
        for at, cells in enumerate(raw[:HEADER_SEARCH]):
            texts = [cell_text(c) for c in cells]
            header = {}
            for name in FIELDS:
                for candidate in columns.get(name, ()):
                    if candidate in texts:
                        header[name] = texts.index(candidate)
                        break
            if "waybill" in header or "order_no" in header:
                missing = [n for n in needed if n not in header]
                if missing:
                    raise SheetError(QT_TRANSLATE_NOOP(
                        "errors", "The sheet has no column for: {fields} (its header: {header})."),
                        fields=", ".join(missing), header=", ".join(t for t in texts if t)[:200])
                rows = [SheetRow(line=at + 2 + i) for i in range(len(raw) - at - 1)]
                return header, at, rows
        raise SheetError(QT_TRANSLATE_NOOP(
            "errors", "No header row with a waybill or order number column in the first {n} "
                      "rows."), n=HEADER_SEARCH)

    @staticmethod
    def _parse(rows: list[SheetRow], raw: list[list], header: dict, at: int, *,
               statuses: dict | None) -> None:
        def get(cells, name):
            i = header.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        seen: dict[str, int] = {}
        for row in rows:
            cells = raw[row.line - 1]
            if not any(cell_text(c) for c in cells):
                row.fate, row.reason = "skipped", QT_TRANSLATE_NOOP("errors", "empty row")
                continue
            try:
                row.ref = reference(get(cells, "waybill")) or reference(get(cells, "order_no"))
            except ValueError as exc:
                _refuse(row, QT_TRANSLATE_NOOP("errors", "the number is {problem}"),
                        problem=str(exc))
                continue
            if not row.ref:
                _refuse(row, QT_TRANSLATE_NOOP("errors", "no waybill or order number"))
                continue
            if row.ref in seen:
                _refuse(row, QT_TRANSLATE_NOOP("errors", "a duplicate of row {line}"),
                        line=seen[row.ref])
                continue
            seen[row.ref] = row.line
            row.remark = cell_text(get(cells, "remark"))[:200]
            try:
                if "fee" in header and cell_text(get(cells, "fee")):
                    row.fee = parse_amount(get(cells, "fee"))
                if "amount" in header:
                    row.amount = parse_amount(get(cells, "amount"))
                row.day = parse_date(get(cells, "date")) if "date" in header else None
            except ValueError as exc:
                _refuse(row, QT_TRANSLATE_NOOP("errors", "a value is {problem}"), problem=str(exc))
                continue
            if statuses is not None:
                state = cell_text(get(cells, "status"))
                result = statuses.get(state)
                if result not in (FeedbackResult.DELIVERED, FeedbackResult.RETURNED):
                    row.fate, row.reason = "skipped", QT_TRANSLATE_NOOP(
                        "errors", "state {state} is not final")
                    row.params = {"state": state or "-"}
                    continue
                row.result = result

    @staticmethod
    def _match(s: Session, rows: list[SheetRow], *, lock: bool) -> dict[int, SalesOrder]:
        """Each row's order by waybill, else by order number (in chunks, indexed)."""
        refs = [r.ref for r in rows if not r.fate]
        by_ref: dict[str, SalesOrder] = {}
        for i in range(0, len(refs), 500):
            chunk = refs[i:i + 500]
            for column in (SalesOrder.order_no, SalesOrder.waybill_no):
                stmt = select(SalesOrder).where(column.in_(chunk)).order_by(SalesOrder.id)
                if lock:
                    stmt = stmt.with_for_update()
                for o in s.scalars(stmt):
                    key = o.order_no if column is SalesOrder.order_no else o.waybill_no
                    by_ref.setdefault(key, o)
        orders: dict[int, SalesOrder] = {}
        for row in rows:
            if row.fate:
                continue
            o = by_ref.get(row.ref)
            if o is None:
                _refuse(row, QT_TRANSLATE_NOOP("errors", "no order has this number"))
                continue
            row.order_id, row.order_no = o.id, o.order_no
            orders[o.id] = o
        return orders

    @staticmethod
    def _missing(s: Session, rows: list[SheetRow], seen: set[int]) -> list[SheetRow]:
        """Delivered COD parcels fed back in the sheet's period (its first to last date)
        that neither this sheet nor an earlier one remitted."""
        days = [r.day for r in rows if r.day is not None]
        if not days:
            return []
        from agent_app.services.orders import site_day_bounds

        start, end = site_day_bounds(min(days), max(days))
        found = s.execute(
            select(SalesOrder.id, SalesOrder.order_no, SalesOrder.total)
            .join(DispatchFeedback, DispatchFeedback.order_id == SalesOrder.id)
            .outerjoin(CodRemittance, CodRemittance.order_id == SalesOrder.id)
            .where(DispatchFeedback.at >= start, DispatchFeedback.at < end,
                   DispatchFeedback.result == FeedbackResult.DELIVERED,
                   SalesOrder.payment == Payment.COD, CodRemittance.id.is_(None))
            .order_by(SalesOrder.id))
        return [SheetRow(line=0, order_id=oid, order_no=no, expected=total, fate="missing")
                for oid, no, total in found if oid not in seen]

    @staticmethod
    def _remember(s: Session, actor: Actor, courier: str, columns: dict, statuses: dict,
                  header_cells: list, header: dict) -> None:
        """The headers this sheet used go first in the courier's profile."""
        texts = [cell_text(c) for c in header_cells]
        learned = {name: list(dict.fromkeys([texts[i], *columns.get(name, [])]))
                   for name, i in header.items()}
        merged = {**columns, **learned}
        stored = s.scalar(select(CourierProfile).where(CourierProfile.name == courier))
        if stored is None:
            s.add(CourierProfile(name=courier, columns=merged, statuses=dict(statuses),
                                 updated_by_login=actor.login))
        elif stored.columns != merged:
            stored.columns = merged
            stored.updated_by_login = actor.login


def fate_text(row: SheetRow, translate=lambda text: text) -> str:
    """A row's reason as a sentence (translated by `translate` when given)."""
    if not row.reason:
        return ""
    params = {k: translate(v) if k == "problem" else v for k, v in row.params.items()}
    try:
        return translate(row.reason).format(**params)
    except (KeyError, IndexError):
        return translate(row.reason)

