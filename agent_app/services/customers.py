"""客户管理, first part: registering and editing customers, duplicate phones (资料重复),
registration numbers, and finding customers by phone (the screen-pop's lookup).

Phones are normalised (agent_app.phones) before they are stored or compared, and each
one is a row of customer_phone whose primary key is the phone: registering a number that
already belongs to anyone is refused, whatever the names, even when two agents try at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, lazyload

from agent_app import clock
from agent_app.errors import Duplicate, NotFound, ValidationError
from agent_app.phones import area_code_candidates, is_masked, is_mobile, mask_phone, normalise
from agent_app.search_text import name_initials, search_grams
from agent_app.services.base import Actor, check_version, db_errors, retrying, writes
from agent_app.services.privacy import sees_full_numbers, shown
from agent_app.services.sequences import next_number
from agent_app.services.text import check_column
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import CustomerClass, CustomerSource, Difficulty
from db.initials import key_rows
from db.models import AreaCode, Customer, CustomerInitialsKey, CustomerPhone, MobilePrefix, Region
from db.types import utcnow

SITE_ZONE = clock.SITE_ZONE  # registration numbers use the site's calendar day


class DuplicatePhone(Duplicate):
    """资料重复: the phone already belongs to a customer; the UI offers to open it."""

    template = QT_TRANSLATE_NOOP(
        "errors", "Duplicate record: {phone} already belongs to {name} ({registration_no}).")

    def __init__(self, *, phone: str, existing_id: int, name: str, registration_no: str):
        super().__init__(field="phones", phone=phone, name=name, registration_no=registration_no)
        self.existing_id = existing_id

    def shown_to(self, viewer: Actor) -> DuplicatePhone:
        """The same refusal with the number as `viewer` may see it (docs/privacy.md)."""
        if sees_full_numbers(viewer):
            return self
        return DuplicatePhone(phone=mask_phone(self.params["phone"]),
                              existing_id=self.existing_id, name=self.params["name"],
                              registration_no=self.params["registration_no"])


@dataclass(frozen=True)
class CustomerDraft:
    """What the agent types on the profile form."""

    name: str
    mobile: str = ""
    landline: str = ""
    other_phone: str = ""
    address: str = ""
    region_id: int | None = None
    source: str = CustomerSource.DIRECT
    end_user_name: str = ""
    end_user_school: str = ""
    user_account: str = ""
    remark: str = ""
    difficulty: str | None = None
    callback_agent_id: int | None = None


@dataclass(frozen=True)
class CustomerRecord(CustomerDraft):
    id: int = 0
    registration_no: str = ""
    customer_class: str = CustomerClass.C
    points: int = 0
    owner_id: int | None = None
    order_state: int = 0
    registered_at: dt.datetime | None = None
    version: int = 0
    updated_by_login: str | None = None


def class_for_points(points: int) -> str:
    """客户类型 from points: A 贵宾 ≥ 2000, B 重要 ≥ 800, otherwise C 普通 (D 死档 is set by
    hand). The thresholds are the demo's; a site changes them here."""
    return CustomerClass.A if points >= 2000 else CustomerClass.B if points >= 800 else CustomerClass.C


def _record(c: Customer) -> CustomerRecord:
    draft_names = {f.name for f in fields(CustomerDraft)}
    values = {n: getattr(c, n) for n in draft_names}
    return CustomerRecord(**values, id=c.id, registration_no=c.registration_no,
                          customer_class=c.customer_class, points=c.points, owner_id=c.owner_id,
                          order_state=c.order_state, registered_at=c.registered_at,
                          version=c.version, updated_by_login=c.updated_by_login)


PHONE_FIELDS = ("mobile", "landline", "other_phone")


def _clean(d: CustomerDraft) -> CustomerDraft:
    for name in PHONE_FIELDS:  # a mask left in a new record (update() resolves its own)
        if is_masked(getattr(d, name)):
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Type the whole number, or leave the masked number as it was."),
                field=name)
    d = replace(d, name=d.name.strip(), mobile=normalise(d.mobile),
                landline=normalise(d.landline), other_phone=normalise(d.other_phone),
                address=d.address.strip(), remark=d.remark.strip())
    for name in ("name", "address", "end_user_name", "end_user_school", "user_account",
                 "remark", "other_phone"):
        d = replace(d, **{name: check_column(getattr(Customer, name), getattr(d, name))})
    if not d.name:
        raise ValidationError(QT_TRANSLATE_NOOP("errors", "The name is required."), field="name")
    if not (d.mobile or d.landline or d.other_phone):
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Give at least one phone number."), field="mobile")
    if d.mobile and not is_mobile(d.mobile):
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "{phone} is not a mobile number (11 digits starting with 1)."),
            field="mobile", phone=d.mobile)
    if d.landline and not (d.landline.startswith("0") and 10 <= len(d.landline) <= 12):
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "Give the landline with its area code, e.g. 0571-88001234."),
            field="landline")
    if d.source not in set(CustomerSource):
        raise ValidationError(field="source")
    if d.difficulty is not None and d.difficulty not in set(Difficulty):
        raise ValidationError(field="difficulty")
    return d


def _unmask(d: CustomerDraft, c: Customer) -> CustomerDraft:
    """A phone field the agent left as the form showed it masked (138****5678) keeps the
    stored number: saving a record seen masked never writes the mask over the real number.
    Masked text that is not the stored number's mask was typed over: refused, nothing saved."""
    kept = {}
    for name in PHONE_FIELDS:
        text = (getattr(d, name) or "").strip()
        if not is_masked(text):
            continue
        stored = getattr(c, name) or ""
        if not stored or text != mask_phone(stored):
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "Type the whole number, or leave the masked number as it was."),
                field=name)
        kept[name] = stored
    return replace(d, **kept) if kept else d


def _phones(d: CustomerDraft) -> list[tuple[str, str]]:
    out = [(p, k) for p, k in ((d.mobile, "mobile"), (d.landline, "landline"),
                               (d.other_phone, "other")) if p]
    seen: dict[str, str] = {}
    for p, k in out:
        seen.setdefault(p, k)
    return list(seen.items())


def _write_initials_keys(s, c: Customer) -> None:
    """customer_initials_key rows for the name (pinyin search)."""
    for initials, at, cid in key_rows([(c.id, c.name_initials, c.registered_at)]):
        s.add(CustomerInitialsKey(initials=initials, registered_at=at, customer_id=cid))


class CustomerService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register(self, actor: Actor, draft: CustomerDraft) -> CustomerRecord:
        """新客户: the agent becomes the owner; 登记编号 = yyyymmdd + login (6) + daily seq."""
        d = _clean(draft)
        try:
            return shown(actor, retrying(lambda: self._register(actor, d)))
        except DuplicatePhone as exc:
            raise exc.shown_to(actor) from None

    def _register(self, actor: Actor, d: CustomerDraft) -> CustomerRecord:
        try:
            with db_errors(), self.db.transaction() as s:
                self._refuse_duplicates(s, d, None)
                day = clock.now().astimezone(SITE_ZONE).strftime("%Y%m%d")
                login = actor.login.zfill(6)
                seq = next_number(s, "registration", f"{day}:{login}")
                c = Customer(registration_no=f"{day}{login}{seq:04d}",
                             name_initials=name_initials(d.name), owner_id=actor.id,
                             registered_by_id=actor.id, registered_at=utcnow(),
                             customer_class=class_for_points(0), updated_by_login=actor.login)
                self._apply(c, d)
                c.phones = [CustomerPhone(phone=p, kind=k) for p, k in _phones(d)]
                s.add(c)
                s.flush()
                _write_initials_keys(s, c)
                return _record(c)
        except IntegrityError as exc:  # a concurrent registration took the phone first
            raise self._duplicate_after_race(d) from exc

    @writes
    def update(self, actor: Actor, customer_id: int, version: int,
               draft: CustomerDraft) -> CustomerRecord:
        """Save the profile; refused when someone saved since `version` was read. Phones
        left masked as shown keep their stored numbers (_unmask)."""
        d = draft
        try:
            with db_errors(), self.db.transaction() as s:
                c = s.get(Customer, customer_id)
                if c is None:
                    raise NotFound()
                d = _clean(_unmask(draft, c))
                check_version(c, version)
                self._refuse_duplicates(s, d, customer_id)
                # every column first, so the row is updated (and its version bumped) once
                renamed = c.name != d.name
                self._apply(c, d)
                c.name_initials = name_initials(d.name)
                c.updated_by_login = actor.login
                s.flush()
                s.execute(delete(CustomerPhone).where(CustomerPhone.customer_id == c.id))
                for p, k in _phones(d):
                    s.add(CustomerPhone(phone=p, customer_id=c.id, kind=k))
                if renamed:  # most saves keep the name: leave its keys alone
                    s.execute(delete(CustomerInitialsKey)
                              .where(CustomerInitialsKey.customer_id == c.id))
                    _write_initials_keys(s, c)
                s.flush()
                return shown(actor, _record(c))
        except DuplicatePhone as exc:
            raise exc.shown_to(actor) from None
        except IntegrityError as exc:
            raise self._duplicate_after_race(d).shown_to(actor) from exc

    def get(self, customer_id: int, *, viewer: Actor | None = None) -> CustomerRecord:
        """The record; its phones masked for a `viewer` without 查看完整号码 (the desk
        always passes its user; None is the core's own use)."""
        with db_errors(), self.db.reading() as s:
            c = s.get(Customer, customer_id)
            if c is None:
                raise NotFound()
            return shown(viewer, _record(c))

    def number_to_dial(self, actor: Actor, customer_id: int) -> str:
        """拨号 on a record: the customer's first number (mobile, landline, other), the
        real one even when `actor` sees it masked: the desk hands it to agent-ctid and
        shows it nowhere."""
        with db_errors(), self.db.reading() as s:
            c = s.get(Customer, customer_id)
            if c is None:
                raise NotFound()
            number = c.mobile or c.landline or c.other_phone or ""
        if not number:
            raise ValidationError(QT_TRANSLATE_NOOP(
                "errors", "This customer has no phone number."), field="mobile")
        return number

    def find_by_phone(self, raw: str, *, viewer: Actor | None = None) -> list[CustomerRecord]:
        """Whole-number lookup (B类: 电话), normalised: the screen-pop's question."""
        phone = normalise(raw)
        if not phone:
            return []
        with db_errors(), self.db.reading() as s:
            # one round trip: the record needs neither the phone rows (their numbers are
            # on the customer) nor the search tokens
            rows = s.scalars(select(Customer).join(CustomerPhone).where(
                CustomerPhone.phone == phone).order_by(Customer.id)
                .options(lazyload(Customer.phones), defer(Customer.search_grams))).all()
            return [shown(viewer, _record(c)) for c in rows]

    def region_for_phone(self, raw: str) -> int | None:
        """The region a new customer's phone suggests: a landline by its area code, a
        mobile by its number block (手机号段, the mobile_prefix table) → city → region."""
        phone = normalise(raw)
        if not phone:
            return None
        with db_errors(), self.db.reading() as s:
            return self.region_in_session(s, phone)

    @staticmethod
    def region_in_session(s, phone: str) -> int | None:
        """region_for_phone for an already normalised phone inside a caller's session
        (the screen-pop asks it together with its other questions)."""
        if is_mobile(phone):
            # longest-prefix match: the table folds blocks sharing a city into shorter
            # prefixes (scripts/build_mobile_prefixes.py); one primary-key range read
            hit = s.execute(select(MobilePrefix.city, MobilePrefix.area_code)
                            .where(MobilePrefix.prefix.in_([phone[:n] for n in range(7, 2, -1)]))
                            .order_by(func.length(MobilePrefix.prefix).desc()).limit(1)).first()
            if hit is None:
                return None
            city, code = hit
        else:
            codes = area_code_candidates(phone)
            if not codes:
                return None
            rid = s.scalar(select(Region.id).where(Region.area_code.in_(codes))
                           .order_by(func.length(Region.area_code)).limit(1))
            if rid is not None:
                return rid
            hit = s.execute(select(AreaCode.city, AreaCode.area_code)
                            .where(AreaCode.area_code.in_(codes)).limit(1)).first()
            if hit is None:
                return None
            city, code = hit
        # Regions are named after their city ("杭州市"; some sites drop the 市); failing
        # that, a region carrying the city's area code.
        names = [city, city[:-1]] if city.endswith("市") and len(city) > 2 else [city]
        rid = s.scalar(select(Region.id).where(Region.name.in_(names))
                       .order_by(Region.id).limit(1))
        if rid is None and code:
            rid = s.scalar(select(Region.id).where(Region.area_code == code)
                           .order_by(Region.id).limit(1))
        return rid

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _apply(c: Customer, d: CustomerDraft) -> None:
        for f in fields(CustomerDraft):
            setattr(c, f.name, getattr(d, f.name))
        c.search_grams = search_grams(d.address, d.end_user_name, d.end_user_school, d.remark)

    @staticmethod
    def _refuse_duplicates(s, d: CustomerDraft, own_id: int | None) -> None:
        for phone, _kind in _phones(d):
            hit = s.execute(select(Customer.id, Customer.name, Customer.registration_no)
                            .join(CustomerPhone).where(CustomerPhone.phone == phone)).first()
            if hit is not None and hit.id != own_id:
                raise DuplicatePhone(phone=phone, existing_id=hit.id, name=hit.name,
                                     registration_no=hit.registration_no)

    def _duplicate_after_race(self, d: CustomerDraft) -> DuplicatePhone:
        with self.db.reading() as s:
            for phone, _kind in _phones(d):
                hit = s.execute(select(Customer.id, Customer.name, Customer.registration_no)
                                .join(CustomerPhone).where(CustomerPhone.phone == phone)).first()
                if hit is not None:
                    return DuplicatePhone(phone=phone, existing_id=hit.id, name=hit.name,
                                          registration_no=hit.registration_no)
        return DuplicatePhone(phone=d.mobile or d.landline, existing_id=0, name="?",
                              registration_no="?")
