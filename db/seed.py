"""Reference data every installation needs: settings defaults, number-prefix tables,
the standard departments and CTI groups. Idempotent: only adds what is missing."""
from __future__ import annotations

import csv
import gzip
from pathlib import Path

from sqlalchemy import func, insert, select

from db.engine import Database
from db.models import AreaCode, CtiGroup, Department, MobilePrefix, SystemSetting

DATA = Path(__file__).with_name("data")

DEFAULT_SETTINGS = {"browse_days": "7"}

DEPARTMENTS = [  # number, name, function, business number
    ("01", "直销部", "接听热线、登记客户、下销售订单", "4006000000"),
    ("02", "回访部", "客户回访、二次销售", "4006000001"),
    ("03", "物流部", "物流确认后的出库、打印、出库反馈", ""),
    ("04", "市场部", "媒体投放与效果分析", ""),
]

CTI_GROUPS = [  # number, name, overflow, max_queue, ring_timeout_s, wrapup_s
    ("21", "接线组", "22", 50, 15, 10),
    ("22", "接线二级", None, 50, 15, 10),
    ("11", "回访组", None, 20, 20, 15),
]


def _load_csv(name: str) -> list[dict[str, str]]:
    """A data file, plain or gzipped (the 100k-row 手机号段 table ships as .csv.gz)."""
    path = DATA / name
    if path.exists():
        with path.open(encoding="utf-8") as f:
            return list(csv.DictReader(f))
    packed = path.with_name(path.name + ".gz")
    if packed.exists():
        with gzip.open(packed, "rt", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    return []


def seed_reference_data(url: str) -> None:
    db = Database.open(url)
    try:
        with db.transaction() as s:
            have = set(s.scalars(select(SystemSetting.key)))
            for k, v in DEFAULT_SETTINGS.items():
                if k not in have:
                    s.add(SystemSetting(key=k, value=v))
            have = set(s.scalars(select(Department.name)))
            for number, name, function, business in DEPARTMENTS:
                if name not in have:
                    s.add(Department(number=number, name=name, function=function,
                                     business_number=business, updated_by_login="seed"))
            have = set(s.scalars(select(CtiGroup.number)))
            for number, name, overflow, maxq, ring, wrap in CTI_GROUPS:
                if number not in have:
                    s.add(CtiGroup(number=number, name=name, overflow_group=overflow,
                                   max_queue=maxq, ring_timeout_s=ring, wrapup_s=wrap,
                                   updated_by_login="seed"))
            if not s.scalar(select(func.count()).select_from(MobilePrefix)):
                rows = _load_csv("mobile_prefixes.csv")
                if rows:
                    s.execute(insert(MobilePrefix), rows)
            if not s.scalar(select(func.count()).select_from(AreaCode)):
                rows = _load_csv("area_codes.csv")
                if rows:
                    s.execute(insert(AreaCode), rows)
    finally:
        db.dispose()
