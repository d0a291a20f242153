"""档案管理: regions, varieties, products, media, placements, settings, number prefixes."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Versioned
from db.types import Money


class Region(Versioned, Base):
    """区域: a sales region (usually a city), used in analysis."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    province: Mapped[str] = mapped_column(String(32), default="")
    area_code: Mapped[str] = mapped_column(String(8), default="")  # 区号, e.g. 0571


class Variety(Versioned, Base):
    """品种: product line a lead asks about (眼保姆, 操盘手软件 …)."""

    __tablename__ = "variety"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Product(Versioned, Base):
    """商品档案. `code` is assigned by the service (never typed, per the manual)."""

    __tablename__ = "product"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    specification: Mapped[str] = mapped_column(String(100))
    variety_id: Mapped[int] = mapped_column(ForeignKey("variety.id"))
    unit: Mapped[str] = mapped_column(String(16))
    short_code: Mapped[str] = mapped_column(String(16), unique=True)  # 本地简码
    retail_price: Mapped[Decimal] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    variety: Mapped[Variety] = relationship(lazy="joined")


class Medium(Versioned, Base):
    """媒体档案: an advertising medium (TV channel, paper, web)."""

    __tablename__ = "medium"
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Placement(Versioned, Base):
    """媒体投放: which advert ran when — the source of an inbound lead."""

    __tablename__ = "placement"
    id: Mapped[int] = mapped_column(primary_key=True)
    medium_id: Mapped[int] = mapped_column(ForeignKey("medium.id"))
    variety_id: Mapped[int] = mapped_column(ForeignKey("variety.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    air_date: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    length_s: Mapped[int] = mapped_column()
    # what the airtime cost (元), entered by the media buyer: 广告响应's cost per call
    # and per order; None until entered (the report then shows no cost figures)
    cost: Mapped[Decimal | None] = mapped_column(Money, nullable=True)

    medium: Mapped[Medium] = relationship(lazy="joined")
    variety: Mapped[Variety] = relationship(lazy="joined")

    __table_args__ = (Index(None, "air_date", "start_time"),)


class SystemSetting(Base):
    """系统设置: key/value, e.g. browse_days (近X天, default 7)."""

    __tablename__ = "system_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class MobilePrefix(Base):
    """手机号段: first 7 digits → province, city, area code, carrier.

    phonenumbers' geocoder covers only part of China's mobile ranges (none of 166, 17x,
    19x), so the table is ours, loaded from db/data/mobile_prefixes.csv and refreshable.
    """

    __tablename__ = "mobile_prefix"
    prefix: Mapped[str] = mapped_column(String(7), primary_key=True)
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(8))
    carrier: Mapped[str] = mapped_column(String(16))


class AreaCode(Base):
    """电话区号: landline area code → province and city."""

    __tablename__ = "area_code"
    area_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
