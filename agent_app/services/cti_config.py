"""CTI配置 (super administrators): groups, hotline numbers, internal numbers, seats.

agent-ctid re-reads these tables every few seconds, so a change applies without a restart.
agent-admin on the server acts as agent_app.cli.identity.SHELL, a super administrator
(shell access is the authority there); there is no identity-less path.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from agent_app.errors import ValidationError
from agent_app.services.base import Actor, audit, db_errors, require_role, writes
from agent_app.services.text import check_column
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import Role
from db.models import CtiGroup, DialedNumber, InternalNumber, Medium


@dataclass(frozen=True)
class GroupInfo:
    number: str
    name: str
    overflow_group: str | None
    max_queue: int
    ring_timeout_s: int
    wrapup_s: int


def _digits(value: str, field: str) -> str:
    v = value.strip()
    body = v[1:] if v.startswith("+") else v
    if not body.isdigit() or len(body) > 32:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "Digits only, at most 32."), field=field)
    return v


class CtiConfigService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _check(self, actor: Actor) -> str:
        require_role(actor, Role.SUPERADMIN)
        return actor.login

    @writes
    def set_group(self, actor: Actor, number: str, *, name: str | None = None,
                  overflow: str | None = None, max_queue: int | None = None,
                  ring_timeout_s: int | None = None, wrapup_s: int | None = None) -> GroupInfo:
        by = self._check(actor)
        if name is not None:
            name = check_column(CtiGroup.name, name.strip())
        if not number.isdigit() or len(number) > 8:
            raise ValidationError(QT_TRANSLATE_NOOP("errors", "A group number is 1-8 digits."),
                                  field="number")
        if ring_timeout_s is not None and not 1 <= ring_timeout_s <= 60:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The ring timeout is 1 to 60 seconds."), field="ring_timeout_s")
        if max_queue is not None and not 0 <= max_queue <= 10_000:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The queue length is 0 to 10000."), field="max_queue")
        if wrapup_s is not None and not 0 <= wrapup_s <= 3600:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Wrap-up is 0 to 3600 seconds."), field="wrapup_s")
        with db_errors(), self.db.transaction() as s:
            if overflow:
                if overflow == number:
                    raise ValidationError(QT_TRANSLATE_NOOP(
                        "errors", "A group cannot overflow to itself."), field="overflow")
                if s.scalar(select(CtiGroup.id).where(CtiGroup.number == overflow)) is None:
                    raise ValidationError(QT_TRANSLATE_NOOP(
                        "errors", "There is no group {number}."), field="overflow", number=overflow)
            g = s.scalar(select(CtiGroup).where(CtiGroup.number == number))
            if g is None:
                g = CtiGroup(number=number, name=name or "")
                s.add(g)
            for attr, value in (("name", name), ("max_queue", max_queue),
                                ("ring_timeout_s", ring_timeout_s), ("wrapup_s", wrapup_s)):
                if value is not None:
                    setattr(g, attr, value)
            if overflow is not None:
                g.overflow_group = overflow or None
            g.updated_by_login = by
            audit(s, by, "cti_group_set", number)
            s.flush()
            return GroupInfo(g.number, g.name, g.overflow_group, g.max_queue,
                             g.ring_timeout_s, g.wrapup_s)

    @writes
    def set_number(self, actor: Actor, digits: str, *, group: str,
                   medium: str | None = None) -> None:
        by = self._check(actor)
        digits = _digits(digits, "digits")
        with db_errors(), self.db.transaction() as s:
            if s.scalar(select(CtiGroup.id).where(CtiGroup.number == group)) is None:
                raise ValidationError(QT_TRANSLATE_NOOP("errors", "There is no group {number}."),
                                      field="group", number=group)
            medium_id = None
            if medium:
                medium_id = s.scalar(select(Medium.id).where(Medium.name == medium))
                if medium_id is None:
                    raise ValidationError(QT_TRANSLATE_NOOP(
                        "errors", "There is no medium named {name}."), field="medium", name=medium)
            d = s.scalar(select(DialedNumber).where(DialedNumber.digits == digits))
            if d is None:
                d = DialedNumber(digits=digits, group_number=group)
                s.add(d)
            d.group_number, d.medium_id, d.updated_by_login = group, medium_id, by
            audit(s, by, "cti_number_set", digits, group=group, medium=medium)

    @writes
    def add_internal(self, actor: Actor, digits: str, note: str = "") -> None:
        by = self._check(actor)
        digits = _digits(digits, "digits")
        note = check_column(InternalNumber.note, (note or "").strip())
        with db_errors(), self.db.transaction() as s:
            if s.scalar(select(InternalNumber.id).where(InternalNumber.digits == digits)):
                return  # already internal: idempotent
            s.add(InternalNumber(digits=digits, note=note, updated_by_login=by))
            audit(s, by, "cti_internal_add", digits)

    def groups(self) -> list[GroupInfo]:
        with db_errors(), self.db.reading() as s:
            return [GroupInfo(g.number, g.name, g.overflow_group, g.max_queue,
                              g.ring_timeout_s, g.wrapup_s)
                    for g in s.scalars(select(CtiGroup).order_by(CtiGroup.number))]
