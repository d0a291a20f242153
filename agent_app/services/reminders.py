"""提醒: callbacks due at a time, popped up when due, marked 已回 when done.

A reminder is the owner's alone (scope "me", VICIdial's USERONLY) or anyone's in one
callback group (scope "group", ANYONE). The groups an agent works in are the Actor's
(`Actor.groups`, set where the desk logs in), never an argument a caller could widen. Administrators see every reminder in the 客户提醒 list, but the
due pop-up only ever shows the actor's own and their groups' (it is a to-do, not a report).
"""
from __future__ import annotations

import builtins
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session, aliased

from agent_app.errors import Conflict, Forbidden, NotFound, ValidationError
from agent_app.services.base import Actor, audit, check_version, db_errors, require, writes
from agent_app.services.customers import SITE_ZONE
from agent_app.services.privacy import shown, shown_all
from agent_app.services.text import check_column
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import CustomerSource, Permission, ReminderScope
from db.models import Customer, Employee, Reminder
from db.types import utcnow

MAX_NOTE = 500        # the column's width
MAX_GROUP = 8


@dataclass(frozen=True)
class ReminderInfo:
    id: int
    customer_id: int
    customer_name: str
    phone: str
    due_at: dt.datetime
    note: str
    owner_id: int
    owner_name: str | None
    scope: str
    group_number: str | None
    done: bool
    done_at: dt.datetime | None
    cancelled: bool
    version: int


_Owner = aliased(Employee)
_Doer = aliased(Employee)


def _query():
    """Reminders with the customer's name and phones and the owner's name, in one query."""
    return (select(Reminder, Customer.name, Customer.mobile, Customer.landline,
                   Customer.other_phone, _Owner.name)
            .join(Customer, Reminder.customer_id == Customer.id)
            .outerjoin(_Owner, Reminder.owner_id == _Owner.id))


def _info(r: Reminder, name: str, mobile: str, landline: str, other: str,
          owner_name: str | None) -> ReminderInfo:
    # "The" phone of a customer, as the list shows one: mobile first (the one agents
    # dial), then the landline, then whatever else was given.
    phone = mobile or landline or other or ""
    return ReminderInfo(id=r.id, customer_id=r.customer_id, customer_name=name, phone=phone,
                        due_at=r.due_at, note=r.note, owner_id=r.owner_id,
                        owner_name=owner_name, scope=r.scope, group_number=r.group_number,
                        done=r.done, done_at=r.done_at, cancelled=r.cancelled,
                        version=r.version)


def _visible(actor: Actor):
    """Mine, or my groups' shared ones."""
    groups = tuple(actor.groups)
    shared = (and_(Reminder.scope == ReminderScope.GROUP, Reminder.group_number.in_(groups))
              if groups else false())
    return or_(Reminder.owner_id == actor.id, shared)


def site_day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of date_from, start of the day after date_to) on the site's calendar."""
    start = dt.datetime.combine(date_from, dt.time(), SITE_ZONE)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), SITE_ZONE)
    return start, end


class ReminderService:
    def __init__(self, db: Database) -> None:
        self.db = db

    @writes
    def create(self, actor: Actor, customer_id: int, due_at: dt.datetime, note: str = "", *,
               scope: str = ReminderScope.ME, group_number: str | None = None) -> ReminderInfo:
        if not isinstance(due_at, dt.datetime) or due_at.tzinfo is None:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Give the reminder's date and time."), field="due_at")
        note = check_column(Reminder.note, (note or "").strip())
        if scope not in set(ReminderScope):
            raise ValidationError(field="scope")
        group_number = (group_number or "").strip() or None
        if scope == ReminderScope.GROUP:
            if group_number is None or len(group_number) > MAX_GROUP:
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "Choose the group that may take this reminder."),
                    field="group_number")
            if group_number not in actor.groups and not actor.is_admin:
                # handing work to a group one does not work in is an administrator's call
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "You can share a reminder only with a group you work in."),
                    field="group_number")
        else:
            group_number = None  # "only me": a group would only confuse the lists
        with db_errors(), self.db.transaction() as s:
            if s.get(Customer, customer_id) is None:
                raise NotFound()
            r = Reminder(customer_id=customer_id, due_at=due_at, note=note, owner_id=actor.id,
                         scope=str(scope), group_number=group_number,
                         updated_by_login=actor.login)
            s.add(r)
            s.flush()
            return shown(actor, self._load(s, r.id))

    def for_customer(self, customer_id: int, *,
                     viewer: Actor | None = None) -> list[ReminderInfo]:
        """The record's reminders, newest due first; cancelled ones (客户维护) left out."""
        with db_errors(), self.db.reading() as s:
            rows = s.execute(_query().where(Reminder.customer_id == customer_id,
                                            Reminder.cancelled.is_(False))
                             .order_by(Reminder.due_at.desc(), Reminder.id.desc()))
            return shown_all(viewer, (_info(*row) for row in rows))

    def list(self, actor: Actor, *, date_from: dt.date, date_to: dt.date,
             include_done: bool = True,
             source: str | None = None) -> builtins.list[ReminderInfo]:
        """客户提醒 / 回访设置: reminders due in [date_from, date_to] (site calendar days,
        both inclusive), earliest first."""
        if date_to < date_from:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "The end date is before the start date."), field="date_to")
        if source is not None and source not in set(CustomerSource):
            raise ValidationError(field="source")
        start, end = site_day_bounds(date_from, date_to)
        q = _query().where(Reminder.cancelled.is_(False), Reminder.due_at >= start,
                           Reminder.due_at < end)
        if not include_done:
            q = q.where(Reminder.done.is_(False))
        if source is not None:
            q = q.where(Customer.source == source)
        if not actor.is_admin:
            q = q.where(_visible(actor))
        with db_errors(), self.db.reading() as s:
            rows = s.execute(q.order_by(Reminder.due_at, Reminder.id))
            return shown_all(actor, (_info(*row) for row in rows))

    def due(self, actor: Actor, now: dt.datetime, *,
            since: dt.datetime | None = None) -> builtins.list[ReminderInfo]:
        """What should pop up: open reminders due by `now` (and after `since`, so a poll
        shows only what became due since the last one), the actor's own or their groups'."""
        for t in (now, since):
            if t is not None and t.tzinfo is None:
                raise ValidationError(QT_TRANSLATE_NOOP(
                    "errors", "The time must carry a time zone."), field="now")
        q = _query().where(Reminder.done.is_(False), Reminder.cancelled.is_(False),
                           Reminder.due_at <= now, _visible(actor))
        if since is not None:
            q = q.where(Reminder.due_at > since)
        with db_errors(), self.db.reading() as s:
            rows = s.execute(q.order_by(Reminder.due_at, Reminder.id))
            return shown_all(actor, (_info(*row) for row in rows))

    @writes
    def mark_done(self, actor: Actor, reminder_id: int, version: int) -> ReminderInfo:
        """已回. Whoever could take the reminder may mark it: its owner, an agent of its
        callback group (one of `actor.groups`), and administrators."""
        with db_errors(), self.db.transaction() as s:
            r = s.get(Reminder, reminder_id, with_for_update=True)
            if r is None:
                raise NotFound()
            takes_it = r.owner_id == actor.id or actor.is_admin or (
                r.scope == ReminderScope.GROUP and r.group_number in actor.groups)
            if not takes_it:  # another group's callback stays theirs to make
                raise Forbidden()
            # Done and cancelled first: "someone else already called back" is the useful
            # message, where a version mismatch would only say "reload".
            if r.done:
                who = s.scalar(select(_Doer.name).where(_Doer.id == r.done_by_id)) or "?"
                when = r.done_at.astimezone(SITE_ZONE).strftime("%Y-%m-%d %H:%M") \
                    if r.done_at else "?"
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "{who} already marked this reminder as called back at {when}."),
                    who=who, when=when)
            if r.cancelled:
                raise Conflict(QT_TRANSLATE_NOOP(
                    "errors", "This reminder was cancelled by customer maintenance."))
            check_version(r, version)
            r.done = True
            r.done_at = utcnow()
            r.done_by_id = actor.id
            r.updated_by_login = actor.login
            s.flush()
            return shown(actor, self._load(s, r.id))

    @writes
    def cancel(self, actor: Actor, reminder_ids) -> int:
        """客户维护: cancel open reminders (e.g. of customers handed to someone else).
        Returns how many were cancelled; done or already cancelled ones are left alone."""
        require(actor, Permission.CUSTOMER_MAINTENANCE)
        ids = sorted({int(i) for i in reminder_ids})
        if not ids:
            return 0
        with db_errors(), self.db.transaction() as s:
            rows = s.scalars(select(Reminder).where(Reminder.id.in_(ids))
                             .order_by(Reminder.id).with_for_update()).all()
            if len(rows) != len(ids):
                raise NotFound()
            changed = [r for r in rows if not r.done and not r.cancelled]
            for r in changed:
                r.cancelled = True
                r.updated_by_login = actor.login
            s.flush()
            if changed:
                audit(s, actor.login, "reminders_cancelled", f"{len(changed)} reminders",
                      ids=[r.id for r in changed],
                      old=[{"id": r.id, "customer_id": r.customer_id, "owner_id": r.owner_id,
                            "due_at": r.due_at.isoformat(), "note": r.note} for r in changed])
            return len(changed)

    @staticmethod
    def _load(s: Session, reminder_id: int) -> ReminderInfo:
        return _info(*s.execute(_query().where(Reminder.id == reminder_id)).one())
