"""档案管理: regions, departments, varieties, products, media, placements, system settings.

Everyone reads the archives (pick lists, reports); editing needs the ARCHIVES permission or
an administrator role. Each save takes the `version` the user's form was filled from
(optimistic locking: a stale edit is refused naming who changed the row), validates every
field with a message naming that field, and writes one audit row.
"""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent_app.errors import Conflict, Duplicate, Forbidden, NotFound, ValidationError
from agent_app.services.base import Actor, audit, check_version, db_errors, writes
from agent_app.services.sequences import next_lane_number
from agent_app.services.text import check_text
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import Permission
from db.models import (
    Department,
    DialedNumber,
    Medium,
    Placement,
    Product,
    Region,
    SystemSetting,
    Variety,
)

# -- plain data returned to callers -------------------------------------------------------


@dataclass(frozen=True)
class RegionInfo:
    id: int
    name: str
    province: str
    area_code: str
    version: int


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    number: str
    name: str
    function: str
    business_number: str
    version: int


@dataclass(frozen=True)
class VarietyInfo:
    id: int
    name: str
    active: bool
    version: int


@dataclass(frozen=True)
class ProductInfo:
    id: int
    code: str
    name: str
    specification: str
    variety_id: int
    variety: str
    unit: str
    short_code: str
    retail_price: Decimal
    active: bool
    version: int


@dataclass(frozen=True)
class MediumInfo:
    id: int
    type: str
    name: str
    version: int


@dataclass(frozen=True)
class PlacementInfo:
    id: int
    medium_id: int
    medium: str
    variety_id: int
    variety: str
    product_id: int | None
    product: str
    air_date: dt.date
    start_time: dt.time
    length_s: int
    version: int
    cost: Decimal | None = None   # 费用 (元): None until the media buyer enters it


def _region(r: Region) -> RegionInfo:
    return RegionInfo(r.id, r.name, r.province, r.area_code, r.version)


def _department(d: Department) -> DepartmentInfo:
    return DepartmentInfo(d.id, d.number, d.name, d.function, d.business_number, d.version)


def _variety(v: Variety) -> VarietyInfo:
    return VarietyInfo(v.id, v.name, v.active, v.version)


def _product(p: Product) -> ProductInfo:
    return ProductInfo(p.id, p.code, p.name, p.specification, p.variety_id, p.variety.name,
                       p.unit, p.short_code, p.retail_price, p.active, p.version)


def _medium(m: Medium) -> MediumInfo:
    return MediumInfo(m.id, m.type, m.name, m.version)


def _placement(p: Placement, product_name: str = "") -> PlacementInfo:
    return PlacementInfo(p.id, p.medium_id, p.medium.name, p.variety_id, p.variety.name,
                         p.product_id, product_name, p.air_date, p.start_time, p.length_s,
                         p.version, p.cost)


# -- system settings: one declared schema -------------------------------------------------


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: str
    doc: str
    parse: Callable[[str], Any]


def _int_between(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            n = int(str(text).strip())
        except ValueError:
            n = lo - 1
        if not lo <= n <= hi:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "Enter a whole number from {lo} to {hi}."),
                                  lo=lo, hi=hi)
        return n
    return parse


def _zone(text: str) -> str:
    try:
        zoneinfo.ZoneInfo(str(text).strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "Unknown time zone; use a name like Asia/Shanghai.")) from exc
    return str(text).strip()


SETTINGS: dict[str, SettingSpec] = {s.key: s for s in [
    SettingSpec("browse_days", "7", "browse window: lists show the last X days (近X天)",
                _int_between(1, 366)),
    SettingSpec("dispatch_days", "2",
                "出库目录: the orders confirmed in the last X days (近X天)", _int_between(1, 366)),
    SettingSpec("lead_window_minutes", "30",
                "minutes after an advert ends during which calls still count as its leads",
                _int_between(0, 24 * 60)),
    SettingSpec("site_timezone", "Asia/Shanghai",
                "time zone of the placement schedule (broadcast times)", _zone),
    # the call-centre KPIs' definitions (agent_app/reports/kpi.py, docs/statistics.md)
    SettingSpec("short_abandon_s", "5",
                "calls abandoned within this many seconds of queueing are short abandons",
                _int_between(0, 600)),
    SettingSpec("service_level_s", "20",
                "service level: the share of calls answered within this many seconds",
                _int_between(1, 3600)),
    SettingSpec("service_level_abandons", "1",
                "1: abandoned calls (not short ones) count in the service level's offered calls",
                _int_between(0, 1)),
]}

_AREA_CODE = re.compile(r"0\d{2,3}")
_DIGITS = re.compile(r"[0-9\-]*")
_SHORT_CODE = re.compile(r"[A-Za-z0-9]+")
MAX_PRICE = Decimal("9999999999.99")
MAX_COST = MAX_PRICE  # DECIMAL(12,2)


# -- field validation ----------------------------------------------------------------------


def _text(value: Any, field: str, max_len: int, *, required: bool = True) -> str:
    text = ("" if value is None else str(value)).strip()
    if required and not text:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "This field is required."), field=field)
    return check_text(text, field=field, limit=max_len)


def parse_price(value: Any, field: str = "retail_price") -> Decimal:
    """Retail price is required (the manual), positive, with at most two decimals."""
    text = ("" if value is None else str(value)).strip().replace(",", "").replace("¥", "")
    if not text:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The retail price is required."), field=field)
    try:
        price = Decimal(text)
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or price.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "Enter a price like 398 or 398.50."), field=field)
    if price <= 0 or price > MAX_PRICE:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The price must be greater than zero."), field=field)
    return price.quantize(Decimal("0.01"))


def parse_cost(value: Any, field: str = "cost") -> Decimal | None:
    """A placement's cost (费用): optional (empty = not entered yet), ≥ 0, at most two
    decimals, written like a price ('¥1,280.00' reads as 1280.00)."""
    text = ("" if value is None else str(value)).strip().replace(",", "").replace("¥", "")
    if not text:
        return None
    try:
        cost = Decimal(text)
    except InvalidOperation:
        cost = None
    if cost is None or not cost.is_finite() or cost.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "Enter a cost like 1280 or 1280.50."),
                              field=field)
    if cost < 0 or cost > MAX_COST:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The cost must be zero or more."),
                              field=field)
    return cost.quantize(Decimal("0.01"))


class ArchiveService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- permission -------------------------------------------------------------------------
    @staticmethod
    def can_edit(actor: Actor) -> bool:
        """The UI asks this to hide edit buttons; the service checks it on every write."""
        return actor.is_admin or actor.can(Permission.ARCHIVES)

    def _require_editor(self, actor: Actor) -> None:
        if not self.can_edit(actor):
            raise Forbidden()

    # -- generic save / delete --------------------------------------------------------------
    def _save(self, actor: Actor, model: type, row_id: int | None, version: int | None,
              values: dict[str, Any], unique: tuple[str, ...], s: Session) -> Any:
        """Insert or update one row, refusing duplicates of `unique` fields by field."""
        for name in unique:
            q = select(model.id).where(getattr(model, name) == values[name])
            if row_id is not None:
                q = q.where(model.id != row_id)
            if s.scalar(q) is not None:
                raise Duplicate(QT_TRANSLATE_NOOP("errors", "{value} is already in use."), field=name,
                                value=values[name])
        if row_id is None:
            row = model(**values, updated_by_login=actor.login)
            s.add(row)
            action, changes = "archive_added", {k: str(v) for k, v in values.items()}
        else:
            row = s.get(model, row_id)
            if row is None:
                raise NotFound()
            check_version(row, version)
            changes = {k: [str(getattr(row, k)), str(v)] for k, v in values.items()
                       if getattr(row, k) != v}
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_by_login = actor.login
            action = "archive_changed"
        s.flush()
        audit(s, actor.login, action, f"{model.__tablename__}:{row.id}", **changes)
        return row

    @writes
    def _run_save(self, actor: Actor, fn: Callable[[Session], Any], unique_field: str) -> Any:
        self._require_editor(actor)
        try:
            with db_errors(), self.db.transaction() as s:
                return fn(s)
        except IntegrityError as exc:  # a concurrent writer took the same unique value
            raise Duplicate(QT_TRANSLATE_NOOP("errors", "This record already exists."),
                            field=unique_field) from exc

    @writes
    def _delete(self, actor: Actor, model: type, row_id: int, version: int | None) -> None:
        """Delete a row nobody refers to; rows in use are refused (deactivate them)."""
        self._require_editor(actor)
        try:
            with db_errors(), self.db.transaction() as s:
                row = s.get(model, row_id)
                if row is None:
                    raise NotFound()
                check_version(row, version)
                s.delete(row)
                s.flush()
                audit(s, actor.login, "archive_deleted", f"{model.__tablename__}:{row_id}")
        except IntegrityError as exc:
            raise Conflict(QT_TRANSLATE_NOOP("errors", "This record is still in use and cannot be deleted. "
                                        "Deactivate it instead.")) from exc

    # -- regions 区域 -----------------------------------------------------------------------
    def list_regions(self, actor: Actor) -> list[RegionInfo]:
        with db_errors(), self.db.reading() as s:
            return [_region(r) for r in s.scalars(select(Region).order_by(Region.name))]

    def save_region(self, actor: Actor, region_id: int | None = None, *,
                    version: int | None = None, name: str, province: str = "",
                    area_code: str = "") -> RegionInfo:
        area = _text(area_code, "area_code", 8, required=False)
        if area and not _AREA_CODE.fullmatch(area):
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "An area code is 0 followed by 2 or 3 digits, "
                                               "e.g. 0571."), field="area_code")
        values = {"name": _text(name, "name", 64), "province": _text(province, "province", 32,
                                                                     required=False),
                  "area_code": area}
        return self._run_save(actor, lambda s: _region(
            self._save(actor, Region, region_id, version, values, ("name",), s)), "name")

    def delete_region(self, actor: Actor, region_id: int, version: int | None = None) -> None:
        self._delete(actor, Region, region_id, version)

    # -- departments 部门 -------------------------------------------------------------------
    def list_departments(self, actor: Actor) -> list[DepartmentInfo]:
        with db_errors(), self.db.reading() as s:
            return [_department(d) for d in
                    s.scalars(select(Department).order_by(Department.number))]

    def save_department(self, actor: Actor, department_id: int | None = None, *,
                        version: int | None = None, number: str, name: str,
                        function: str = "", business_number: str = "") -> DepartmentInfo:
        business = _text(business_number, "business_number", 32, required=False)
        if not _DIGITS.fullmatch(business):
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "Use digits only."), field="business_number")
        values = {"number": _text(number, "number", 16), "name": _text(name, "name", 64),
                  "function": _text(function, "function", 200, required=False),
                  "business_number": business}
        return self._run_save(actor, lambda s: _department(
            self._save(actor, Department, department_id, version, values, ("number", "name"),
                       s)), "name")

    def delete_department(self, actor: Actor, department_id: int,
                          version: int | None = None) -> None:
        self._delete(actor, Department, department_id, version)

    # -- varieties 品种 ---------------------------------------------------------------------
    def list_varieties(self, actor: Actor, *, active_only: bool = False) -> list[VarietyInfo]:
        with db_errors(), self.db.reading() as s:
            q = select(Variety).order_by(Variety.name)
            if active_only:
                q = q.where(Variety.active.is_(True))
            return [_variety(v) for v in s.scalars(q)]

    def save_variety(self, actor: Actor, variety_id: int | None = None, *,
                     version: int | None = None, name: str, active: bool = True) -> VarietyInfo:
        values = {"name": _text(name, "name", 64), "active": bool(active)}
        return self._run_save(actor, lambda s: _variety(
            self._save(actor, Variety, variety_id, version, values, ("name",), s)), "name")

    def delete_variety(self, actor: Actor, variety_id: int, version: int | None = None) -> None:
        self._delete(actor, Variety, variety_id, version)

    # -- products 商品 ----------------------------------------------------------------------
    def list_products(self, actor: Actor, *, active_only: bool = False) -> list[ProductInfo]:
        with db_errors(), self.db.reading() as s:
            q = select(Product).order_by(Product.code)
            if active_only:
                q = q.where(Product.active.is_(True))
            return [_product(p) for p in s.scalars(q)]

    def save_product(self, actor: Actor, product_id: int | None = None, *,
                     version: int | None = None, name: str, specification: str = "",
                     variety_id: int | None, unit: str, short_code: str,
                     retail_price: Any, active: bool = True) -> ProductInfo:
        """The product code is assigned here on insert and never changes (the manual)."""
        short = _text(short_code, "short_code", 16)
        if not _SHORT_CODE.fullmatch(short):
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "Use letters and digits only."),
                                  field="short_code")
        values = {"name": _text(name, "name", 100),
                  "specification": _text(specification, "specification", 100, required=False),
                  "unit": _text(unit, "unit", 16), "short_code": short.upper(),
                  "retail_price": parse_price(retail_price), "active": bool(active)}
        if variety_id is None:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "This field is required."), field="variety_id")

        def save(s: Session) -> ProductInfo:
            if s.get(Variety, variety_id) is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "Choose a variety from the list."),
                                      field="variety_id")
            vals = dict(values, variety_id=variety_id)
            if product_id is None:
                vals["code"] = self._next_product_code(s, actor.login)
            return _product(self._save(actor, Product, product_id, version, vals,
                                       ("short_code",), s))

        return self._run_save(actor, save, "short_code")

    @staticmethod
    def _next_product_code(s: Session, login: str) -> str:
        """Six digits from the writer's counter lane (services/sequences.py: no row that
        every writer updates); skips codes already present (e.g. imported)."""
        while True:
            code = f"{next_lane_number(s, 'product_code', '', login):06d}"
            if not s.scalar(select(func.count()).select_from(Product)
                            .where(Product.code == code)):
                return code

    def delete_product(self, actor: Actor, product_id: int, version: int | None = None) -> None:
        self._delete(actor, Product, product_id, version)

    # -- media 媒体 -------------------------------------------------------------------------
    def list_media(self, actor: Actor) -> list[MediumInfo]:
        with db_errors(), self.db.reading() as s:
            return [_medium(m) for m in s.scalars(select(Medium).order_by(Medium.type,
                                                                          Medium.name))]

    def save_medium(self, actor: Actor, medium_id: int | None = None, *,
                    version: int | None = None, type: str, name: str) -> MediumInfo:  # noqa: A002
        values = {"type": _text(type, "type", 32), "name": _text(name, "name", 64)}
        return self._run_save(actor, lambda s: _medium(
            self._save(actor, Medium, medium_id, version, values, ("name",), s)), "name")

    def delete_medium(self, actor: Actor, medium_id: int, version: int | None = None) -> None:
        self._delete(actor, Medium, medium_id, version)

    # -- placements 媒体投放 ----------------------------------------------------------------
    def list_placements(self, actor: Actor, *, date_from: dt.date | None = None,
                        date_to: dt.date | None = None, medium_id: int | None = None,
                        limit: int = 5000) -> list[PlacementInfo]:
        with db_errors(), self.db.reading() as s:
            q = select(Placement).order_by(Placement.air_date.desc(), Placement.start_time)
            if date_from:
                q = q.where(Placement.air_date >= date_from)
            if date_to:
                q = q.where(Placement.air_date <= date_to)
            if medium_id:
                q = q.where(Placement.medium_id == medium_id)
            rows = list(s.scalars(q.limit(limit)))
            names = self._product_names(s, {p.product_id for p in rows if p.product_id})
            return [_placement(p, names.get(p.product_id, "")) for p in rows]

    @staticmethod
    def _product_names(s: Session, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(s.execute(select(Product.id, Product.name).where(Product.id.in_(ids))).all())

    def save_placement(self, actor: Actor, placement_id: int | None = None, *,
                       version: int | None = None, medium_id: int | None,
                       variety_id: int | None, product_id: int | None = None,
                       air_date: dt.date | None, start_time: dt.time | None,
                       length_s: Any, cost: Any = None) -> PlacementInfo:
        for field, value in (("medium_id", medium_id), ("variety_id", variety_id),
                             ("air_date", air_date), ("start_time", start_time)):
            if value is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "This field is required."), field=field)
        try:
            length = int(length_s)
        except (TypeError, ValueError):
            length = 0
        if not 1 <= length <= 24 * 3600:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "The length is 1 to 86400 seconds."),
                                  field="length_s")
        amount = parse_cost(cost)
        values = {"medium_id": medium_id, "variety_id": variety_id, "product_id": product_id,
                  "air_date": air_date, "start_time": start_time.replace(microsecond=0),
                  "length_s": length, "cost": amount}

        def save(s: Session) -> PlacementInfo:
            if s.get(Medium, medium_id) is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "Choose a medium from the list."),
                                      field="medium_id")
            if s.get(Variety, variety_id) is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "Choose a variety from the list."),
                                      field="variety_id")
            product_name = ""
            if product_id is not None:
                product = s.get(Product, product_id)
                if product is None or product.variety_id != variety_id:
                    raise ValidationError(QT_TRANSLATE_NOOP("errors", "The product must be of the chosen "
                                                       "variety."), field="product_id")
                product_name = product.name
            row = self._save(actor, Placement, placement_id, version, values, (), s)
            return _placement(row, product_name)

        return self._run_save(actor, save, "air_date")

    def delete_placement(self, actor: Actor, placement_id: int,
                         version: int | None = None) -> None:
        self._delete(actor, Placement, placement_id, version)

    def medium_of_number(self, dialed: str) -> int | None:
        """The medium a hotline (源被叫) advertises, or None: a call's medium when no
        placement of it is airing."""
        with db_errors(), self.db.reading() as s:
            return s.scalar(select(DialedNumber.medium_id)
                            .where(DialedNumber.digits == (dialed or "").strip()))

    def placement_at(self, when: dt.datetime, *, dialed: str | None = None,
                     medium_id: int | None = None) -> PlacementInfo | None:
        """The advert a call at `when` (aware) answers: the latest placement on the medium
        (given, or the one the dialled hotline advertises) that started at or before `when`
        and ended no more than `lead_window_minutes` before it. Schedules are broadcast
        wall-clock times in `site_timezone`, so `when` is converted to that zone first."""
        if when.tzinfo is None:
            raise ValueError("placement_at needs an aware datetime")
        with db_errors(), self.db.reading() as s:
            if medium_id is None and dialed:
                medium_id = s.scalar(select(DialedNumber.medium_id)
                                     .where(DialedNumber.digits == dialed.strip()))
            if medium_id is None:
                return None
            conf = self._settings(s)
            window = dt.timedelta(minutes=int(conf["lead_window_minutes"]))
            local = when.astimezone(zoneinfo.ZoneInfo(conf["site_timezone"])).replace(tzinfo=None)
            rows = s.scalars(select(Placement).where(
                Placement.medium_id == medium_id,
                Placement.air_date.in_([local.date(), local.date() - dt.timedelta(days=1)])))
            best: Placement | None = None
            best_start = dt.datetime.min
            for p in rows:
                start = dt.datetime.combine(p.air_date, p.start_time)
                end = start + dt.timedelta(seconds=p.length_s)
                if start <= local <= end + window and start > best_start:
                    best, best_start = p, start
            if best is None:
                return None
            names = self._product_names(s, {best.product_id} if best.product_id else set())
            return _placement(best, names.get(best.product_id, ""))

    # -- system settings 系统设置 ------------------------------------------------------------
    @staticmethod
    def _settings(s: Session) -> dict[str, str]:
        stored = dict(s.execute(select(SystemSetting.key, SystemSetting.value)).all())
        return {k: stored.get(k, spec.default) for k, spec in SETTINGS.items()}

    def get_settings(self) -> dict[str, str]:
        """Every declared setting with its stored value (or default). Everyone reads."""
        with db_errors(), self.db.reading() as s:
            return self._settings(s)

    def browse_days(self) -> int:
        """近X天: how many days of history lists show by default."""
        return int(self.get_settings()["browse_days"])

    def dispatch_days(self) -> int:
        """出库目录's 近X天: the days of confirmations it shows by default."""
        return int(self.get_settings()["dispatch_days"])

    @writes
    def set_settings(self, actor: Actor, values: dict[str, Any]) -> dict[str, str]:
        """Validate all values first (field = key), then write them in one transaction."""
        self._require_editor(actor)
        clean: dict[str, str] = {}
        for key, value in values.items():
            spec = SETTINGS.get(key)
            if spec is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "Unknown setting {key}."), field=key, key=key)
            try:
                clean[key] = str(spec.parse(value))
            except ValidationError as exc:
                exc.field = key
                raise
        with db_errors(), self.db.transaction() as s:
            current = self._settings(s)
            for key, value in clean.items():
                row = s.get(SystemSetting, key)
                if row is None:
                    s.add(SystemSetting(key=key, value=value))
                else:
                    row.value = value
            changed = {k: [current[k], v] for k, v in clean.items() if current[k] != v}
            if changed:
                audit(s, actor.login, "settings_changed", "system_setting", **changed)
            s.flush()
            return self._settings(s)
