"""联系 and 意见及建议: the contact log of a customer, and the opinions they gave.

A contact is written by hand from the record's 联系情况 tab (add / update), or by the call
console when a CTI call with the customer starts and ends (log_call). log_call is keyed
by the CTI call_id so the console can call it at answer and again at hang-up (or again
after a reconnect replays events) without ever writing a second row for one call.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from agent_app.errors import Forbidden, NotFound, ValidationError
from agent_app.services.base import Actor, check_version, db_errors, stale, writes
from agent_app.services.text import check_text
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import CallDirection, ContactChannel, DemandType
from db.models import Contact, Customer, Employee, FeedbackNote, Variety
from db.types import utcnow

MAX_CONTENT = 2000     # 联系内容 / 需求信息 / 意见及建议: a few paragraphs, not documents
MAX_OUR_STAFF = 64     # the column's width
MAX_RECORDING_ID = 64
MAX_CALL_ID = 40


@dataclass(frozen=True)
class ContactDraft:
    """What the agent types on the contact form (联系内容)."""

    customer_id: int
    channel: str = ContactChannel.CALL_IN
    content: str = ""
    demand_type: str | None = None
    demand_variety_id: int | None = None
    our_staff: str = ""
    demand_info: str = ""
    at: dt.datetime | None = None   # None: now


@dataclass(frozen=True)
class ContactInfo:
    id: int
    customer_id: int
    at: dt.datetime
    employee_id: int | None
    employee_name: str | None
    channel: str
    content: str
    demand_type: str | None
    demand_variety_id: int | None
    demand_variety_name: str | None
    our_staff: str
    demand_info: str
    call_id: str | None
    duration_s: int | None
    recording_id: str | None
    version: int
    updated_by_login: str | None


@dataclass(frozen=True)
class FeedbackInfo:
    id: int
    customer_id: int
    at: dt.datetime
    employee_name: str | None
    text: str


def _too_long(field: str, limit: int) -> ValidationError:
    return ValidationError(QT_TRANSLATE_NOOP(
        "errors", "This text is too long: at most {limit} characters."), field=field, limit=limit)


def _aware(at: dt.datetime | None, field: str) -> dt.datetime | None:
    # A naive time is ambiguous by 8 hours between the workstation and the database.
    if at is not None and at.tzinfo is None:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "The time must carry a time zone."), field=field)
    return at


def _clean(d: ContactDraft) -> ContactDraft:
    if d.channel not in set(ContactChannel):
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Choose how the customer was contacted."), field="channel")
    if d.demand_type is not None and d.demand_type not in set(DemandType):
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Choose the demand type: consultation or order."), field="demand_type")
    content, info, staff = d.content.strip(), d.demand_info.strip(), d.our_staff.strip()
    content = check_text(content, field="content", limit=MAX_CONTENT)
    info = check_text(info, field="demand_info", limit=MAX_CONTENT)
    staff = check_text(staff, field="our_staff", limit=MAX_OUR_STAFF)
    _aware(d.at, "at")
    return ContactDraft(customer_id=d.customer_id, channel=str(d.channel), content=content,
                        demand_type=None if d.demand_type is None else str(d.demand_type),
                        demand_variety_id=d.demand_variety_id, our_staff=staff,
                        demand_info=info, at=d.at)


def _customer(s: Session, customer_id: int, *, lock: bool = False) -> Customer:
    c = s.get(Customer, customer_id, with_for_update=lock or None)
    if c is None:
        raise NotFound()
    return c


def _check_variety(s: Session, variety_id: int | None) -> None:
    if variety_id is not None and s.get(Variety, variety_id) is None:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "That product variety no longer exists; choose another."),
            field="demand_variety_id")


_Staff = aliased(Employee)


def _info_query():
    """Contacts with the agent's and the variety's names, in one query (no lazy loads)."""
    return (select(Contact, _Staff.name, Variety.name)
            .outerjoin(_Staff, Contact.employee_id == _Staff.id)
            .outerjoin(Variety, Contact.demand_variety_id == Variety.id))


def _info(c: Contact, employee_name: str | None, variety_name: str | None) -> ContactInfo:
    return ContactInfo(
        id=c.id, customer_id=c.customer_id, at=c.at, employee_id=c.employee_id,
        employee_name=employee_name, channel=c.channel, content=c.content,
        demand_type=c.demand_type, demand_variety_id=c.demand_variety_id,
        demand_variety_name=variety_name, our_staff=c.our_staff, demand_info=c.demand_info,
        call_id=c.call_id, duration_s=c.duration_s, recording_id=c.recording_id,
        version=c.version, updated_by_login=c.updated_by_login)


class ContactService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- 联系 ------------------------------------------------------------------------------
    @writes
    def add(self, actor: Actor, draft: ContactDraft) -> ContactInfo:
        d = _clean(draft)
        with db_errors(), self.db.transaction() as s:
            _customer(s, d.customer_id)
            _check_variety(s, d.demand_variety_id)
            c = Contact(customer_id=d.customer_id, at=d.at or utcnow(), employee_id=actor.id,
                        updated_by_login=actor.login)
            self._apply(c, d)
            s.add(c)
            s.flush()
            return self._load(s, c.id)

    @writes
    def update(self, actor: Actor, contact_id: int, version: int,
               draft: ContactDraft) -> ContactInfo:
        """Save an edited contact; refused when someone saved it since `version` was read.
        The call facts (call_id, duration, recording) are not on the form and stay."""
        d = _clean(draft)
        with db_errors(), self.db.transaction() as s:
            c = s.get(Contact, contact_id)
            if c is None:
                raise NotFound()
            check_version(c, version)
            if d.customer_id != c.customer_id:
                # A contact belongs to the customer it was written for; moving it would
                # silently rewrite another customer's history.
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "A contact cannot be moved to another customer."),
                    field="customer_id")
            _check_variety(s, d.demand_variety_id)
            self._apply(c, d)
            if d.at is not None:
                c.at = d.at
            c.updated_by_login = actor.login
            s.flush()
            return self._load(s, c.id)

    def for_customer(self, customer_id: int, limit: int = 200) -> list[ContactInfo]:
        """Newest first (the 联系情况 tab)."""
        with db_errors(), self.db.reading() as s:
            rows = s.execute(_info_query().where(Contact.customer_id == customer_id)
                             .order_by(Contact.at.desc(), Contact.id.desc()).limit(limit))
            return [_info(*row) for row in rows]

    @writes
    def log_call(self, actor: Actor, *, customer_id: int, call_id: str, direction: str,
                 at: dt.datetime, duration_s: int | None = None,
                 recording_id: str | None = None, notes: str | None = None,
                 version: int | None = None) -> ContactInfo | None:
        """Record a CTI call as a contact, once per call_id.

        The contact log is what was said: a call without notes (None, blank or only
        whitespace) writes no contact row and returns None; the call itself is in the
        call records. The first call with notes creates the row (channel call_in /
        call_out) with every call fact known so far; later calls fill in the duration,
        recording and, when notes are given, the content. Blank notes never empty the
        content of a row that has some.

        Notes on an existing row are an edit like `update`: only the call's agent (the
        contact's employee) or an administrator may write them (Forbidden), and only over
        the version the caller read (`version`, None when it has not seen the row):
        otherwise StaleEdit names who saved since, and nothing is written. The call
        facts alone need neither (they come from the CTI server, not from a person).
        """
        call_id = (call_id or "").strip()
        if not call_id or len(call_id) > MAX_CALL_ID:
            raise ValidationError(field="call_id")
        if direction not in set(CallDirection):
            raise ValidationError(field="direction")
        _aware(at, "at")
        if duration_s is not None and (not isinstance(duration_s, int) or duration_s < 0):
            raise ValidationError(field="duration_s")
        if recording_id is not None and len(recording_id) > MAX_RECORDING_ID:
            raise _too_long("recording_id", MAX_RECORDING_ID)
        notes = (notes or "").strip() or None
        if notes is not None:
            notes = check_text(notes, field="content", limit=MAX_CONTENT)
        if recording_id is not None:
            check_text(recording_id, field="recording_id", limit=None)
        with db_errors(), self.db.transaction() as s:
            # Locking the customer serialises two log_calls for one call (answer and
            # hang-up racing after a reconnect), so the second finds the first's row.
            _customer(s, customer_id, lock=True)
            c = s.scalar(select(Contact).where(Contact.call_id == call_id)
                         .order_by(Contact.id).limit(1))
            if c is None:
                if notes is None:
                    return None
                c = Contact(customer_id=customer_id, at=at, employee_id=actor.id,
                            channel=(ContactChannel.CALL_IN if direction == CallDirection.IN
                                     else ContactChannel.CALL_OUT),
                            content=notes, call_id=call_id, duration_s=duration_s,
                            recording_id=recording_id, updated_by_login=actor.login)
                s.add(c)
                s.flush()
                return self._load(s, c.id)
            facts = {k: v for k, v in (("duration_s", duration_s),
                                       ("recording_id", recording_id)) if v is not None}
            if facts:
                # Duration and recording are not on the agent's form, so filling them in
                # must not bump the version: the agent typing notes into this contact
                # while the call ends would otherwise be refused as a stale edit.
                s.execute(update(Contact).where(Contact.id == c.id).values(**facts)
                          .execution_options(synchronize_session=False))
                s.refresh(c)
            if notes is not None and notes != c.content:
                if c.employee_id != actor.id and not actor.is_admin:
                    raise Forbidden()   # another agent's call notes are theirs
                if version is None:     # writing over notes the caller never read
                    raise stale(c.updated_by_login, c.updated_at)
                check_version(c, version)
                c.content = notes
                c.updated_by_login = actor.login
                s.flush()
            return self._load(s, c.id)

    # -- 意见及建议 ---------------------------------------------------------------------------
    @writes
    def add_feedback(self, actor: Actor, customer_id: int, text: str) -> FeedbackInfo:
        text = (text or "").strip()
        if not text:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Write the customer's opinion or suggestion first."), field="text")
        text = check_text(text, field="text", limit=MAX_CONTENT)
        with db_errors(), self.db.transaction() as s:
            _customer(s, customer_id)
            f = FeedbackNote(customer_id=customer_id, at=utcnow(), employee_id=actor.id,
                             text=text)
            s.add(f)
            s.flush()
            return FeedbackInfo(id=f.id, customer_id=customer_id, at=f.at,
                                employee_name=actor.name, text=f.text)

    def feedback_for(self, customer_id: int) -> list[FeedbackInfo]:
        """Newest first."""
        with db_errors(), self.db.reading() as s:
            rows = s.execute(
                select(FeedbackNote, Employee.name)
                .outerjoin(Employee, FeedbackNote.employee_id == Employee.id)
                .where(FeedbackNote.customer_id == customer_id)
                .order_by(FeedbackNote.at.desc(), FeedbackNote.id.desc()))
            return [FeedbackInfo(id=f.id, customer_id=f.customer_id, at=f.at,
                                 employee_name=name, text=f.text) for f, name in rows]

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _apply(c: Contact, d: ContactDraft) -> None:
        c.channel = d.channel
        c.content = d.content
        c.demand_type = d.demand_type
        c.demand_variety_id = d.demand_variety_id
        c.our_staff = d.our_staff
        c.demand_info = d.demand_info

    @staticmethod
    def _load(s: Session, contact_id: int) -> ContactInfo:
        row = s.execute(_info_query().where(Contact.id == contact_id)).one()
        return _info(*row)
