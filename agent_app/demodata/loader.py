"""Loads a generated demo call center into a database, table by table, and times it."""
from __future__ import annotations

import logging
import multiprocessing
import random
import time
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from agent_app.cli.identity import SHELL
from agent_app.demodata import (
    DEMO_ADMIN,
    DEMO_AGENT,
    EMPLOYEES,
    AlreadyLoaded,
    demo_password,
    now_shanghai,
    pools,
)
from agent_app.demodata import (
    generate as g,
)
from agent_app.demodata.bulk import BulkWriter
from agent_app.services.accounts import AccountService
from agent_app.services.search_stats import TOTAL
from agent_app.services.sequences import lane_scope, lane_seq
from db.engine import Database
from db.enums import Role
from db.initials import key_rows
from db.migrate import upgrade
from db.models import (
    CtiGroup,
    Customer,
    DialedNumber,
    Employee,
    InternalNumber,
    Medium,
    NumberSequence,
    Product,
    Region,
    Seat,
    Variety,
)
from db.seed import seed_reference_data

log = logging.getLogger(__name__)
DEMO_MISSED = 4  # missed calls allocated to the demo agent to call back

DIALED = [  # 400 numbers in the adverts → group, medium (by name)
    ("4006000000", "21", "江苏卫视"), ("4006000001", "21", "浙江卫视"),
    ("4006000002", "21", "湖南卫视"), ("4006000003", "21", "东方卫视"),
    ("4006000004", "21", "安徽卫视"), ("4006000005", "21", "山东卫视"),
    ("4006000006", "21", "钱江晚报"), ("4006000100", "11", None),
]
INTERNAL = [("057188000000", "总机"), ("057188000001", "物流部"), ("057188000002", "市场部")]


class Loader:
    def __init__(self, url: str, scale: str, seed: int, *, progress=None) -> None:
        self.url, self.scale, self.seed = url, g.SCALES[scale], seed
        self.progress = progress or (lambda msg: log.info("%s", msg))
        self.timings: dict[str, float] = {}

    def _step(self, name: str, t0: float) -> float:
        t1 = time.perf_counter()
        self.timings[name] = round(t1 - t0, 2)
        self.progress(f"{name}: {t1 - t0:.1f} s")
        return t1

    def run(self) -> dict[str, float]:
        t0 = start = time.perf_counter()
        upgrade(self.url)
        seed_reference_data(self.url)
        db = Database.open(self.url)
        try:
            with db.reading() as s:
                n = s.scalar(select(func.count()).select_from(Customer))
            if n:
                raise AlreadyLoaded(n=n)
            t0 = self._step("schema", t0)
            world, employees, seats = self._reference(db)
            t0 = self._step("reference", t0)
            writer = BulkWriter(db.engine)
            try:
                self._bulk(writer, world, employees, seats, t0)
            finally:
                writer.close()
            self.timings.update({f"rows_{k}": v for k, v in writer.counts.items()})
        finally:
            db.dispose()
        self.timings["total"] = round(time.perf_counter() - start, 2)
        return self.timings

    # -- reference data through the services / ORM (small, needs validation) -------------
    def _reference(self, db: Database):
        accounts = AccountService(db)
        rng = random.Random(self.seed)
        for login, name, dept, role, _group, perms in EMPLOYEES:
            accounts.add_employee(SHELL, login=login, name=name, role=Role(role),
                                  password=demo_password(login), department=dept,
                                  permissions=set(perms), must_change_password=False)
        now = now_shanghai()
        with db.transaction() as s:
            emp = {e.login: e for e in s.scalars(select(Employee))}
            regions = []
            for province, city, area, _d, _s in pools.CITIES:
                r = Region(name=city, province=province, area_code=area, updated_by_login="demo")
                s.add(r)
                regions.append(r)
            varieties, products = {}, []
            code = 0
            for vname, items in pools.VARIETIES.items():
                v = varieties[vname] = Variety(name=vname, updated_by_login="demo")
                s.add(v)
                for pname, spec, unit, short, price in items:
                    code += 1
                    p = Product(code=f"P{code:05d}", name=pname, specification=spec,
                                variety=v, unit=unit, short_code=short, retail_price=price,
                                updated_by_login="demo")
                    s.add(p)
                    products.append(p)
            media = []
            for mtype, mname in pools.MEDIA:
                m = Medium(type=mtype, name=mname, updated_by_login="demo")
                s.add(m)
                media.append(m)
            s.flush()
            by_medium = {m.name: m.id for m in media}
            for digits, group, medium in DIALED:
                s.add(DialedNumber(digits=digits, group_number=group,
                                   medium_id=by_medium.get(medium) if medium else None,
                                   updated_by_login="demo"))
            for digits, note in INTERNAL:
                s.add(InternalNumber(digits=digits, note=note, updated_by_login=DEMO_ADMIN))
            seats = {}
            agents = [e for e in EMPLOYEES if e[4]]
            for k, (login, *_rest) in enumerate(agents):
                seat = f"{8001 + k}"
                seats[login] = seat
                s.add(Seat(number=seat, caller_id="4006000000", note=emp[login].name,
                           updated_by_login="demo"))
            for extra in range(len(agents), 20):
                s.add(Seat(number=f"{8001 + extra}", caller_id="4006000000",
                           updated_by_login="demo"))
            assert s.scalar(select(CtiGroup.id).where(CtiGroup.number == "21"))
            world = g.World(
                rng=rng, scale=self.scale, now=now,
                sellers=[(emp[e[0]].id, e[0]) for e in EMPLOYEES if e[2] == "直销部" and e[4]],
                callback_agents=[(emp[e[0]].id, e[0]) for e in EMPLOYEES if e[2] == "回访部"],
                region_ids=[r.id for r in regions],
                products=[(p.id, p.variety_id, Decimal(p.retail_price)) for p in products],
                media_ids=[m.id for m in media],
                dialed=[(d, grp, by_medium.get(m) if m else None) for d, grp, m in DIALED],
            )
            names = {e.id: e.name for e in emp.values()}
            groups = list(s.scalars(select(CtiGroup)))
            self.cti = (g.CtiTimes(wrapup_s={x.number: x.wrapup_s for x in groups},
                                   ring_timeout_s={x.number: x.ring_timeout_s for x in groups}),
                        {e[0]: (e[4],) for e in EMPLOYEES if e[4]})
        return world, names, seats

    # -- bulk rows --------------------------------------------------------------------------
    def _bulk(self, w: BulkWriter, world: g.World, employees, seats, t0: float) -> None:
        # Call records need nothing but arithmetic from the other tables, so on MySQL a
        # large load writes them from a second process while this one does the rest:
        # the generator is Python-bound and the machine has two cores.
        calls_proc = None
        if w.mysql and self.scale.calls >= 100_000:
            ctx = multiprocessing.get_context("spawn")
            calls_proc = ctx.Process(target=_load_calls,
                                     args=(self.url, world, seats, self.seed, *self.cti),
                                     daemon=True)
            calls_proc.start()
        days = self.scale.days + 8  # and a week ahead, so demo calls find a placement
        w.insert("placement", ("id", "medium_id", "variety_id", "product_id", "air_date",
                               "start_time", "length_s", "version", "updated_at",
                               "updated_by_login"),
                 g.placements(world.first_day, days, world.media_ids,
                              sorted({v for _p, v, _x in world.products}),
                              [p for p, _v, _x in world.products]))
        t0 = self._step("placements", t0)

        phones: list[tuple] = []

        keys: list[tuple] = []
        grams: Counter = Counter()
        id_col, ini_col, at_col, grams_col = (
            g.CUSTOMER_COLUMNS.index(c)
            for c in ("id", "name_initials", "registered_at", "search_grams"))

        def customer_rows():
            for row, ph in g.customers(world):
                phones.extend(ph)
                keys.append((row[id_col], row[ini_col], row[at_col]))
                grams.update(row[grams_col].split())
                yield row
        w.insert("customer", g.CUSTOMER_COLUMNS, customer_rows())
        w.insert("customer_phone", g.PHONE_COLUMNS, phones)
        phones.clear()
        # pinyin search keys (every prefix of every reading) from the rows just written
        w.insert("customer_initials_key", ("initials", "registered_at", "customer_id"),
                 key_rows(keys))
        keys.clear()
        # the contains search's token counts, as `agent-admin search-stats` would make them
        w.insert("search_gram_stat", ("gram", "docs"),
                 [(TOTAL, self.scale.customers), *grams.items()])
        t0 = self._step("customers", t0)

        order_state = bytearray(self.scale.customers)
        lines: list[tuple] = []
        events: list[tuple] = []
        # the demo replays logistics through the services; the large set writes its result
        plans: list[g.Plan] | None = [] if self.scale.order_events else None
        feedback: list[tuple] | None = None if self.scale.order_events else []

        def order_rows():
            for row, ls, ev in g.orders(world, order_state, plans, feedback):
                lines.extend(ls)
                events.extend(ev)
                if len(lines) > 200_000:
                    # keep memory flat: flush lines while orders stream on
                    w.insert("order_line", g.LINE_COLUMNS, lines)
                    lines.clear()
                yield row
        w.insert("sales_order", g.ORDER_COLUMNS, order_rows())
        w.insert("order_line", g.LINE_COLUMNS, lines)
        if events:
            w.insert("order_event", g.EVENT_COLUMNS, events)
        if feedback:
            w.insert("dispatch_feedback", g.FEEDBACK_COLUMNS, feedback)
            feedback.clear()
        t0 = self._step("orders", t0)
        self._order_state(w, order_state)
        t0 = self._step("order_state", t0)
        if plans:
            replay_logistics(self.url, plans)
            t0 = self._step("logistics", t0)

        w.insert("contact", g.CONTACT_COLUMNS, g.contacts(world, employees))
        demo_id = next(eid for eid, login in world.sellers if login == DEMO_AGENT)
        w.insert("reminder", g.REMINDER_COLUMNS, g.reminders(world, demo_id))
        t0 = self._step("contacts_reminders", t0)
        if calls_proc is None:
            _insert_calls(w, world, seats, self.seed, *self.cti)
        else:
            calls_proc.join()
            if calls_proc.exitcode != 0:
                raise RuntimeError(f"the call-record loader failed (exit {calls_proc.exitcode})")
            w.counts["call_record"] = self.scale.calls
            w.cursor.execute("SELECT COUNT(*) FROM agent_state_log")
            w.counts["agent_state_log"] = w.cursor.fetchone()[0]
        self._allocate_missed(w, demo_id)
        t0 = self._step("calls", t0)
        self._sequences(w, world)

    def _allocate_missed(self, w: BulkWriter, demo_id: int) -> None:
        """未接分配 for the demo agent: the newest missed calls are theirs to call back, so
        a new user finds some in 未接来电 (its default range is the last seven days)."""
        w.cursor.execute(
            "SELECT id FROM call_record WHERE direction = 'in' AND internal = 0"
            " AND answered_at IS NULL AND end_cause IN ('abandoned', 'no_answer')"
            f" ORDER BY queued_at DESC, id DESC LIMIT {DEMO_MISSED}")
        ids = [row[0] for row in w.cursor.fetchall()]
        if ids:
            w.cursor.execute(f"UPDATE call_record SET assigned_to_id = {int(demo_id)}, handled = 0"
                             f" WHERE id IN ({','.join(str(int(i)) for i in ids)})")
            w.raw.commit()

    def _order_state(self, w: BulkWriter, order_state: bytearray) -> None:
        """customer.order_state in two set-based UPDATEs (far cheaper than per row)."""
        for state in (1, 2):
            ids = [i + 1 for i, v in enumerate(order_state) if v == state]
            for k in range(0, len(ids), 20_000):
                chunk = ids[k:k + 20_000]
                w.cursor.execute(
                    f"UPDATE customer SET order_state = {state} WHERE id IN "
                    f"({','.join(map(str, chunk))})")
            w.raw.commit()

    def _sequences(self, w: BulkWriter, world: g.World) -> None:
        """Leave the daily counters where the generated numbers stop, so the services'
        next order/registration number today does not collide with demo data."""
        w.cursor.execute("SELECT order_no FROM sales_order")
        top: dict[str, int] = {}
        for (no,) in w.cursor.fetchall():
            seq, lane = lane_seq(int(no[6:]))
            key = lane_scope(no[:6], lane)
            top[key] = max(top.get(key, 0), seq)
        w.cursor.execute("SELECT registration_no FROM customer")
        reg: dict[str, int] = {}
        for (no,) in w.cursor.fetchall():
            key = f"{no[:8]}:{no[8:-4]}"
            reg[key] = max(reg.get(key, 0), int(no[-4:]))
        rows = [("order", k, v) for k, v in top.items()] + [("registration", k, v) for k, v in reg.items()]
        w.insert(NumberSequence.__tablename__, ("name", "scope", "value"), rows)


def _insert_calls(w: BulkWriter, world: g.World, seats: dict[str, str], seed: int,
                  cti: g.CtiTimes, groups: dict[str, tuple[str, ...]]) -> None:
    """The call records and the agent_state_log rows that go with them; the state rows
    of each finished day are written as the calls stream on, in batches."""
    states = g.StateLog(world, seats, groups, cti, seed, world.scale.state_days)
    pending: list[tuple] = []

    def call_rows():
        day = None
        for row in g.calls(world, seats, seed):
            states.take(row)
            yield row
            if row[7].date() != day:  # a new day: the days before it may be done
                day = row[7].date()
                pending.extend(states.rows())
                if len(pending) >= 50_000:
                    w.insert("agent_state_log", g.STATE_COLUMNS, pending)
                    pending.clear()
    w.insert("call_record", g.CALL_COLUMNS, call_rows())
    pending.extend(states.rows(final=True))
    w.insert("agent_state_log", g.STATE_COLUMNS, pending)


def _load_calls(url: str, world: g.World, seats: dict[str, str], seed: int,
                cti: g.CtiTimes, groups: dict[str, tuple[str, ...]]) -> None:
    """Child process: the call records (and agent states) of a large load."""
    db = Database.open(url)
    w = BulkWriter(db.engine)
    try:
        _insert_calls(w, world, seats, seed, cti, groups)
    finally:
        w.close()
        db.dispose()


def replay_logistics(url: str, plans: list[g.Plan]) -> None:
    """What logistics did to the demo's orders, done through the services the desk uses
    (services/logistics.py), each action at its own time (clock.pinned): 联号 and print,
    then 受理 (delivered / returned), 作废 or 取消单, then the seller's 垂. So the demo
    shows only states, histories and reports the product itself produces."""
    from agent_app import clock
    from agent_app.demodata import demo_password
    from agent_app.services.logistics import FeedbackEntry, LogisticsService

    db = Database.open(url)
    try:
        accounts = AccountService(db)
        clerk = accounts.authenticate("3001", demo_password("3001")).actor
        sellers = {p.seller for p in plans}
        actors = {login: accounts.authenticate(login, demo_password(login)).actor
                  for login in sellers}
        lg = LogisticsService(db)
        steps: list[tuple] = []
        for p in plans:
            if p.printed is not None:
                steps.append((p.printed, 0, p))
            if p.done is not None:
                steps.append((p.done, 1, p))
            if p.receipt is not None:
                steps.append((p.receipt, 2, p))
        steps.sort(key=lambda t: (t[0], t[1], t[2].order_id))
        for at, kind, p in steps:
            with clock.pinned(at):
                version = _version(db, p.order_id)
                if kind == 0:
                    if p.waybill:
                        lg.set_waybill(clerk, p.order_id, version, p.waybill)
                    out = lg.record_printed(clerk, [p.order_id], "local_76x130")
                    if out.refused:
                        raise RuntimeError(f"demo print refused: {out.refused[0].error}")
                elif kind == 1 and p.fate in ("delivered", "returned"):
                    out = lg.feedback(clerk, [FeedbackEntry(p.order_id, p.fate, clerk.id, "8")])
                    if out.refused:
                        raise RuntimeError(f"demo feedback refused: {out.refused[0].error}")
                elif kind == 1 and p.fate == "voided":
                    lg.void(clerk, p.order_id, version, "面单地址有误")
                elif kind == 1 and p.fate == "cancelled":
                    lg.cancel(clerk, p.order_id, version, "客户不想要了")
                elif kind == 2:
                    lg.set_receipt(actors[p.seller], p.order_id, version,
                                   "received" if p.fate == "delivered" else "refused")
    finally:
        db.dispose()


def _version(db: Database, order_id: int) -> int:
    from db.models import SalesOrder

    with db.reading() as s:
        return s.scalar(select(SalesOrder.version).where(SalesOrder.id == order_id))
