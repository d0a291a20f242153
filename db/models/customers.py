"""客户管理: customers, their phones, contacts, feedback notes and reminders."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Versioned
from db.types import UTCDateTime, utcnow


class Customer(Versioned, Base):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_no: Mapped[str] = mapped_column(String(32), unique=True)  # 登记编号
    name: Mapped[str] = mapped_column(String(64))
    # Pinyin initials of every reading of the name ("wjg" for 王建国; heteronyms give
    # several, space separated); searched through CustomerInitialsKey, not directly.
    name_initials: Mapped[str] = mapped_column(String(64), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")     # normalised
    landline: Mapped[str] = mapped_column(String(20), default="")   # normalised, with area code
    other_phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    customer_class: Mapped[str] = mapped_column(String(1), default="C")
    points: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="direct")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    callback_agent_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    end_user_name: Mapped[str] = mapped_column(String(64), default="")    # 使用者
    end_user_school: Mapped[str] = mapped_column(String(100), default="")
    user_account: Mapped[str] = mapped_column(String(64), default="")     # 用户号
    remark: Mapped[str] = mapped_column(String(500), default="")
    difficulty: Mapped[str | None] = mapped_column(String(16))            # 回访难度
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Kept by the order service so the directory can colour rows without a join:
    # 0 = no order, 1 = orders but none confirmed (blue), 2 = a confirmed order (pink).
    order_state: Mapped[int] = mapped_column(Integer, default=0)
    # Space-separated bigram tokens of address / end-user / remark for contains search
    # (MariaDB has no ngram full-text parser; see agent_app/search_text.py).
    search_grams: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))

    phones: Mapped[list[CustomerPhone]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        Index(None, "registered_at"),
        # name with registered_at: a prefix search reads its newest-first page
        # from the index alone (EXPLAIN showed a row read per match, then a sort)
        Index(None, "name", "registered_at"),
        Index(None, "user_account"),   # B类 用户号 (whole match)
        Index(None, "owner_id", "registered_at"),
        Index(None, "region_id", "registered_at"),
        # statistics (migrations 0006, 0007): narrow indexes a report reads instead of the
        # rows — 客户资料数统计 counts from the first, 资料分配利用率统计 from the second,
        # and a period's orders and contacts look up their customer's allocation, region
        # and name in the third, small enough to stay in the buffer pool
        Index(None, "customer_class", "source", "region_id", "registered_at"),
        Index(None, "owner_id", "callback_agent_id", "registered_at"),
        Index(None, "id", "owner_id", "callback_agent_id", "region_id", "name"),
        # C类 contains search: InnoDB FULLTEXT over our own bigram tokens (MySQL/MariaDB
        # only; SQLite, a single workstation's small file, scans with LIKE instead).
        Index("ix_customer_search_grams_ft", "search_grams",
              mysql_prefix="FULLTEXT").ddl_if(dialect="mysql"),
    )


class CustomerInitialsKey(Base):
    """Every prefix of every pinyin-initials reading of a customer's name, with the
    registration time: 王建国 gives w, wj, wjg; 曾小明 (zeng or ceng) also c, cx, cxm.

    An initials search is then an equality on `initials`, and the primary key, ordered
    (initials, registered_at, customer_id), hands out its newest-first page as the first
    page_size entries of one range: "yy" matches tens of thousands of names and still
    reads 101 entries. A prefix range on customer.name_initials had to read and sort
    every match (89 ms p95 on a million customers), and a walk down registered_at was
    slow for rare initials. registered_at is copied here because it never changes."""

    __tablename__ = "customer_initials_key"
    initials: Mapped[str] = mapped_column(String(16), primary_key=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index(None, "customer_id"),)


class SearchGramStat(Base):
    """How many customers' search_grams hold each bigram token, counted by
    `agent-admin search-stats` (and the demo loader); the row with the empty gram holds
    the number of customers counted. The contains search reads the few rows of a needle's
    tokens to choose its plan: a walk down the newest rows for common needles, FULLTEXT
    with only the rarest tokens for the rest (see customer_query). Counts only steer
    speed, never results, so a day-old count is as good as a fresh one."""

    __tablename__ = "search_gram_stat"
    # binary collation: unicode_ci would call "１" and "1" one key and refuse the second
    gram: Mapped[str] = mapped_column(
        String(8).with_variant(mysql.VARCHAR(8, collation="utf8mb4_bin"), "mysql"),
        primary_key=True)
    docs: Mapped[int] = mapped_column(Integer)


class CustomerPhone(Base):
    """One row per normalised phone of a customer. The primary key on `phone` is what
    makes 资料重复 (duplicate record) race-free: two agents registering the same number
    at once cannot both succeed, whatever the names."""

    __tablename__ = "customer_phone"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8), default="mobile")  # mobile/landline/other

    __table_args__ = (Index(None, "customer_id"),)


class Contact(Versioned, Base):
    """联系: one contact with a customer, with its structured content (联系内容)."""

    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    channel: Mapped[str] = mapped_column(String(16), default="call_in")
    content: Mapped[str] = mapped_column(Text, default="")
    demand_type: Mapped[str | None] = mapped_column(String(16))     # 需求类型
    demand_variety_id: Mapped[int | None] = mapped_column(ForeignKey("variety.id"))
    our_staff: Mapped[str] = mapped_column(String(64), default="")  # 我方人员
    demand_info: Mapped[str] = mapped_column(Text, default="")      # 需求信息
    call_id: Mapped[str | None] = mapped_column(String(40))         # CTI call, if any
    duration_s: Mapped[int | None] = mapped_column(Integer)
    recording_id: Mapped[str | None] = mapped_column(String(64))     # the call's recording

    # one contact per call: the screen-pop and the call's end both log it (log_call)
    __table_args__ = (Index(None, "customer_id", "at"), Index(None, "call_id", unique=True),
                      # 资料分配利用率统计: a period's contacts by employee (migration 0006)
                      Index(None, "at", "employee_id", "customer_id"))


class FeedbackNote(Base):
    """意见及建议 recorded from a customer."""

    __tablename__ = "feedback_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "customer_id", "at"),)


class Reminder(Versioned, Base):
    """提醒: a callback due at a time; `scope` says who may take it (me / the group)."""

    __tablename__ = "reminder"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    scope: Mapped[str] = mapped_column(String(8), default="me")
    group_number: Mapped[str | None] = mapped_column(String(8))
    done: Mapped[bool] = mapped_column(Boolean, default=False)      # 已回
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index(None, "done", "due_at"),
        Index(None, "owner_id", "due_at"),
        Index(None, "customer_id"),
    )
