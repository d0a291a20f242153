"""agent-admin logistics as a site's scheduled task runs it: the real program as a process,
on SQLite and MariaDB, applying a courier's daily sheet. Each refused row is a line, the
summary counts them, exit 2 when nothing could be applied, and --dry-run writes nothing."""
from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from db.models import AuditLog, CodRemittance, DispatchFeedback, SalesOrder
from tests.e2e.desk import run_admin
from tests.services.depot import make, make_depot, make_shop


@pytest.fixture
def depot(database, superadmin):
    return make_depot(make_shop(database, superadmin))


def sheet(path, rows) -> str:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(list(r))
    wb.save(path)
    return str(path)


def count(db, model) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_couriers_day_from_the_command_line(depot, db_url, tmp_path):
    a, b = make(depot, "printed"), make(depot, "printed")
    with depot.db.transaction() as s:
        s.get(SalesOrder, a).waybill_no = "YD7000000001"
    results = sheet(tmp_path / "results.xlsx", [
        ("快递单号", "物流状态"), ("YD7000000001", 3), (depot.svc.get(b).order_no, 14),
        ("YD404", 3)])
    args = ("logistics", "import-results", results, "--url", db_url, "--courier", "kuaidi100")
    dry = run_admin(*args, "--dry-run")
    assert dry.stdout.splitlines() == [
        "row 4\tYD404\trefused\tno order has this number",
        "results.xlsx: would apply 2; flagged 0, skipped 0, refused 1"]
    assert count(depot.db, DispatchFeedback) == 0
    done = run_admin(*args)
    assert done.stdout.splitlines()[-1] == "results.xlsx: applied 2; flagged 0, skipped 0, refused 1"
    assert [depot.svc.get(o).status for o in (a, b)] == ["accepted", "voided"]
    again = run_admin(*args, check=False)           # all recorded already: nothing applies
    assert again.returncode == 2 and again.stdout.splitlines()[-1].startswith(
        "results.xlsx: applied 0; flagged 0, skipped 2, refused 1")
    with depot.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "courier.import_results")) == 2   # each run, not the dry one
    remit = sheet(tmp_path / "cod.xlsx", [("运单号", "代收金额"), ("YD7000000001", "¥515.00")])
    paid = run_admin("logistics", "import-remittance", remit, "--url", db_url, "--courier",
                     "kuaidi100")
    assert paid.stdout.splitlines()[-1] == (
        "cod.xlsx: applied 1; flagged 0, skipped 0, refused 0; COD expected 515.00, "
        "remitted 515.00, difference 0.00, fees 0.00, missing 0 (0.00)")
    assert count(depot.db, CodRemittance) == 1


def test_a_sheet_that_cannot_be_read_is_one_line_and_exit_2(db_url, tmp_path):
    bad = sheet(tmp_path / "bad.xlsx", [("甲", "乙")])
    proc = run_admin("logistics", "import-results", bad, "--url", db_url, "--courier", "kdniao",
                     check=False)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("agent-admin: No header row"), err
    gone = run_admin("logistics", "import-remittance", str(tmp_path / "nope.csv"), "--url",
                     db_url, "--courier", "kdniao", check=False)
    assert gone.returncode == 2 and "no such file" in gone.stderr
