"""销售订单: orders, their lines and the history of every state change."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Versioned
from db.types import Money, UTCDateTime, utcnow


class SalesOrder(Versioned, Base):
    __tablename__ = "sales_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(16), unique=True)  # 单号 yymmdd + 4 digits
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))  # seller
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivery_method: Mapped[str] = mapped_column(String(1), default="B")
    payment: Mapped[str] = mapped_column(String(16), default="cod")
    delivery_requirements: Mapped[str] = mapped_column(String(200), default="")
    medium_id: Mapped[int | None] = mapped_column(ForeignKey("medium.id"))
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"))
    variety_id: Mapped[int | None] = mapped_column(ForeignKey("variety.id"))  # 品种 (fixed)
    status: Mapped[str] = mapped_column(String(16), default="not_sent")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)  # 物流确认
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    printed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    feedback_state: Mapped[str] = mapped_column(String(16), default="none")  # 反
    receipt_state: Mapped[str] = mapped_column(String(16), default="none")   # 垂
    waybill_no: Mapped[str | None] = mapped_column(String(32))               # 联号
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    trial: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # 撤单 (错单撤销): logistics handed the order back to sales; set until it is confirmed
    # again, so 删撤销单 can tell a withdrawn order from one never confirmed
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    print_count: Mapped[int] = mapped_column(Integer, default=0)  # >1: reprinted

    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLine.line_no", lazy="selectin"
    )

    __table_args__ = (
        Index(None, "created_at"),
        Index(None, "customer_id", "created_at"),
        Index(None, "confirmed", "created_at"),
        Index(None, "waybill_no"),
        Index(None, "employee_id", "created_at"),
        Index(None, "confirmed_at"),  # 销售出库导出: the orders confirmed in a period
    )


class OrderLine(Base):
    __tablename__ = "order_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16), default="direct")  # 销售手段
    trial: Mapped[bool] = mapped_column(Boolean, default=False)      # 试单

    __table_args__ = (Index(None, "order_id", "line_no", unique=True),)


class OrderEvent(Base):
    """History of every state change on an order (who, when, from → to, why)."""

    __tablename__ = "order_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_login: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index(None, "order_id", "at"),)


class DispatchFeedback(Base):
    """出库反馈: what became of a dispatched parcel, one row per order (the unique key is
    the second guard of "two clerks, one parcel": the versioned order row is the first)."""

    __tablename__ = "dispatch_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"),
                                          unique=True)
    result: Mapped[str] = mapped_column(String(16))          # delivered 成包 / returned 退包
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))  # 投递员
    delivery_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))       # 投递费
    remark: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_login: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="desk")  # desk / a courier sheet

    __table_args__ = (Index(None, "at"),)


class PrintLog(Base):
    """Every label or slip printed, reprints included (出库打印)."""

    __tablename__ = "print_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_login: Mapped[str] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(32))
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index(None, "order_id", "at"),)


class CourierProfile(Versioned, Base):
    """A courier's sheets as the site receives them: which header names each field has
    (remembered from the last import) and what its states mean for us. Data, not code: a
    site adds a courier or a state without a new release."""

    __tablename__ = "courier_profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    # field (waybill, order_no, status, amount, fee, date, remark) -> header names
    columns: Mapped[dict] = mapped_column(JSON)
    # the courier's state (code or text) -> delivered / returned / (absent: not final)
    statuses: Mapped[dict] = mapped_column(JSON)


class CodRemittance(Base):
    """代收货款 remitted by a courier for one delivered parcel (对账)."""

    __tablename__ = "cod_remittance"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"),
                                          unique=True)
    courier: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Money)
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    remitted_on: Mapped[dt.date | None] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_login: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index(None, "at"),)
