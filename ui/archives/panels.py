"""档案管理 windows: regions, departments, varieties, products, media and placements.

Each is a thin ArchivePanel: its columns, its form and the ArchiveService calls. The
product code is shown but never editable (the service assigns it).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QLabel, QWidget

from ui.archives.base import ArchivePanel
from ui.archives.form import FieldSpec
from ui.kit.table import Column


class RegionsPanel(ArchivePanel):
    def title(self) -> str:
        return self.tr("Regions")

    def columns(self) -> Sequence[Column]:
        return [Column("name", self.tr("Region")), Column("province", self.tr("Province")),
                Column("area_code", self.tr("Area code"))]

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        return [FieldSpec("name", self.tr("Region:"), max_len=64),
                FieldSpec("province", self.tr("Province:"), max_len=32),
                FieldSpec("area_code", self.tr("Area code:"), max_len=8)]

    async def load(self):
        return await self.ctx.runner.call(self.archives.list_regions, self.ctx.actor)

    async def save(self, record, values):
        return await self.ctx.runner.call(
            self.archives.save_region, self.ctx.actor, record.id if record else None,
            version=record.version if record else None, **values)

    def delete_fn(self):
        return self.archives.delete_region


class DepartmentsPanel(ArchivePanel):
    def title(self) -> str:
        return self.tr("Departments")

    def columns(self) -> Sequence[Column]:
        return [Column("number", self.tr("Number")), Column("name", self.tr("Name")),
                Column("function", self.tr("Function")),
                Column("business_number", self.tr("Business number"))]

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        return [FieldSpec("number", self.tr("Number:"), max_len=16),
                FieldSpec("name", self.tr("Name:"), max_len=64),
                FieldSpec("function", self.tr("Function:"), max_len=200),
                FieldSpec("business_number", self.tr("Business number:"), max_len=32)]

    async def load(self):
        return await self.ctx.runner.call(self.archives.list_departments, self.ctx.actor)

    async def save(self, record, values):
        return await self.ctx.runner.call(
            self.archives.save_department, self.ctx.actor, record.id if record else None,
            version=record.version if record else None, **values)

    def delete_fn(self):
        return self.archives.delete_department


class VarietiesPanel(ArchivePanel):
    def title(self) -> str:
        return self.tr("Varieties")

    def columns(self) -> Sequence[Column]:
        return [Column("name", self.tr("Variety")), Column("active", self.tr("Active"))]

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        return [FieldSpec("name", self.tr("Variety:"), max_len=64),
                FieldSpec("active", self.tr("Active:"), kind="bool", default=True)]

    async def load(self):
        return await self.ctx.runner.call(self.archives.list_varieties, self.ctx.actor)

    async def save(self, record, values):
        return await self.ctx.runner.call(
            self.archives.save_variety, self.ctx.actor, record.id if record else None,
            version=record.version if record else None, **values)

    def delete_fn(self):
        return self.archives.delete_variety


class ProductsPanel(ArchivePanel):
    def title(self) -> str:
        return self.tr("Products")

    def columns(self) -> Sequence[Column]:
        return [Column("code", self.tr("Product code")), Column("name", self.tr("Name")),
                Column("specification", self.tr("Specification")),
                Column("variety", self.tr("Variety")), Column("unit", self.tr("Unit")),
                Column("short_code", self.tr("Short code")),
                Column("retail_price", self.tr("Retail price"), kind="money"),
                Column("active", self.tr("Active"))]

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        varieties = await self.ctx.runner.call(self.archives.list_varieties, self.ctx.actor)
        choices = [(v.id, v.name) for v in varieties
                   if v.active or (record and v.id == record.variety_id)]
        specs = [FieldSpec("name", self.tr("Name:")),
                 FieldSpec("specification", self.tr("Specification:")),
                 FieldSpec("variety_id", self.tr("Variety:"), kind="combo", choices=choices,
                           optional_choice=True),
                 FieldSpec("unit", self.tr("Unit:"), max_len=16),
                 FieldSpec("short_code", self.tr("Short code:"), max_len=16),
                 FieldSpec("retail_price", self.tr("Retail price:"), max_len=16),
                 FieldSpec("active", self.tr("Active:"), kind="bool", default=True)]
        if record is not None:  # assigned by the service, shown for reference only
            specs.insert(0, FieldSpec("code", self.tr("Product code:"), read_only=True))
        return specs

    async def load(self):
        return await self.ctx.runner.call(self.archives.list_products, self.ctx.actor)

    async def save(self, record, values):
        return await self.ctx.runner.call(
            self.archives.save_product, self.ctx.actor, record.id if record else None,
            version=record.version if record else None, **values)

    def delete_fn(self):
        return self.archives.delete_product


class MediaPanel(ArchivePanel):
    def title(self) -> str:
        return self.tr("Media")

    def columns(self) -> Sequence[Column]:
        return [Column("type", self.tr("Type")), Column("name", self.tr("Medium"))]

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        return [FieldSpec("type", self.tr("Type:"), max_len=32),
                FieldSpec("name", self.tr("Medium:"), max_len=64)]

    async def load(self):
        return await self.ctx.runner.call(self.archives.list_media, self.ctx.actor)

    async def save(self, record, values):
        return await self.ctx.runner.call(
            self.archives.save_medium, self.ctx.actor, record.id if record else None,
            version=record.version if record else None, **values)

    def delete_fn(self):
        return self.archives.delete_medium


class PlacementsPanel(ArchivePanel):
    """媒体投放: filtered by air date (default: the last 近X天 days, from system settings)."""

    def title(self) -> str:
        return self.tr("Media placements")

    def columns(self) -> Sequence[Column]:
        return [Column("air_date", self.tr("Date")), Column("start_time", self.tr("Start")),
                Column("length_s", self.tr("Length (s)"), kind="int"),
                Column("medium", self.tr("Medium")), Column("variety", self.tr("Variety")),
                Column("product", self.tr("Product")),
                Column("cost", self.tr("Cost"), kind="money")]

    def extra_filters(self) -> list[QWidget]:
        self.date_from = QDateEdit(QDate.currentDate().addDays(-7))
        self.date_to = QDateEdit(QDate.currentDate().addDays(30))
        for w, name in ((self.date_from, "dateFrom"), (self.date_to, "dateTo")):
            w.setObjectName(name)
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
            w.dateChanged.connect(self.refresh)
        self.date_label = QLabel("–")
        self._days_set = False
        return [self.date_from, self.date_label, self.date_to]

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        media = await self.ctx.runner.call(self.archives.list_media, self.ctx.actor)
        varieties = await self.ctx.runner.call(self.archives.list_varieties, self.ctx.actor)
        products = await self.ctx.runner.call(self.archives.list_products, self.ctx.actor,
                                              active_only=True)
        return [FieldSpec("medium_id", self.tr("Medium:"), kind="combo",
                          choices=[(m.id, m.name) for m in media], optional_choice=True),
                FieldSpec("variety_id", self.tr("Variety:"), kind="combo",
                          choices=[(v.id, v.name) for v in varieties], optional_choice=True),
                FieldSpec("product_id", self.tr("Product:"), kind="combo",
                          choices=[(p.id, f"{p.code} {p.name}") for p in products],
                          optional_choice=True),
                FieldSpec("air_date", self.tr("Date:"), kind="date"),
                FieldSpec("start_time", self.tr("Start time:"), kind="time"),
                FieldSpec("length_s", self.tr("Length (seconds):"), kind="int", minimum=0,
                          maximum=86400, default=60),
                # optional: the media buyer may enter it after the broadcast
                FieldSpec("cost", self.tr("Cost:"), max_len=16)]

    async def load(self):
        if not self._days_set:  # 近X天: the window opens on the configured browse days
            self._days_set = True
            days = await self.ctx.runner.call(self.archives.browse_days)
            self.date_from.blockSignals(True)
            self.date_from.setDate(QDate.currentDate().addDays(-days))
            self.date_from.blockSignals(False)
        return await self.ctx.runner.call(
            self.archives.list_placements, self.ctx.actor,
            date_from=self.date_from.date().toPython(), date_to=self.date_to.date().toPython())

    async def save(self, record, values):
        return await self.ctx.runner.call(
            self.archives.save_placement, self.ctx.actor, record.id if record else None,
            version=record.version if record else None, **values)

    def delete_fn(self):
        return self.archives.delete_placement
