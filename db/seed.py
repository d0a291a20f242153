"""Reference data every installation needs: settings defaults, number-prefix tables,
the standard departments and CTI groups. Idempotent: only adds what is missing."""
from __future__ import annotations

import csv
import gzip
from pathlib import Path

from sqlalchemy import func, insert, select

from db.engine import Database
from db.models import (
    AreaCode,
    CourierProfile,
    CtiGroup,
    Department,
    MobilePrefix,
    SystemSetting,
)

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


GENERIC_COLUMNS: dict[str, list[str]] = {
    "waybill": ["运单号", "快递单号", "运单编号", "邮件号", "waybill", "LogisticCode", "nu"],
    "order_no": ["订单号", "客户单号", "单号", "OrderCode", "order_no"],
    "status": ["状态", "物流状态", "签收状态", "投递结果", "state", "State", "StateEx"],
    "amount": ["代收金额", "代收货款", "货款", "实收金额", "金额", "amount"],
    "fee": ["手续费", "服务费", "fee"],
    "date": ["签收时间", "日期", "回款日期", "时间", "date"],
    "remark": ["备注", "原因", "remark"],
}
GENERIC_STATUSES: dict[str, str] = {
    "签收": "delivered", "已签收": "delivered", "妥投": "delivered", "成功": "delivered",
    "拒签": "returned", "拒收": "returned", "退回": "returned", "退签": "returned",
    "已退回": "returned", "退件": "returned",
}
# 物流管理's courier sheets (agent_app/services/courier_sheets.py): the header names a
# field goes by, and the couriers' published state codes (kuaidi100's `state`, kdniao's
# `StateEx`) with what each means for us. Seeded as rows of courier_profile, which a site
# edits; an import remembers the headers it met.
COURIER_PROFILES: dict[str, dict[str, dict]] = {
    "kuaidi100": {"columns": GENERIC_COLUMNS,
                  "statuses": {"3": "delivered", "4": "returned", "6": "returned",
                               "14": "returned", **GENERIC_STATUSES}},
    "kdniao": {"columns": GENERIC_COLUMNS,
               "statuses": {"301": "delivered", "302": "delivered", "304": "delivered",
                            "311": "delivered", "404": "returned", "406": "returned",
                            "407": "returned", **GENERIC_STATUSES}},
}


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
            have = set(s.scalars(select(CourierProfile.name)))
            for name, profile in COURIER_PROFILES.items():
                if name not in have:
                    s.add(CourierProfile(name=name, columns=profile["columns"],
                                         statuses=profile["statuses"], updated_by_login="seed"))
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
