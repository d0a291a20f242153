"""Couriers' sheets (services/courier_sheets.py) on SQLite and MariaDB: delivery results
applied as 出库反馈 and COD remittances reconciled, each row's fate said, bad sheets
refused whole, and nothing half-applied."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from agent_app import clock
from agent_app.errors import Forbidden
from agent_app.services.courier_sheets import (
    HEADER_SEARCH,
    MAX_ROWS,
    CourierSheetService,
    SheetError,
    fate_text,
    parse_amount,
    parse_date,
    reference,
)
from agent_app.services.logistics import LogisticsService
from db.models import CodRemittance, CourierProfile, DispatchFeedback, SalesOrder
from tests.services.depot import make


def waybill(depot, oid: int, number: str) -> str:
    with depot.db.transaction() as s:
        s.get(SalesOrder, oid).waybill_no = number
    return number


def xlsx(path, rows, *, title: str | None = "快递公司每日回单") -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:               # a merged title over the header, as couriers send them
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return str(path)


def fates(outcome) -> list[tuple[int, str, str]]:
    return [(r.line, r.fate, fate_text(r)) for r in outcome.rows]


def count(depot, model) -> int:
    with depot.db.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_results_are_applied_as_feedback_and_every_row_has_a_fate(depot, tmp_path):
    a, b, c, d = (make(depot, "printed") for _ in range(4))
    fed = make(depot, "delivered")
    wa, wb_, wc = waybill(depot, a, "YD1000000001"), waybill(depot, b, "YD1000000002"), \
        waybill(depot, c, "123456789012")
    path = xlsx(tmp_path / "kd100.xlsx", [
        ("快递单号", "物流状态", "签收时间", "备注"),
        (wa, 3, 45995, "本人签收"),            # a serial date
        (wb_, 14, "2026-12-02", "拒收"),        # 拒签 → returned
        (float(wc), "0", "", ""),              # 在途: not final; the number read as digits
        ("YD404", 3, "", ""),                  # unknown
        (wa, 3, "", ""),                       # duplicate of row 3
        (depot.svc.get(d).order_no, 3, "", ""),   # by order number
        (depot.svc.get(fed).order_no, 4, "", ""),  # already fed back, differently
    ])
    sheets = CourierSheetService(depot.db)
    dry = sheets.import_results(depot.clerk, path, "kuaidi100", dry_run=True)
    assert count(depot, DispatchFeedback) == 1 and dry.applied == 3     # nothing written
    out = sheets.import_results(depot.clerk, path, "kuaidi100")
    assert fates(out) == fates(dry)
    assert fates(out) == [
        (3, "applied", ""), (4, "applied", ""), (5, "skipped", "state 0 is not final"),
        (6, "refused", "no order has this number"), (7, "refused", "a duplicate of row 3"),
        (8, "applied", ""),
        (9, "refused", f"Order {depot.svc.get(fed).order_no} was already fed back by 3001 "
                       f"at {out.rows[6].params['when']}.")]
    assert out.header_line == 2
    got = {o: depot.svc.get(o) for o in (a, b, c, d)}
    assert [got[o].status for o in (a, b, c, d)] == ["accepted", "voided", "in_transit",
                                                     "accepted"]
    with depot.db.reading() as s:
        row = s.scalar(select(DispatchFeedback).where(DispatchFeedback.order_id == a))
        assert (row.source, row.remark, row.actor_login) == ("kuaidi100", "本人签收", "3001")
    again = sheets.import_results(depot.clerk, path, "kuaidi100")
    assert again.applied == 0 and again.rows[0].fate == "skipped"   # already recorded


def test_gbk_csv_scientific_numbers_and_the_courier_remembered(depot, tmp_path):
    a = make(depot, "printed")
    wa = waybill(depot, a, "YD2000000001")
    text = ("运单号,状态,金额\r\n" + f"{wa},签收,\"￥1,280.00\"\r\n" + "\r\n"
            + "1.23457E+11,签收,8\r\n")
    path = tmp_path / "daily.csv"
    path.write_bytes(text.encode("gbk"))
    out = CourierSheetService(depot.db).import_results(depot.clerk, path, "同城快递")
    assert out.rows[0].fate == "applied"
    assert (out.rows[1].fate, fate_text(out.rows[1])) == ("skipped", "empty row")
    assert out.rows[2].fate == "refused" and "scientific notation" in fate_text(out.rows[2])
    with depot.db.reading() as s:      # a new courier's profile, its headers first
        profile = s.scalar(select(CourierProfile).where(CourierProfile.name == "同城快递"))
        assert profile.columns["waybill"][0] == "运单号"
        assert profile.columns["status"][0] == "状态"
    assert "kdniao" in CourierSheetService(depot.db).couriers()


def test_sheets_that_cannot_be_used_are_refused_whole(depot, tmp_path):
    a = make(depot, "printed")
    a_waybill = waybill(depot, a, "YD9001")
    sheets = CourierSheetService(depot.db)
    no_status = xlsx(tmp_path / "a.xlsx", [("快递单号", "签收时间"), ("YD1", 45995)])
    with pytest.raises(SheetError, match="no column for: status"):
        sheets.import_results(depot.clerk, no_status, "kuaidi100")
    no_header = xlsx(tmp_path / "b.xlsx", [("甲", "乙"), ("1", "2")], title=None)
    with pytest.raises(SheetError, match="No header row"):
        sheets.import_results(depot.clerk, no_header, "kuaidi100")
    bad = tmp_path / "c.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SheetError, match="not a readable Excel sheet"):
        sheets.import_results(depot.clerk, bad, "kuaidi100")
    with pytest.raises(SheetError, match=r"\.xlsx, \.xls or \.csv"):
        sheets.import_results(depot.clerk, tmp_path / "d.pdf", "kuaidi100")
    with pytest.raises(SheetError, match=r"Cannot read gone\.xlsx: No such file"):
        sheets.import_results(depot.clerk, tmp_path / "gone.xlsx", "kuaidi100")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(SheetError, match=r"Cannot read folder\.csv: Is a directory"):
        sheets.import_results(depot.clerk, tmp_path / "folder.csv", "kuaidi100")
    huge = tmp_path / "huge.csv"          # past MAX_ROWS: refused before anything is matched
    huge.write_text("快递单号,物流状态\n" + f"{a_waybill},3\n" * (MAX_ROWS + HEADER_SEARCH),
                    encoding="utf-8")
    with pytest.raises(SheetError, match=f"more than {MAX_ROWS} rows; split it"):
        sheets.import_results(depot.clerk, huge, "kuaidi100")
    with pytest.raises(Forbidden):
        sheets.import_results(depot.agent, no_status, "kuaidi100")
    assert depot.svc.get(a).feedback_state == "none"


def test_nothing_is_half_applied(depot, tmp_path, monkeypatch):
    ids = [make(depot, "printed") for _ in range(3)]
    rows = [("单号", "状态")] + [(depot.svc.get(i).order_no, "签收") for i in ids]
    path = xlsx(tmp_path / "r.xlsx", rows)
    real = LogisticsService.apply_feedback
    calls = []

    def failing(self, s, actor, o, e, source="desk"):
        calls.append(o.id)
        if len(calls) == 3:
            raise RuntimeError("the disk went away")
        return real(self, s, actor, o, e, source)
    monkeypatch.setattr(LogisticsService, "apply_feedback", failing)
    with pytest.raises(RuntimeError):
        CourierSheetService(depot.db).import_results(depot.clerk, path, "kuaidi100")
    assert count(depot, DispatchFeedback) == 0
    assert {depot.svc.get(i).status for i in ids} == {"in_transit"}


def test_remittances_are_reconciled(depot, tmp_path):
    ok, short, returned, transit, other = (make(depot, s) for s in (
        "delivered", "delivered", "returned", "printed", "delivered"))
    nos = {k: waybill(depot, v, f"YD30000000{i:02d}") for i, (k, v) in enumerate(dict(
        ok=ok, short=short, returned=returned, transit=transit, other=other).items())}
    today = clock.site_today()   # the courier's dates are the site's days (Shanghai)
    path = xlsx(tmp_path / "cod.xlsx", [
        ("运单号", "代收金额", "手续费", "回款日期"),
        (nos["ok"], "¥515.00", "5.15", today.isoformat()),
        (nos["short"], 500, "5", today.isoformat()),
        (nos["returned"], "515", "0", today.isoformat()),
        (nos["transit"], "515", "0", today.isoformat()),
        ("YD9999", "1", "0", today.isoformat()),
        (nos["ok"], "515", "0", today.isoformat()),
        (nos["short"] + "X", "abc", "0", today.isoformat()),
    ])
    sheets = CourierSheetService(depot.db)
    out = sheets.import_remittance(depot.clerk, path, "kuaidi100")
    assert fates(out) == [
        (3, "applied", ""), (4, "flagged", "remitted 500.00, the order's COD amount is 515.00"),
        (5, "refused", "a remittance for a returned parcel"),
        (6, "refused", "the parcel is not delivered"),
        (7, "refused", "no order has this number"), (8, "refused", "a duplicate of row 3"),
        (9, "refused", "a value is not an amount")]
    assert [m.order_id for m in out.missing] == [other]    # delivered, COD, not remitted
    t = out.totals()
    assert (t["expected"], t["remitted"], t["difference"], t["fees"], t["missing"]) == (
        Decimal("1030.00"), Decimal("1015.00"), Decimal("-15.00"), Decimal("10.15"),
        Decimal("515.00"))
    assert count(depot, CodRemittance) == 2
    second = sheets.import_remittance(depot.clerk, path, "kuaidi100", dry_run=True)
    assert second.rows[0].reason == "remitted already by an earlier sheet"
    assert count(depot, CodRemittance) == 2


@pytest.mark.parametrize("value, text", [(123456789012.0, "123456789012"),
                                          ("YD1 ", "YD1"), (45, "45")])
def test_references(value, text):
    assert reference(value) == text


@pytest.mark.parametrize("value", ["1.23457E+11", 1.5, "x" * 33])
def test_references_refused(value):
    with pytest.raises(ValueError):
        reference(value)


@pytest.mark.parametrize("value, amount", [("¥1,280.00", "1280.00"), (1280.0, "1280.00"),
                                           ("1.28E+03", "1280.00"), ("￥8元", "8.00"), (0, "0.00")])
def test_amounts(value, amount):
    assert parse_amount(value) == Decimal(amount)


@pytest.mark.parametrize("value", ["abc", "-1", "1e9", "", "NaN"])
def test_amounts_refused(value):
    with pytest.raises(ValueError):
        parse_amount(value)


@pytest.mark.parametrize("value, day", [(45995, dt.date(2025, 12, 4)), ("45995", dt.date(2025, 12, 4)),
                                        ("2026/12/01", dt.date(2026, 12, 1)),
                                        ("2026-12-01 10:00:00", dt.date(2026, 12, 1)),
                                        (dt.datetime(2026, 12, 1, 9), dt.date(2026, 12, 1)),
                                        ("", None)])
def test_dates(value, day):
    assert parse_date(value) == day


@pytest.mark.parametrize("value", ["yesterday", 12, "2026-13-01"])
def test_dates_refused(value):
    with pytest.raises(ValueError):
        parse_date(value)
