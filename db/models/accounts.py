"""Employees, permissions and the audit log (系统管理 / 员工档案)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Versioned
from db.types import UTCDateTime, utcnow


class Department(Versioned, Base):
    """部门: number, name, function, business number (业务号码)."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    function: Mapped[str] = mapped_column(String(200), default="")
    business_number: Mapped[str] = mapped_column(String(32), default="")


class Employee(Versioned, Base):
    """员工. `login` (员工号) and `name` never change once created (the manual's rule)."""

    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    role: Mapped[str] = mapped_column(String(16), default="operator")
    status: Mapped[str] = mapped_column(String(16), default="active")
    round_robin: Mapped[bool] = mapped_column(Boolean, default=False)  # 轮选
    # deferred: loading an employee never selects the hash, which a desk on a site with
    # per-employee accounts may not read (db/privileges.py); code that checks a
    # password loads it on purpose.
    password_hash: Mapped[str] = mapped_column(String(255), deferred=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # MariaDB's INSERT … RETURNING needs SELECT on every inserted column, and a super
    # administrator's account may not read password_hash: the id comes back as
    # lastrowid instead.
    __table_args__ = {"implicit_returning": False}

    department: Mapped[Department | None] = relationship(lazy="joined")
    permissions: Mapped[list[EmployeePermission]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class EmployeePermission(Base):
    __tablename__ = "employee_permission"
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employee.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(32), primary_key=True)


class AuditLog(Base):
    """Every login, password change, permission change, export and maintenance action."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_login: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[dict | None] = mapped_column(JSON)
    workstation: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index(None, "at"), Index(None, "action", "at"))


class Notice(Base):
    """发送通告 / 发送消息: announcements by date, and internal messages between staff."""

    __tablename__ = "notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sender_login: Mapped[str] = mapped_column(String(32))
    recipient_login: Mapped[str | None] = mapped_column(String(32))  # None: announcement
    text: Mapped[str] = mapped_column(Text)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
