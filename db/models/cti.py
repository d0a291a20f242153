"""CTI configuration (CTI配置, super administrators) and call records (通话记录)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Versioned
from db.types import UTCDateTime


class CtiGroup(Versioned, Base):
    """An ACD group (接线组 21, 回访组 11); 21 → 22 is overflow to the next level."""

    __tablename__ = "cti_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    overflow_group: Mapped[str | None] = mapped_column(String(8))
    max_queue: Mapped[int] = mapped_column(Integer, default=50)
    ring_timeout_s: Mapped[int] = mapped_column(Integer, default=15)
    wrapup_s: Mapped[int] = mapped_column(Integer, default=10)


class DialedNumber(Versioned, Base):
    """源被叫: a hotline / 400 number → the group it rings and the medium it advertises."""

    __tablename__ = "dialed_number"
    id: Mapped[int] = mapped_column(primary_key=True)
    digits: Mapped[str] = mapped_column(String(32), unique=True)
    group_number: Mapped[str] = mapped_column(String(8))
    medium_id: Mapped[int | None] = mapped_column(ForeignKey("medium.id"))


class InternalNumber(Versioned, Base):
    """集团电话: internal phones whose calls are never leads (进线)."""

    __tablename__ = "internal_number"
    id: Mapped[int] = mapped_column(primary_key=True)
    digits: Mapped[str] = mapped_column(String(32), unique=True)
    note: Mapped[str] = mapped_column(String(100), default="")


class Seat(Versioned, Base):
    """座席: a seat number (主被叫) and its default caller number (默认主叫)."""

    __tablename__ = "seat"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    caller_id: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(String(100), default="")


class CallRecord(Base):
    """One call, written by agent-ctid when it starts and completed when it ends."""

    __tablename__ = "call_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(40), unique=True)
    direction: Mapped[str] = mapped_column(String(4))          # in / out
    caller: Mapped[str] = mapped_column(String(32))
    dialed: Mapped[str] = mapped_column(String(32), default="")  # 源被叫
    seat: Mapped[str | None] = mapped_column(String(16))         # 主被叫
    agent_login: Mapped[str | None] = mapped_column(String(32))
    group_number: Mapped[str | None] = mapped_column(String(8))
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    wait_s: Mapped[float | None] = mapped_column()
    talk_s: Mapped[float | None] = mapped_column()
    end_cause: Mapped[str | None] = mapped_column(String(16))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    lead: Mapped[bool] = mapped_column(Boolean, default=False)   # 进线
    medium_id: Mapped[int | None] = mapped_column(ForeignKey("medium.id"))
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id"))
    recording_id: Mapped[str | None] = mapped_column(String(64))
    recording_path: Mapped[str | None] = mapped_column(String(255))
    recording_bytes: Mapped[int | None] = mapped_column(Integer)
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    # 未接分配: an abandoned call allocated to an agent to call back, and whether done.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    handled: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index(None, "queued_at"),
        Index(None, "caller", "queued_at"),
        Index(None, "agent_login", "queued_at"),
        Index(None, "end_cause", "queued_at"),
        Index(None, "customer_id"),
    )


class AgentStateLog(Base):
    """One row per agent state transition, written by agent-ctid (坐席状态日志): the
    agent-state time of the statistics (ready, busy by reason, ringing, talking, wrap-up,
    logged out) is the time from each row to the agent's next one."""

    __tablename__ = "agent_state_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    agent_login: Mapped[str] = mapped_column(String(32))
    seat: Mapped[str | None] = mapped_column(String(16))
    # logged_out / ready / busy / ringing / talking / wrapup
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32), default="")    # a busy state's reason
    groups: Mapped[str] = mapped_column(String(64), default="")    # "21,22": logged into
    call_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        Index(None, "at"),
        Index(None, "agent_login", "at"),
    )
