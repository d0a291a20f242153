"""Deterministic row generators for the demo data (same seed → same database).

Rows come out as tuples in storage form for demodata.bulk. Ids are assigned here, so
orders can point at customers without reading anything back, and derived columns are
computed with the same functions the services use (phones.normalise, search_text).
"""
from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from agent_app.demodata import pools
from agent_app.search_text import name_initials, search_grams
from agent_app.services.sequences import lane_number, lane_of

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
UTC = dt.UTC
SLOTS_PER_DAY = 48  # a placement every 30 minutes, around the clock
AFFINE_A = 7919     # prime, coprime to 10^8 and 6·10^7: i → A·i + B is a permutation


@dataclass(frozen=True)
class Scale:
    customers: int
    orders: int
    calls: int
    contacts: int
    reminders: int
    days: int           # how far back the data reaches
    order_events: bool  # write the creation/confirmation history rows too
    # agent_state_log for the last this many days (None: all): the reports on it span at
    # most a month, and a large load's two years of it would cost more than its calls
    state_days: int | None = None


SCALES = {
    "small": Scale(customers=300, orders=420, calls=900, contacts=600, reminders=60, days=60,
                   order_events=True),
    "large": Scale(customers=1_000_000, orders=2_000_000, calls=5_000_000, contacts=500_000,
                   reminders=100_000, days=730, order_events=False, state_days=92),
}


def naive_utc(local: dt.datetime) -> dt.datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


@dataclass
class World:
    """Ids and facts the generators share (filled by the loader as it goes)."""

    rng: random.Random
    scale: Scale
    now: dt.datetime                      # Shanghai time, aware
    sellers: list[tuple[int, str]]        # (employee id, login) of 直销部 agents
    callback_agents: list[tuple[int, str]]
    region_ids: list[int]
    products: list[tuple[int, int, Decimal]]  # (product id, variety id, price)
    media_ids: list[int]
    dialed: list[tuple[str, str, int | None]]  # (digits, group, medium id)
    first_day: dt.date = field(init=False)
    # per customer: (mobile, registered_at local, n_orders, region id)
    customer_mobiles: list[str] = field(default_factory=list)
    customer_times: list[dt.datetime] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.first_day = self.now.date() - dt.timedelta(days=self.scale.days)

    def placement_id(self, local: dt.datetime) -> int | None:
        """Placements are generated one per slot from first_day, so the id is arithmetic."""
        day = (local.date() - self.first_day).days
        if day < 0:
            return None
        return day * SLOTS_PER_DAY + (local.hour * 60 + local.minute) // 30 + 1


def placements(first_day: dt.date, days: int, media_ids: list[int],
               variety_ids: list[int], product_ids: list[int]) -> Iterator[tuple]:
    """media placements: every 30 minutes a 2-5 minute advert, media and varieties in turn."""
    pid = 0
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        for slot in range(SLOTS_PER_DAY):
            pid += 1
            tv = media_ids[:6]
            yield (pid, tv[pid % len(tv)], variety_ids[pid % len(variety_ids)],
                   product_ids[(pid * 3) % len(product_ids)], day,
                   dt.time(slot // 2, (slot % 2) * 30), 120 + (pid % 4) * 60, 1,
                   naive_utc(dt.datetime.now(SHANGHAI)), "demo")


def _name(rng: random.Random, surnames, weights) -> str:
    s = rng.choices(surnames, weights)[0]
    g = rng.choice(pools.GIVEN_CHARS)
    if rng.random() < 0.7:
        g += rng.choice(pools.GIVEN_CHARS)
    return s + g


_PREFIXES = [p for ps in pools.MOBILE_PREFIXES.values() for p in ps]


def mobile_of(i: int) -> str:
    """Customer i's mobile: unique (customers of one prefix differ in i by a multiple of
    the prefix count, and i → A·i + B is a permutation of the 8-digit tails), computable
    without the customer rows, so call records can be generated in another process.
    The tail follows i itself, not i // prefixes: neighbours then differ in their last
    four digits, which are what a masked number (138****5678) shows."""
    prefix = _PREFIXES[i % len(_PREFIXES)]
    return f"{prefix}{(AFFINE_A * i + 12345) % 100_000_000:08d}"


def customers(w: World) -> Iterator[tuple[tuple, list[tuple]]]:
    """(customer row, its customer_phone rows); fills w.customer_mobiles/times."""
    rng, n = w.rng, w.scale.customers
    surnames = [s for s, _ in pools.SURNAMES]
    weights = [c for _, c in pools.SURNAMES]
    initials_cache: dict[str, str] = {}
    seq: dict[tuple[str, str], int] = {}
    span = dt.timedelta(days=w.scale.days)
    start = w.now - span
    for i in range(n):
        # Registrations rise over time; the small set crowds its last week so the
        # directory's default "last 7 days" has something to show.
        frac = i / n
        if w.scale.days <= 90:
            frac = frac ** 0.6
        at = start + span * frac + dt.timedelta(seconds=rng.randint(0, 3600))
        at = min(at, w.now - dt.timedelta(minutes=5))
        at = at.replace(hour=max(8, min(21, at.hour)))
        w.customer_times.append(at)
        name = _name(rng, surnames, weights)
        initials = initials_cache.get(name)
        if initials is None:
            initials = initials_cache[name] = name_initials(name)
        mobile = mobile_of(i)
        w.customer_mobiles.append(mobile)
        ci = rng.randrange(len(pools.CITIES))
        province, city, area, districts, streets = pools.CITIES[ci]
        landline = ""
        if rng.random() < 0.3:
            landline = f"{area}{20_000_000 + (AFFINE_A * i + 777) % 60_000_000}"
        district, street = rng.choice(districts), rng.choice(streets)
        address = f"{province}{city if city != province else ''}{district}{street}{rng.randint(1, 999)}号"
        end_user = end_school = ""
        if rng.random() < 0.25:
            end_user = _name(rng, surnames, weights)
            end_school = rng.choice(pools.SCHOOLS)
        remark = rng.choice(pools.REMARKS)
        seller_id, seller_login = w.sellers[i % len(w.sellers)]
        day = at.strftime("%Y%m%d")
        key = (day, seller_login)
        seq[key] = seq.get(key, 0) + 1
        reg_no = f"{day}{seller_login.zfill(6)}{seq[key]:04d}"
        points = int(rng.paretovariate(1.5) * 100) - 100
        klass = "A" if points >= 2000 else "B" if points >= 800 else "D" if rng.random() < 0.03 else "C"
        source = rng.choices(["direct", "callback", "transfer"], [80, 15, 5])[0]
        cb_id = w.callback_agents[i % len(w.callback_agents)][0]
        difficulty = rng.choices([None, "easy", "hard", "refuses"], [70, 20, 8, 2])[0]
        cid = i + 1
        row = (cid, reg_no, name, initials, mobile, landline, "", address, w.region_ids[ci],
               klass, max(points, 0), source, seller_id, cb_id, end_user, end_school, "",
               remark, difficulty, 0, 0, search_grams(address, end_user, end_school, remark),
               naive_utc(at), seller_id, 1, naive_utc(at), seller_login)
        phones = [(mobile, cid, "mobile")]
        if landline:
            phones.append((landline, cid, "landline"))
        yield row, phones


CUSTOMER_COLUMNS = (
    "id", "registration_no", "name", "name_initials", "mobile", "landline", "other_phone",
    "address", "region_id", "customer_class", "points", "source", "owner_id",
    "callback_agent_id", "end_user_name", "end_user_school", "user_account", "remark",
    "difficulty", "blacklisted", "order_state", "search_grams", "registered_at",
    "registered_by_id", "version", "updated_at", "updated_by_login")
PHONE_COLUMNS = ("phone", "customer_id", "kind")
ORDER_COLUMNS = (
    "id", "order_no", "customer_id", "employee_id", "created_at", "delivery_method", "payment",
    "delivery_requirements", "medium_id", "placement_id", "variety_id", "status", "confirmed",
    "confirmed_at", "printed_at", "feedback_state", "receipt_state", "waybill_no", "total",
    "trial", "remark", "cancel_reason", "version", "updated_at", "updated_by_login",
    "print_count")
FEEDBACK_COLUMNS = ("order_id", "result", "courier_id", "delivery_fee", "remark", "at",
                    "actor_login", "source")


@dataclass(frozen=True)
class Plan:
    """What logistics does to one demo order, replayed through the services by the loader
    (agent_app/demodata/loader.py) at these times: the waybill and the print, then the
    feedback (delivered / returned) or a 作废 or a 取消单, then the seller's 垂."""

    order_id: int
    seller: str
    fate: str                        # in_transit, delivered, returned, voided, cancelled
    waybill: str | None
    printed: dt.datetime | None
    done: dt.datetime | None         # feedback, void or cancel
    receipt: dt.datetime | None
LINE_COLUMNS = ("order_id", "line_no", "product_id", "unit_price", "quantity", "kind", "trial")
EVENT_COLUMNS = ("order_id", "at", "actor_login", "action", "from_status", "to_status", "detail")


def orders(w: World, order_state: bytearray, plans: list[Plan] | None = None,
           feedback_rows: list[tuple] | None = None,
           ) -> Iterator[tuple[tuple, list[tuple], list[tuple]]]:
    """(order row, line rows, event rows); marks order_state per customer (1/2).

    With `plans` (the demo), orders are written as sales leaves them (created, perhaps
    confirmed) and what logistics did to them is appended to `plans`, for the loader to
    replay through the services. Without (the large benchmark set, two million orders),
    the rows are written in the states the services would leave, with a dispatch_feedback
    row for each parcel fed back (`feedback_rows`), as the services write one."""
    rng, n_orders = w.rng, w.scale.orders
    seq: dict[tuple[str, int], int] = {}
    first = w.customer_times[0]
    span = (w.now - dt.timedelta(minutes=2)) - first
    buyers = max(1, int(w.scale.customers * 0.6))  # the rest only ever consulted
    for oid in range(1, n_orders + 1):
        # Orders are generated in time order, so order numbers, ids and dates all rise
        # together: the unique and date indexes then grow at their ends, which keeps a
        # large load fast. Each order goes to a buyer registered by then, half of them
        # within days of registering (the call that brought them in).
        at = first + span * ((oid - 1 + rng.random()) / n_orders)
        known = bisect.bisect_right(w.customer_times, at)
        pool = max(1, min(known, buyers))
        if rng.random() < 0.5:
            c = max(0, known - 1 - int(rng.expovariate(1 / 50)))
        else:
            c = rng.randrange(pool)
        reg = w.customer_times[c]
        if at < reg:
            at = reg + dt.timedelta(minutes=5)
        at = min(at, w.now - dt.timedelta(minutes=1))
        day = at.strftime("%y%m%d")
        seller_id, seller_login = w.sellers[c % len(w.sellers)]
        # numbered as OrderService numbers them: the seller's counter lane for the day
        lane = lane_of(seller_login)
        seq[day, lane] = seq.get((day, lane), 0) + 1
        order_no = f"{day}{lane_number(seq[day, lane], lane):04d}"
        age_days = (w.now - at).days
        method = rng.choices("ABCD", [15, 70, 10, 5])[0]
        payment = "cod" if rng.random() < 0.85 else "prepaid"
        # Older orders have been through logistics; recent ones are still moving.
        if age_days >= 7:
            confirmed = rng.random() < 0.97
        else:
            confirmed = rng.random() < 0.6
        status, fb_state, receipt = "not_sent", "none", "none"
        printed = None
        if confirmed:
            r = rng.random()
            if age_days >= 7:
                status = "accepted" if r < 0.78 else "voided" if r < 0.86 else "in_transit" if r < 0.95 else "cancelled"
            else:
                status = "in_transit" if r < 0.5 else "not_sent"
            if status in ("accepted", "voided", "in_transit"):
                printed = at + dt.timedelta(hours=rng.randint(2, 30))
            if status == "accepted":
                fb_state, receipt = "accepted", "received"
            elif status == "voided":
                fb_state, receipt = "accepted", "refused"
        fate = {"accepted": "delivered", "voided": "returned"}.get(status, status)
        if fate == "returned" and plans is not None and rng.random() < 0.4:
            fate = "voided"                   # printed with wrong data: 作废, not fed back
        lines: list[tuple] = []
        total = Decimal("0")
        n_lines = rng.choices([1, 2, 3], [70, 22, 8])[0]
        first_variety = None
        trial = rng.random() < 0.05
        for ln in range(1, n_lines + 1):
            pid, vid, price = w.products[rng.randrange(len(w.products))]
            first_variety = first_variety or vid
            kind = "direct" if ln == 1 else rng.choice(["bundled", "gift"])
            unit = Decimal("0.00") if kind == "gift" else price
            qty = 1 if rng.random() < 0.85 else 2
            total += unit * qty
            lines.append((oid, ln, pid, unit, qty, kind, int(trial and ln == 1)))
        waybill = f"{'EA' if method == 'A' else 'YD'}{oid:010d}" if printed else None
        medium = w.media_ids[oid % 6]
        # fed back one to four days after the print, the customer asked (垂) a day later
        done = None
        if fate in ("delivered", "returned", "voided") and printed is not None:
            done = printed + dt.timedelta(hours=2 if fate == "voided" else rng.randint(24, 96))
        elif fate == "cancelled":
            done = at + dt.timedelta(hours=rng.randint(1, 20))
        if plans is not None:
            if done is not None and done >= w.now:          # not happened yet
                fate, done = ("in_transit", None) if printed else ("not_sent", None)
            if printed is not None and printed >= w.now:
                fate, printed, done = "not_sent", None, None
            if fate != "not_sent":
                plans.append(Plan(oid, seller_login, fate, waybill if printed else None,
                                  printed, done,
                                  done + dt.timedelta(days=1) if fate in ("delivered", "returned")
                                  and done + dt.timedelta(days=1) < w.now else None))
            # sales' part only: logistics' happens through the services
            status, fb_state, receipt, printed, waybill = "not_sent", "none", "none", None, None
        elif feedback_rows is not None and fate in ("delivered", "returned"):
            feedback_rows.append((oid, fate, None, Decimal("0.00"), "", naive_utc(done or printed),
                             "3001", "desk"))
        row = (oid, order_no, c + 1, seller_id, naive_utc(at), method, payment,
               "" if rng.random() < 0.8 else "工作日送货", medium, w.placement_id(at),
               first_variety, status, int(confirmed),
               naive_utc(at + dt.timedelta(minutes=3)) if confirmed else None,
               naive_utc(printed) if printed else None, fb_state, receipt,
               waybill, total, int(trial), "",
               "客户不想要了" if status == "cancelled" else None, 1, naive_utc(at), seller_login,
               1 if printed else 0)
        events: list[tuple] = []
        if w.scale.order_events:   # as OrderService writes them
            events.append((oid, naive_utc(at), seller_login, "create", None, "not_sent", ""))
            if confirmed:
                events.append((oid, naive_utc(at + dt.timedelta(minutes=3)), seller_login,
                               "confirm", "not_sent", "not_sent", ""))
        order_state[c] = max(order_state[c], 2 if confirmed else 1)
        yield row, lines, events


CONTACT_COLUMNS = ("customer_id", "at", "employee_id", "channel", "content", "demand_type",
                   "demand_variety_id", "our_staff", "demand_info", "call_id", "duration_s",
                   "version", "updated_at", "updated_by_login")


def contacts(w: World, employees: dict[int, str]) -> Iterator[tuple]:
    rng = w.rng
    agents = w.sellers + w.callback_agents
    for i in range(w.scale.contacts):
        c = rng.randrange(w.scale.customers)
        reg = w.customer_times[c]
        at = reg + (w.now - reg) * rng.random()
        eid, login = agents[rng.randrange(len(agents))]
        yield (c + 1, naive_utc(at), eid, rng.choices(["call_in", "call_out", "sms", "visit"], [50, 40, 8, 2])[0],
               rng.choice(pools.CONTACT_TEXTS), rng.choice(["consult", "order"]),
               w.products[i % len(w.products)][1], employees.get(eid, ""), "", None,
               rng.randint(30, 600), 1, naive_utc(at), login)


REMINDER_COLUMNS = ("customer_id", "due_at", "note", "owner_id", "scope", "group_number", "done",
                    "done_at", "done_by_id", "cancelled", "created_at", "version", "updated_at",
                    "updated_by_login")


def reminders(w: World, demo_agent_id: int) -> Iterator[tuple]:
    rng = w.rng
    for i in range(w.scale.reminders):
        c = rng.randrange(w.scale.customers)
        created = w.customer_times[c]
        if i < 5:  # the demo agent's: due a few minutes after the demo starts
            owner, due = demo_agent_id, w.now + dt.timedelta(minutes=2 + 3 * i)
        else:
            owner = w.callback_agents[i % len(w.callback_agents)][0]
            due = w.now + dt.timedelta(days=rng.uniform(-20, 20))
        done = due < w.now and rng.random() < 0.7
        scope = "group" if rng.random() < 0.3 else "me"
        yield (c + 1, naive_utc(due), rng.choice(pools.REMINDER_NOTES), owner, scope,
               "11" if scope == "group" else None, int(done),
               naive_utc(due + dt.timedelta(hours=1)) if done else None,
               owner if done else None, 0, naive_utc(created), 1, naive_utc(created), "demo")


CALL_COLUMNS = ("call_id", "direction", "caller", "dialed", "seat", "agent_login",
                "group_number", "queued_at", "offered_at", "answered_at", "ended_at", "wait_s",
                "talk_s", "end_cause", "internal", "lead", "medium_id", "placement_id",
                "customer_id", "handled")


def calls(w: World, seats: dict[str, str], seed: int) -> Iterator[tuple]:
    """Call records: mostly inbound (leads), some outbound callbacks, ~10% abandoned.
    Own random stream, so the result is the same whether generated in-process or not."""
    rng = random.Random(seed * 7919 + 3)
    span = (w.now - dt.timedelta(days=w.scale.days))
    total_s = w.scale.days * 86400
    agents = w.sellers + w.callback_agents
    for i in range(w.scale.calls):
        local = span + dt.timedelta(seconds=total_s * (i / w.scale.calls) + rng.randint(0, 60))
        local = local.replace(hour=max(8, min(22, local.hour)))
        inbound = rng.random() < 0.8
        known = rng.random() < 0.6
        c = rng.randrange(w.scale.customers)
        caller = mobile_of(c) if known else f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
        eid, login = agents[i % len(agents)]
        seat = seats.get(login)
        if inbound:
            digits, group, medium = w.dialed[i % len(w.dialed)]
            wait = round(rng.expovariate(1 / 8.0), 1)
            cause = rng.choices(["answered", "abandoned", "no_answer"], [86, 11, 3])[0]
        else:
            digits, group, medium = caller, None, None
            caller = "4006000000"
            wait = round(rng.uniform(1, 3), 1)
            cause = rng.choices(["answered", "busy", "no_answer", "powered_off", "vacant"], [70, 10, 10, 5, 5])[0]
        offered = local + dt.timedelta(seconds=wait)
        answered = offered + dt.timedelta(seconds=2) if cause == "answered" else None
        talk = round(rng.lognormvariate(4.6, 0.7), 1) if answered else 0.0
        ended = (answered + dt.timedelta(seconds=talk)) if answered else offered
        who = login if (cause == "answered" or not inbound) else None
        yield (f"D{i + 1:012d}", "in" if inbound else "out", caller, digits,
               seat if who else None, who, group, naive_utc(local),
               naive_utc(offered) if cause != "abandoned" else None,
               naive_utc(answered) if answered else None, naive_utc(ended), wait, talk, cause,
               0, int(inbound), medium if inbound else None,
               w.placement_id(local) if inbound else None, (c + 1) if known else None,
               int(cause != "abandoned" or rng.random() < 0.5))


STATE_COLUMNS = ("at", "agent_login", "seat", "state", "reason", "groups", "call_id")
_SITE = dt.timedelta(hours=8)  # site time − UTC; the generated times are naive UTC
_GAP = dt.timedelta(seconds=2)  # between an agent's rows: distinct even at MySQL's whole seconds


@dataclass(frozen=True)
class CtiTimes:
    wrapup_s: dict[str, int]       # group → wrap-up seconds
    ring_timeout_s: dict[str, int]  # group → ring timeout seconds


class StateLog:
    """agent_state_log rows that agree with the generated call records, as agent-ctid
    would have written them. Fed the call rows in generation order (take), it keeps each
    site day's calls per agent and turns finished days into rows (rows), so a large load
    holds about two days of calls at a time.

    Per agent and day: login (busy, then ready) before 08:00, then per call of the agent
    in time order — inbound answered: ringing at offered_at, talking at answered_at,
    wrapup at ended_at, ready after the wrap-up seconds; inbound ring-no-answer (the call
    record has no agent; it rang the agent the calls are dealt to): ringing, busy
    "no_answer" after the group's ring timeout, ready when the agent comes back; outbound
    connected: talking at answered_at, wrapup, ready (unconnected dials change no state,
    as in agent-ctid) — a meal break and mostly a rest break (busy "meal"/"rest", then
    ready) in gaps between calls, and logged_out after 23:00 once the last call is done.
    The generated calls of one agent may overlap (they are dealt round robin, not routed):
    a call starting before the agent's previous kept call is over (ready again) is left
    out of the log, as is a call inside a break that found no gap to fit in.
    Only the last `days` days get rows (None: all)."""

    def __init__(self, w: World, seats: dict[str, str], groups: dict[str, tuple[str, ...]],
                 cti: CtiTimes, seed: int, days: int | None = None) -> None:
        self.agents = w.sellers + w.callback_agents  # the order calls() deals calls in
        self.index = {login: k for k, (_e, login) in enumerate(self.agents)}
        self.seats, self.groups, self.cti, self.seed = seats, groups, cti, seed
        self.since = None if days is None else w.now.date() - dt.timedelta(days=days)
        self.calls: dict[dt.date, dict[str, list[tuple]]] = {}
        self.last_day: dt.date | None = None

    def take(self, row: tuple) -> None:
        """One call row (CALL_COLUMNS)."""
        call_id, direction, login = row[0], row[1], row[5]
        group, queued, offered, answered, ended, cause = row[6], *row[7:11], row[13]
        day = (queued + _SITE).date()
        if self.since is not None and day < self.since:
            return
        if direction == "in":
            if cause == "no_answer":
                login = self.agents[(int(call_id[1:]) - 1) % len(self.agents)][1]
                kind, start = "no_answer", offered
            elif answered is not None:
                kind, start = "in", offered
            else:
                return  # abandoned in the queue: no agent involved
        elif answered is not None:
            kind, start = "out", queued  # the agent is dialling from queued_at
        else:
            return
        if login not in self.index:
            return
        self.calls.setdefault(day, {}).setdefault(login, []).append(
            (start, kind, call_id, group, offered, answered, ended))
        self.last_day = day if self.last_day is None else max(self.last_day, day)

    def rows(self, final: bool = False) -> list[tuple]:
        """The rows of the days done (calls come in time order but for the few a minute's
        jitter carries over midnight, so the day before the latest is left open)."""
        out: list[tuple] = []
        for day in sorted(self.calls):
            if not final and self.last_day is not None and day >= self.last_day - dt.timedelta(days=1):
                break
            by_agent = self.calls.pop(day)
            for _eid, login in self.agents:
                out.extend(self._day(day, login, by_agent.get(login, [])))
        return out

    def _day(self, day: dt.date, login: str, calls: list[tuple]) -> list[tuple]:
        rng = random.Random((self.seed * 1_000_003 + day.toordinal()) * 101 + self.index[login])
        groups = self.groups.get(login, ())
        wrap = dt.timedelta(seconds=max((self.cti.wrapup_s.get(g, 10) for g in groups), default=10))
        midnight = dt.datetime.combine(day, dt.time()) - _SITE  # site midnight, naive UTC
        login_at = midnight + dt.timedelta(hours=7, minutes=50, seconds=rng.randint(0, 480))
        ready_at = login_at + dt.timedelta(seconds=rng.randint(20, 90))
        # calls as blocks (start, end = ready again, rows), overlapping ones left out
        blocks: list[tuple[dt.datetime, dt.datetime, list[tuple]]] = []
        free_from = ready_at
        for start, kind, call_id, group, offered, answered, ended in sorted(calls):
            if start < free_from + _GAP:
                continue
            if kind == "no_answer":
                ring = dt.timedelta(seconds=self.cti.ring_timeout_s.get(group, 15))
                back = offered + ring + dt.timedelta(seconds=rng.randint(5, 30))
                ev = [(offered, "ringing", "", call_id), (offered + ring, "busy", "no_answer", call_id),
                      (back, "ready", "", call_id)]
            else:
                ev = [(offered, "ringing", "", call_id)] if kind == "in" else []
                back = ended + wrap
                ev += [(answered, "talking", "", call_id), (ended, "wrapup", "", call_id),
                       (back, "ready", "", call_id)]
            blocks.append((start, back, ev))
            free_from = back
        # breaks: into a gap of the window if one is long enough, else at a random time
        # there, leaving out the calls it covers
        breaks = [("meal", 11 * 3600, 13 * 3600 + 1800, rng.randint(20, 40) * 60)]
        if rng.random() < 0.7:
            breaks.append(("rest", 15 * 3600, 17 * 3600, rng.randint(8, 15) * 60))
        pauses: list[tuple[dt.datetime, dt.datetime, list[tuple]]] = []
        for reason, lo, hi, secs in breaks:
            dur = dt.timedelta(seconds=secs)
            lo_at, hi_at = midnight + dt.timedelta(seconds=lo), midnight + dt.timedelta(seconds=hi)
            ends = [ready_at] + [b[1] for b in blocks]
            starts = [b[0] for b in blocks] + [hi_at + dur + _GAP]
            fits = []
            for a, b in zip(ends, starts, strict=True):
                a, b = max(a + _GAP, lo_at), min(b - _GAP - dur, hi_at)
                if a <= b:
                    fits.append((a, b))
            if fits:
                a, b = fits[rng.randrange(len(fits))]
                at = a + (b - a) * rng.random()
            else:
                at = lo_at + (hi_at - lo_at) * rng.random()
            at = at.replace(microsecond=0) + dt.timedelta(seconds=1)
            until = at + dur
            blocks = [bl for bl in blocks if bl[1] + _GAP <= at or bl[0] >= until + _GAP]
            pauses.append((at, until, [(at, "busy", reason, None), (until, "ready", "", None)]))
        blocks = sorted(blocks + pauses, key=lambda bl: bl[0])
        last = max([ready_at] + [b[1] for b in blocks])
        logout = max(midnight + dt.timedelta(hours=23, seconds=rng.randint(0, 600)),
                     last + dt.timedelta(seconds=rng.randint(30, 120)))
        events = [(login_at, "busy", "", None), (ready_at, "ready", "", None)]
        for _s, _e, ev in blocks:
            events.extend(ev)
        events.append((logout, "logged_out", "logout", None))
        seat, gs = self.seats.get(login), ",".join(groups)
        return [(at, login, seat, state, reason, gs, call_id) for at, state, reason, call_id in events]
