"""客户管理, second part: the customer directory (近X天) and 客户查找 (search).

Both return keyset pages ordered newest first on (registered_at desc, id desc): the next
page starts after the previous page's last key, never at an OFFSET, so paging deep into a
million customers costs what the first page costs.

Search criteria apply only when given (the manual's ticked boxes). Text search has three
kinds, as in the manual:
  A (prefix or whole): name (and pinyin initials), registration number, phone;
  B (whole only): user account, "direct" (name or phone);
  C (contains anywhere): address, end-user name and school, remark. On MySQL/MariaDB
    the needle's token counts (search_stats.plan_contains) choose: a bounded LIKE walk
    down the newest rows for common needles, or the FULLTEXT index over our own bigram
    tokens (agent_app/search_text.py) with the rarest of them, verified with LIKE on the
    chosen column. SQLite scans with LIKE.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, func, or_, select, true, union
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from agent_app.errors import ValidationError
from agent_app.phones import normalise
from agent_app.search_text import query_grams
from agent_app.services.archives import ArchiveService
from agent_app.services.base import Actor, db_errors
from agent_app.services.customers import SITE_ZONE
from agent_app.services.paging import Page
from agent_app.services.privacy import shown_page
from agent_app.services.search_stats import WALK_US_PER_ROW, gram_docs, plan_contains
from agent_app.services.text import searchable
from agent_app.tr import QT_TRANSLATE_NOOP
from db.engine import Database
from db.enums import CustomerClass, CustomerSource
from db.initials import MAX_INITIALS
from db.models import (
    Customer,
    CustomerInitialsKey,
    CustomerPhone,
    Employee,
    Region,
    SalesOrder,
)
from db.types import UTC

PREFIX_FIELDS = ("name", "registration_no", "phone")                         # A类
WHOLE_FIELDS = ("user_account", "direct")                                    # B类
CONTAINS_FIELDS = ("address", "end_user_name", "end_user_school", "remark")  # C类
FIELDS = PREFIX_FIELDS + WHOLE_FIELDS + CONTAINS_FIELDS
MAX_PAGE = 1000
# The walk hit its cap: ER_QUERY_TIMEOUT (MySQL's hint), ER_FILSORT_ABORT (MariaDB chose
# to sort rather than walk the index, as on a small table, and the sort hit the row cap).
_WALK_CAPPED = {3024, 1028}

# Asia/Shanghai has had no daylight saving since 1991, so local time is UTC + 8 h exactly;
# a fixed shift lets the time-of-day filter run in SQL without CONVERT_TZ (which returns
# NULL on servers whose time-zone tables were never loaded, the stock MariaDB install).
_SITE_OFFSET_H = int(SITE_ZONE.utcoffset(dt.datetime(2020, 1, 1)).total_seconds() // 3600)


@dataclass(frozen=True)
class CustomerRow:
    id: int
    registration_no: str
    name: str
    mobile: str
    landline: str
    address: str
    region_name: str
    customer_class: str
    source: str
    owner_name: str
    callback_agent_name: str
    registered_at: dt.datetime
    order_state: int   # 0 no order, 1 unconfirmed orders (blue), 2 a confirmed order (pink)
    difficulty: str | None
    remark: str


@dataclass(frozen=True)
class CustomerQuery:
    registered_from: dt.date | None = None
    registered_to: dt.date | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    region_id: int | None = None
    variety_id: int | None = None
    employee_id: int | None = None     # owner
    sale: str | None = None            # "sale" (has orders) | "consult" (none)
    customer_class: str | None = None
    source: str | None = None
    field: str | None = None
    text: str = ""


def site_day_start(day: dt.date) -> dt.datetime:
    """The UTC instant a site-calendar day begins."""
    return dt.datetime.combine(day, dt.time(), SITE_ZONE).astimezone(UTC)


def site_today() -> dt.date:
    return dt.datetime.now(SITE_ZONE).date()


@dataclass(frozen=True)
class _AnyOf:
    """A text criterion that is an OR over several columns (name or initials; name or
    phone). Written as one OR, the servers cannot use an index for it and walk the whole
    table; _page runs one keyset query per branch instead and merges their pages."""

    branches: tuple


@dataclass(frozen=True)
class _InitialsKey:
    """A pinyin-initials branch of _AnyOf: its page comes from customer_initials_key in
    key order (see CustomerInitialsKey), joined to customer only for other criteria."""

    initials: str


def _escape(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _prefix(column, text: str):
    """LIKE 'text%' with the pattern built here, not CONCAT()ed in SQL, so the server sees
    a constant prefix and can range-scan the column's index."""
    return column.like(_escape(text) + "%", escape="/")


def _contains(column, text: str):
    return column.like("%" + _escape(text) + "%", escape="/")


def _invalid(message: str, field: str, **params) -> ValidationError:
    return ValidationError(message, field=field, **params)


class CustomerQueryService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- 近X天 ------------------------------------------------------------------------------
    def directory(self, actor: Actor, *, days: int | None = None, page_size: int = 100,
                  after: tuple | None = None) -> Page[CustomerRow]:
        """Customers registered in the last `days` site-calendar days (0: today only),
        newest first. `days` None takes the browse_days setting."""
        if days is None:
            days = ArchiveService(self.db).browse_days()
        if not isinstance(days, int) or days < 0:
            raise _invalid(QT_TRANSLATE_NOOP("errors", "Enter a number of days of 0 or more."),
                           "days")
        since = site_day_start(site_today() - dt.timedelta(days=days))
        return shown_page(actor, self._page([Customer.registered_at >= since], page_size, after))

    # -- 客户查找 ---------------------------------------------------------------------------
    def search(self, actor: Actor, q: CustomerQuery, *, page_size: int = 100,
               after: tuple | None = None) -> Page[CustomerRow]:
        """The page found; the phones masked for an actor without 查看完整号码 (a search by
        a whole number the agent typed still finds its customer)."""
        return shown_page(actor, self._search(q, page_size, after))

    def _search(self, q: CustomerQuery, page_size: int,
                after: tuple | None) -> Page[CustomerRow]:
        self._check_page_size(page_size)
        self._after(after)
        where = self._criteria(q)
        field, text = q.field, (q.text or "").strip()
        # A needle of one word character has no bigram token to look up: plain LIKE.
        word_chars = sum(1 for ch in text if ch.isalnum() or ch == "_")
        grams = query_grams(text) if (field in CONTAINS_FIELDS and word_chars >= 2
                                      and searchable(text)) else []
        if self.db.is_sqlite or not grams:
            return self._page(where, page_size, after)
        # C类 on MySQL/MariaDB: (_criteria appends the LIKE last, so where[:-1] is the rest)
        rest, like = where[:-1], where[-1]
        with db_errors(), self.db.reading() as s:
            plan = plan_contains(grams, gram_docs(s, grams), page_size)
        grams = plan.grams
        if plan.walk_rows:
            page = self._walk_newest(rest, like, page_size, after, plan.walk_rows)
            if page is not None:
                return page
            grams = plan.after_walk or grams
        # The tokens cover four fields together, so the LIKE on the chosen one confirms.
        against = " ".join("+" + g for g in grams)
        return self._page([*rest, Customer.search_grams.match(against), like],
                          page_size, after)

    def _walk_newest(self, where: list, criterion, page_size: int,
                     after: tuple | None, rows: int) -> Page[CustomerRow] | None:
        """A contains page from a LIKE walk down the newest rows, or None: ask FULLTEXT.

        FULLTEXT reads every row its tokens match and sorts them: quick for a rare
        needle, seconds for a common one ("江苏" is in one address in ten), whose first
        page a walk down the registered_at index fills after a few thousand rows that
        lie together on disk. The plan (search_stats.plan_contains) says how far to walk:
        `rows` on MariaDB, their time on MySQL 8, which has no row cap. A full page from
        the walk is exactly the right page because the walk reads rows in page order."""
        c = Customer
        keys = (select(c.id).where(*where, *self._after(after), criterion)
                .order_by(c.registered_at.desc(), c.id.desc()).limit(page_size + 1))
        dialect = self.db.engine.dialect
        if getattr(dialect, "is_mariadb", False):
            keys = keys.suffix_with(f"ROWS EXAMINED {int(rows)}")
        else:
            ms = max(1, int(rows * WALK_US_PER_ROW / 1000))
            keys = keys.prefix_with(f"/*+ MAX_EXECUTION_TIME({ms}) */")
        try:
            with db_errors(), self.db.reading() as s:
                ids = s.scalars(keys).all()
        except DBAPIError as exc:
            if (getattr(exc.orig, "args", ()) or (None,))[0] in _WALK_CAPPED:
                return None
            raise
        if len(ids) <= page_size:  # cap reached (or few matches): FULLTEXT decides
            return None
        return self._page([c.id.in_(ids)], page_size, None)

    def _criteria(self, q: CustomerQuery) -> list:
        """Validate everything first, so bad input changes nothing and runs no query."""
        c = Customer
        where: list = []
        if q.registered_from and q.registered_to and q.registered_to < q.registered_from:
            raise _invalid(QT_TRANSLATE_NOOP(
                "errors", "The end date is before the start date."), "registered_to")
        if q.registered_from:
            where.append(c.registered_at >= site_day_start(q.registered_from))
        if q.registered_to:  # inclusive: up to the start of the next site day
            where.append(c.registered_at < site_day_start(q.registered_to + dt.timedelta(days=1)))
        if q.time_from is not None or q.time_to is not None:
            where.append(self._time_window(q.time_from, q.time_to))
        if q.region_id is not None:
            where.append(c.region_id == q.region_id)
        if q.employee_id is not None:
            where.append(c.owner_id == q.employee_id)
        if q.variety_id is not None:
            where.append(exists().where(SalesOrder.customer_id == c.id,
                                        SalesOrder.variety_id == q.variety_id))
        if q.sale is not None:
            if q.sale not in ("sale", "consult"):
                raise _invalid(QT_TRANSLATE_NOOP(
                    "errors", "Choose sale or consult."), "sale")
            where.append(c.order_state > 0 if q.sale == "sale" else c.order_state == 0)
        if q.customer_class is not None:
            if q.customer_class not in set(CustomerClass):
                raise _invalid(QT_TRANSLATE_NOOP(
                    "errors", "Choose a customer class from the list."), "customer_class")
            where.append(c.customer_class == q.customer_class)
        if q.source is not None:
            if q.source not in set(CustomerSource):
                raise _invalid(QT_TRANSLATE_NOOP(
                    "errors", "Choose a source from the list."), "source")
            where.append(c.source == q.source)
        text = (q.text or "").strip()
        if q.field is None:
            if text:
                raise _invalid(QT_TRANSLATE_NOOP(
                    "errors", "Choose the field to search in."), "field")
            return where
        if q.field not in FIELDS:
            raise _invalid(QT_TRANSLATE_NOOP(
                "errors", "Unknown search field {name}."), "field", name=q.field)
        if not text:
            raise _invalid(QT_TRANSLATE_NOOP(
                "errors", "Enter the text to search for."), "text")
        where.append(self._text_criterion(q.field, text))
        return where

    def _time_window(self, start: dt.time | None, end: dt.time | None):
        """Time of day of the local registration time, both ends inclusive; a window
        that passes midnight (22:00 to 02:00) is allowed."""
        col = Customer.registered_at
        if self.db.is_sqlite:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text
            local = func.time(col, f"+{_SITE_OFFSET_H} hours")
        else:                  # DATETIME; ADDTIME + TIME, no CONVERT_TZ (see _SITE_OFFSET_H)
            local = func.time(func.addtime(col, f"{_SITE_OFFSET_H:02d}:00:00"))
        lo = (start or dt.time(0, 0)).strftime("%H:%M:%S")
        end = end or dt.time(23, 59, 59)
        if end.second == 0 and end.microsecond == 0:
            end = end.replace(second=59)  # "to 18:20" (minutes, as typed) takes all of 18:20
        hi = end.strftime("%H:%M:%S")
        if lo <= hi:
            return and_(local >= lo, local <= hi)
        return or_(local >= lo, local <= hi)

    def _text_criterion(self, field: str, text: str):
        c = Customer
        if not searchable(text):
            # No stored text holds a NUL, a control character or a lone surrogate (the
            # services refuse them), so nothing matches; LIKE would read '%\0%' as '%'
            # and match every row, and the driver cannot encode a lone surrogate at all.
            return false()
        if field == "name":
            crit = [_prefix(c.name, text)]
            if text.isascii() and text.isalpha() and len(text) <= MAX_INITIALS:
                # initials of any reading (曾小明: zxm or cxm), by its key rows
                crit.append(_InitialsKey(text.lower()))
            return _AnyOf(tuple(crit)) if len(crit) > 1 else crit[0]
        if field == "registration_no":
            return _prefix(c.registration_no, text)
        if field == "phone":
            digits = normalise(text)
            if not digits:
                raise _invalid(QT_TRANSLATE_NOOP(
                    "errors", "Enter the digits of a phone number."), "text")
            # IN (subquery) rather than a join: a customer with two matching phones
            # must still appear once, and the subquery runs off the phone primary key.
            return c.id.in_(select(CustomerPhone.customer_id)
                            .where(_prefix(CustomerPhone.phone, digits)))
        if field == "user_account":
            return c.user_account == text
        if field == "direct":
            digits = normalise(text)
            crit = [c.name == text]
            if digits:
                crit.append(c.id.in_(select(CustomerPhone.customer_id)
                                     .where(CustomerPhone.phone == digits)))
            return _AnyOf(tuple(crit)) if len(crit) > 1 else crit[0]
        # C类, contains anywhere: search() plans the FULLTEXT part on MySQL/MariaDB
        return _contains(getattr(c, field), text)

    # -- the page query ---------------------------------------------------------------------
    @staticmethod
    def _after(after: tuple | None, at_col=Customer.registered_at,
               id_col=Customer.id) -> list:
        """Keyset criteria for the rows after the previous page's last (registered_at, id)."""
        if after is None:
            return []
        try:
            at, last_id = after
            if not isinstance(at, dt.datetime) or at.tzinfo is None:
                raise TypeError
            last_id = int(last_id)
        except (TypeError, ValueError) as exc:
            raise _invalid(QT_TRANSLATE_NOOP(
                "errors", "The page position is not valid; search again."), "after") from exc
        # "<= at AND (< at OR id < last)" is the row comparison (at, id) < (at', id')
        # written so both servers see a plain range on the registered_at index.
        return [at_col <= at, or_(at_col < at, id_col < last_id)]

    @staticmethod
    def _check_page_size(page_size: int) -> None:
        if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE:
            raise _invalid(QT_TRANSLATE_NOOP(
                "errors", "Enter a page size from 1 to {n}."), "page_size", n=MAX_PAGE)

    def _page(self, where: list, page_size: int, after: tuple | None) -> Page[CustomerRow]:
        self._check_page_size(page_size)
        c = Customer
        # Late row lookup: find the page's keys first (from indexes where the criteria
        # allow), then read the full rows and names for those page_size + 1 keys only, so
        # a filter that matches thousands never sorts or reads thousands of whole rows.
        either = [w for w in where if isinstance(w, _AnyOf)]
        where = [w for w in where if not isinstance(w, _AnyOf)]
        branches = either[0].branches if either else (true(),)

        def page_of(branch):
            if isinstance(branch, _InitialsKey):
                k = CustomerInitialsKey
                keys = (select(k.customer_id.label("id"), k.registered_at.label("at"))
                        .where(k.initials == branch.initials,
                               *self._after(after, k.registered_at, k.customer_id)))
                if where:  # other criteria: checked on each customer the keys walk to
                    keys = keys.join(c, c.id == k.customer_id).where(*where)
                return (keys.order_by(k.registered_at.desc(), k.customer_id.desc())
                        .limit(page_size + 1))
            return (select(c.id.label("id"), c.registered_at.label("at"))
                    .where(*where, *self._after(after), branch)
                    .order_by(c.registered_at.desc(), c.id.desc()).limit(page_size + 1))
        if len(branches) == 1:
            keys = page_of(branches[0]).subquery("page_keys")
        else:  # each branch's own page, merged (subqueries: SQLite has no ORDER BY in UNION)
            parts = [page_of(b).subquery(f"branch{i}") for i, b in enumerate(branches)]
            merged = union(*(select(p.c.id, p.c.at) for p in parts)).subquery("merged")
            keys = (select(merged.c.id, merged.c.at)
                    .order_by(merged.c.at.desc(), merged.c.id.desc())
                    .limit(page_size + 1).subquery("page_keys"))
        owner = aliased(Employee)
        callback = aliased(Employee)
        stmt = (select(c.id, c.registration_no, c.name, c.mobile, c.landline, c.address,
                       Region.name.label("region_name"), c.customer_class, c.source,
                       owner.name.label("owner_name"), callback.name.label("callback_name"),
                       c.registered_at, c.order_state, c.difficulty, c.remark)
                .select_from(keys)
                .join(c, c.id == keys.c.id)
                .outerjoin(Region, Region.id == c.region_id)
                .outerjoin(owner, owner.id == c.owner_id)
                .outerjoin(callback, callback.id == c.callback_agent_id)
                .order_by(keys.c.at.desc(), keys.c.id.desc()))
        with db_errors(), self.db.reading() as s:
            found = s.execute(stmt).all()
        rows = [CustomerRow(r.id, r.registration_no, r.name, r.mobile, r.landline, r.address,
                            r.region_name or "", r.customer_class, r.source,
                            r.owner_name or "", r.callback_name or "", r.registered_at,
                            r.order_state, r.difficulty, r.remark)
                for r in found[:page_size]]
        more = len(found) > page_size
        return Page(rows, (rows[-1].registered_at, rows[-1].id) if more else None)
