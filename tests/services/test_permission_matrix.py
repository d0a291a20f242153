"""Who may change or export what, on SQLite and MariaDB: every public service method that
writes (a @writes method, or one that opens a transaction or a retried write through its
helpers) or exports (export*) is called as each role (operator, administrator, super
administrator), without and with the permission that could matter, and must be refused
with Forbidden and change nothing, or be allowed.

The table is complete by construction: test_every_changing_method_has_a_rule lists the
methods from the source, so a new method without an entry fails the suite.
"""
from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import itertools
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

import agent_app.services as services_pkg
from agent_app.cli.identity import SHELL
from agent_app.errors import Forbidden
from agent_app.services.accounts import AccountService
from agent_app.services.archives import ArchiveService
from agent_app.services.base import Actor
from agent_app.services.calls import CallService
from agent_app.services.contacts import ContactDraft, ContactService
from agent_app.services.cti_config import CtiConfigService
from agent_app.services.customers import CustomerDraft, CustomerService
from agent_app.services.exports import ExportService
from agent_app.services.maintenance import CustomerMaintenanceService
from agent_app.services.orders import OrderDraft, OrderLineDraft, OrderService
from agent_app.services.reminders import ReminderService
from db.base import Base
from db.enums import EmployeeStatus, Permission, Role
from db.models import CallRecord, Employee, EmployeePermission

SH = dt.timezone(dt.timedelta(hours=8))
ROLES = (Role.OPERATOR, Role.ADMIN, Role.SUPERADMIN)
ADMINS = {Role.ADMIN, Role.SUPERADMIN}


# -- the rules --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    text: str
    allows: Callable[[Role, bool], bool]   # (role, holds the permission) → allowed?
    permission: Permission | None = None


ANYONE = Rule("any logged-in user", lambda role, _p: True)
SUPERADMIN = Rule("super administrators", lambda role, _p: role == Role.SUPERADMIN)
ADMIN_ROLES = Rule("administrators and super administrators", lambda role, _p: role in ADMINS)


def needs(p: Permission) -> Rule:
    """Permission p (the super administrator holds every permission)."""
    return Rule(f"needs Permission.{p.name}", lambda role, has: role == Role.SUPERADMIN or has,
                p)


def admin_or(p: Permission) -> Rule:
    return Rule(f"administrators, or Permission.{p.name}",
                lambda role, has: role in ADMINS or has, p)


# Not gated by a role: the reason is the entry.
SELF_SERVICE = "acts on the caller's own account only (no actor to authorise)"

U = itertools.count(1)


def u() -> int:
    return next(U)


class World:
    """The shared data: 0001 (super administrator) and 1001 (an operator who owns the
    customer, takes the calls and writes the orders the matrix's actors then act on)."""

    def __init__(self, database, boss: Actor, owner: Actor, tmp) -> None:
        self.db, self.boss, self.owner, self.tmp = database, boss, owner, tmp
        self.customers = CustomerService(database)
        self.orders = OrderService(database)
        arch = ArchiveService(database)
        self.variety = arch.save_variety(boss, name="眼保姆")
        self.product = arch.save_product(boss, name="眼保姆豪华版", variety_id=self.variety.id,
                                         unit="台", short_code="YBM1", retail_price="398.00")
        self.medium = arch.save_medium(boss, type="电视", name="江苏卫视")
        self.customer = self.customer_of(owner)

    def customer_of(self, who: Actor):
        return self.customers.register(who, CustomerDraft(
            name="王建国", mobile=f"139{u():08d}", address="杭州市文三路8号"))

    def order(self):
        return self.orders.create(self.owner, OrderDraft(
            self.customer.id, (OrderLineDraft(self.product.id),)))

    def employee(self, role: Role = Role.OPERATOR, permissions=()) -> Employee:
        """An employee row without a password hash cost (the matrix never logs in)."""
        n = u()
        with self.db.transaction() as s:
            e = Employee(login=f"9{n:03d}", name=f"员工{n}", role=str(role),
                         status=EmployeeStatus.ACTIVE, password_hash="-",
                         must_change_password=False, updated_by_login="test")
            e.permissions = [EmployeePermission(permission=str(p)) for p in permissions]
            s.add(e)
            s.flush()
            return e

    def actor(self, role: Role, permissions=()) -> Actor:
        e = self.employee(role, permissions)
        return Actor(e.id, e.login, e.name, role, frozenset(str(p) for p in permissions))

    def missed_call(self, *, agent: str | None = None, assigned_to: int | None = None) -> str:
        call_id = f"m-{u()}"
        with self.db.transaction() as s:
            s.add(CallRecord(call_id=call_id, direction="in", caller="13800138000",
                             dialed="4006000001", agent_login=agent,
                             queued_at=dt.datetime(2024, 5, 1, 9, tzinfo=SH),
                             end_cause="abandoned", assigned_to_id=assigned_to))
        return call_id


def _arch(w: World) -> ArchiveService:
    return ArchiveService(w.db)


def plain(fn: Callable) -> Callable:
    """An entry without set-up: prepare(world) returns the call of the actor."""
    return lambda w: lambda a: fn(w, a)


def _due() -> dt.datetime:
    return dt.datetime(2024, 5, 2, 10, tzinfo=SH)


# Each entry's prepare(world) writes what the call needs (as 0001 or 1001) and returns
# the call of the actor, so the test can note the database in between.
def _employee_op(op: str, *args, **kw):
    def prepare(w: World):
        e = w.employee()
        if op == "modify_employee":
            return lambda a: AccountService(w.db).modify_employee(a, e.id, version=e.version,
                                                                  role=Role.ADMIN)
        return lambda a: getattr(AccountService(w.db), op)(a, e.id, *args, **kw)
    return prepare


def _archive_delete(kind: str, **values):
    def prepare(w: World):
        extra = {"variety_id": w.variety.id} if kind == "product" else {}
        row = getattr(_arch(w), f"save_{kind}")(
            w.boss, **{k: (v.format(n=u()) if isinstance(v, str) else v)
                       for k, v in values.items()}, **extra)
        return lambda a: getattr(_arch(w), f"delete_{kind}")(a, row.id)
    return prepare


def _placement(w: World, a: Actor):
    return _arch(w).save_placement(a, medium_id=w.medium.id, variety_id=w.variety.id,
                                   air_date=dt.date(2024, 5, u() % 28 + 1),
                                   start_time=dt.time(20, u() % 60), length_s=60)


def _delete_placement(w: World):
    row = _placement(w, w.boss)
    return lambda a: _arch(w).delete_placement(a, row.id)


def _mark_handled(w: World):
    call_id = w.missed_call(assigned_to=w.owner.id)        # 1001's callback, not theirs
    return lambda a: CallService(w.db).mark_handled(a, call_id)


def _link_customer(w: World):
    call_id = w.missed_call(agent=w.owner.login)           # a call 1001 took
    return lambda a: CallService(w.db).link_customer(a, call_id, w.customer.id)


def _allocate(w: World):
    call_id = w.missed_call()
    return lambda a: CallService(w.db).allocate(a, [call_id], w.owner.login)


def _delete_internal(w: World):
    n = CallService(w.db).save_internal(w.boss, None, f"0571{u():08d}")
    return lambda a: CallService(w.db).delete_internal(a, n.id)


def _export(w: World):
    rows = CallService(w.db).today(w.boss)
    return lambda a: CallService(w.db).export_xlsx(a, rows, w.tmp / f"calls-{u()}.xlsx")


def _update_contact(w: World):
    c = ContactService(w.db).add(w.owner, ContactDraft(w.customer.id, content="来电"))
    return lambda a: ContactService(w.db).update(a, c.id, c.version,
                                                 ContactDraft(w.customer.id, content="改"))


def _log_call_notes(w: World):
    c = ContactService(w.db).log_call(w.owner, customer_id=w.customer.id, call_id=f"c-{u()}",
                                      direction="in", at=_due(), notes="来电")  # 1001's call
    return lambda a: ContactService(w.db).log_call(
        a, customer_id=w.customer.id, call_id=c.call_id, direction="in", at=c.at,
        notes="别人的通话记录", version=c.version)


def _set_number(w: World):
    CtiConfigService(w.db).set_group(SHELL, "21")
    return lambda a: CtiConfigService(w.db).set_number(a, f"400{u():07d}", group="21")


def _update_customer(w: World):
    c = w.customer_of(w.owner)
    return lambda a: w.customers.update(a, c.id, c.version, CustomerDraft(
        name="王建国", mobile=c.mobile, remark="改"))


def _maintenance(op: str):
    def prepare(w: World):
        c = w.customer_of(w.owner)
        return lambda a: getattr(CustomerMaintenanceService(w.db), op)(a, [c.id], w.boss.id)
    return prepare


def _remove_orders(w: World):
    o = w.order()
    return lambda a: CustomerMaintenanceService(w.db).remove_orders(a, [o.id])


def _order_op(op: str):
    def prepare(w: World):
        o = w.order()
        if op == "update":
            return lambda a: w.orders.update(a, o.id, o.version, OrderDraft(
                w.customer.id, (OrderLineDraft(w.product.id, 2),)))
        if op == "cancel":
            return lambda a: w.orders.cancel(a, o.id, o.version, "客户不要了")
        return lambda a: w.orders.confirm(a, o.id, o.version)
    return prepare


def _logistics_op(op: str):
    """An order brought to where `op` is allowed (by the super administrator), then `op`."""
    def prepare(w: World):
        from agent_app.services.logistics import FeedbackEntry, LogisticsService

        lg = LogisticsService(w.db)
        o = w.orders.create(w.owner, OrderDraft(w.customer.id, (OrderLineDraft(w.product.id),)),
                            confirm=op != "cancel")
        if op == "delete_withdrawn":
            lg.withdraw(w.boss, o.id, o.version, "错单")
        elif op == "void":
            lg.record_printed(w.boss, [o.id], "label_76x130")
        elif op == "resend":
            w.orders.update(w.owner, o.id, o.version, OrderDraft(
                w.customer.id, (OrderLineDraft(w.product.id),), medium_id=w.medium.id))
        v = w.orders.get(o.id).version
        return {
            "withdraw": lambda a: lg.withdraw(a, o.id, v, "错单"),
            "delete_withdrawn": lambda a: lg.delete_withdrawn(a, o.id, v, "重复"),
            "void": lambda a: lg.void(a, o.id, v, "地址错"),
            "cancel": lambda a: lg.cancel(a, o.id, v, "不要了"),
            "feedback": lambda a: lg.feedback(a, [FeedbackEntry(o.id, "delivered")]),
            "record_printed": lambda a: lg.record_printed(a, [o.id], "label_76x130"),
            "resend": lambda a: lg.resend(a, o.id, v),
            "set_receipt": lambda a: lg.set_receipt(a, o.id, v, "received"),
            "set_waybill": lambda a: lg.set_waybill(a, o.id, v, f"YD{o.id:010d}"),
        }[op]
    return prepare


def _courier_sheet(op: str):
    """A confirmed, delivered parcel and a courier's sheet naming it."""
    def prepare(w: World):
        import openpyxl

        from agent_app.services.courier_sheets import CourierSheetService
        from agent_app.services.logistics import FeedbackEntry, LogisticsService

        o = w.orders.create(w.owner, OrderDraft(w.customer.id, (OrderLineDraft(w.product.id),)),
                            confirm=True)
        book = openpyxl.Workbook()
        if op == "import_results":
            rows = [("单号", "状态"), (o.order_no, "签收")]
        else:
            LogisticsService(w.db).feedback(w.boss, [FeedbackEntry(o.id, "delivered")])
            rows = [("单号", "代收金额"), (o.order_no, "398.00")]
        for r in rows:
            book.active.append(list(r))
        path = w.tmp / f"{op}-{o.id}.xlsx"
        book.save(path)
        return lambda a: getattr(CourierSheetService(w.db), op)(a, path, "kuaidi100")
    return prepare


def _reminder_op(op: str):
    def prepare(w: World):
        r = ReminderService(w.db).create(w.owner, w.customer.id, _due())  # 1001's "only me"
        if op == "mark_done":
            return lambda a: ReminderService(w.db).mark_done(a, r.id, r.version)
        return lambda a: ReminderService(w.db).cancel(a, [r.id])
    return prepare


ARCHIVES = admin_or(Permission.ARCHIVES)
MAINTENANCE = needs(Permission.CUSTOMER_MAINTENANCE)

# method → (rule, prepare(world) → call(actor)); SELF_SERVICE entries give a reason instead.
MATRIX: dict[str, tuple[Rule, Callable] | str] = {
    # -- accounts (员工档案, 权限设置) --
    "AccountService.authenticate": SELF_SERVICE,
    "AccountService.change_password": SELF_SERVICE,
    "AccountService.add_employee": (SUPERADMIN, plain(lambda w, a: AccountService(
        w.db).add_employee(a, login=f"8{u():03d}", name="新员工", role=Role.OPERATOR,
                           password="pass1234"))),
    "AccountService.modify_employee": (SUPERADMIN, _employee_op("modify_employee")),
    "AccountService.reset_password": (SUPERADMIN, _employee_op("reset_password")),
    "AccountService.set_permissions": (SUPERADMIN, _employee_op("set_permissions",
                                                                {Permission.EXPORT})),
    "AccountService.set_status": (SUPERADMIN, _employee_op("set_status",
                                                           EmployeeStatus.BANNED)),
    "AccountService.set_round_robin": (ADMIN_ROLES, _employee_op("set_round_robin", True)),
    # -- archives (档案维护) --
    "ArchiveService.save_region": (ARCHIVES, plain(lambda w, a: _arch(w).save_region(
        a, name=f"地区{u()}", province="浙江"))),
    "ArchiveService.delete_region": (ARCHIVES, _archive_delete("region", name="地区{n}")),
    "ArchiveService.save_department": (ARCHIVES, plain(lambda w, a: _arch(w).save_department(
        a, number=f"D{u()}", name=f"部门{u()}"))),
    "ArchiveService.delete_department": (ARCHIVES, _archive_delete(
        "department", number="D{n}", name="部门{n}")),
    "ArchiveService.save_variety": (ARCHIVES, plain(lambda w, a: _arch(w).save_variety(
        a, name=f"品种{u()}"))),
    "ArchiveService.delete_variety": (ARCHIVES, _archive_delete("variety", name="品种{n}")),
    "ArchiveService.save_product": (ARCHIVES, plain(lambda w, a: _arch(w).save_product(
        a, name=f"产品{u()}", variety_id=w.variety.id, unit="台", short_code=f"P{u()}",
        retail_price="10"))),
    "ArchiveService.delete_product": (ARCHIVES, _archive_delete(
        "product", name="产品{n}", unit="台", short_code="P{n}", retail_price="10")),
    "ArchiveService.save_medium": (ARCHIVES, plain(lambda w, a: _arch(w).save_medium(
        a, type="网络", name=f"媒体{u()}"))),
    "ArchiveService.delete_medium": (ARCHIVES, _archive_delete("medium", type="网络",
                                                               name="媒体{n}")),
    "ArchiveService.save_placement": (ARCHIVES, plain(_placement)),
    "ArchiveService.delete_placement": (ARCHIVES, _delete_placement),
    "ArchiveService.set_settings": (ARCHIVES, plain(lambda w, a: _arch(w).set_settings(
        a, {"browse_days": "10"}))),
    # -- calls (未接分配, 集团电话, exports) --
    "CallService.allocate": (needs(Permission.MISSED_ALLOCATION), _allocate),
    "CallService.mark_handled": (ADMIN_ROLES, _mark_handled),
    "CallService.link_customer": (ADMIN_ROLES, _link_customer),
    "CallService.save_internal": (ADMIN_ROLES, plain(lambda w, a: CallService(
        w.db).save_internal(a, None, f"0571{u():08d}", "总机"))),
    "CallService.delete_internal": (ADMIN_ROLES, _delete_internal),
    "CallService.export_xlsx": (needs(Permission.EXPORT), _export),
    # the audit row every export writes (report exports from the UI kit call it)
    "ExportService.record": (needs(Permission.EXPORT), plain(
        lambda w, a: ExportService(w.db).record(a, "calls", 3, "calls.xlsx"))),
    # -- contacts (联系, 意见及建议) --
    "ContactService.add": (ANYONE, plain(lambda w, a: ContactService(w.db).add(
        a, ContactDraft(w.customer.id, content="回访")))),
    "ContactService.update": (ANYONE, _update_contact),
    "ContactService.add_feedback": (ANYONE, plain(lambda w, a: ContactService(
        w.db).add_feedback(a, w.customer.id, "包装太大"))),
    "ContactService.log_call": (ADMIN_ROLES, _log_call_notes),
    # -- CTI configuration (CTI配置) --
    "CtiConfigService.set_group": (SUPERADMIN, plain(lambda w, a: CtiConfigService(
        w.db).set_group(a, str(30 + u() % 60), name="组"))),
    "CtiConfigService.set_number": (SUPERADMIN, _set_number),
    "CtiConfigService.add_internal": (SUPERADMIN, plain(lambda w, a: CtiConfigService(
        w.db).add_internal(a, f"0571{u():08d}"))),
    # -- customers (客户资料, 客户维护) --
    "CustomerService.register": (ANYONE, plain(lambda w, a: w.customer_of(a))),
    "CustomerService.update": (ANYONE, _update_customer),
    "CustomerMaintenanceService.set_owner": (MAINTENANCE, _maintenance("set_owner")),
    "CustomerMaintenanceService.set_callback_agent": (MAINTENANCE,
                                                      _maintenance("set_callback_agent")),
    "CustomerMaintenanceService.transfer": (MAINTENANCE, _maintenance("transfer")),
    "CustomerMaintenanceService.remove_orders": (MAINTENANCE, _remove_orders),
    # -- orders (订单) --
    "OrderService.create": (ANYONE, plain(lambda w, a: w.orders.create(a, OrderDraft(
        w.customer.id, (OrderLineDraft(w.product.id),))))),
    "OrderService.update": (ANYONE, _order_op("update")),
    "OrderService.confirm": (ANYONE, _order_op("confirm")),
    "OrderService.cancel": (needs(Permission.CANCEL_ORDER), _order_op("cancel")),
    # -- logistics (物流管理): services/logistics.py's PERMISSIONS --
    "LogisticsService.withdraw": (needs(Permission.WITHDRAW_ORDER), _logistics_op("withdraw")),
    "LogisticsService.delete_withdrawn": (needs(Permission.DELETE_WITHDRAWN),
                                          _logistics_op("delete_withdrawn")),
    "LogisticsService.void": (needs(Permission.WITHDRAW_ORDER), _logistics_op("void")),
    "LogisticsService.cancel": (needs(Permission.CANCEL_ORDER), _logistics_op("cancel")),
    "LogisticsService.feedback": (needs(Permission.DISPATCH_FEEDBACK), _logistics_op("feedback")),
    "LogisticsService.record_printed": (needs(Permission.DISPATCH_FEEDBACK),
                                        _logistics_op("record_printed")),
    "LogisticsService.resend": (ANYONE, _logistics_op("resend")),
    "LogisticsService.set_receipt": (ANYONE, _logistics_op("set_receipt")),
    "LogisticsService.set_waybill": (needs(Permission.DISPATCH_FEEDBACK),
                                     _logistics_op("set_waybill")),
    "CourierSheetService.import_results": (needs(Permission.DISPATCH_FEEDBACK),
                                           _courier_sheet("import_results")),
    "CourierSheetService.import_remittance": (needs(Permission.DISPATCH_FEEDBACK),
                                              _courier_sheet("import_remittance")),
    # -- reminders (提醒) --
    "ReminderService.create": (ANYONE, plain(lambda w, a: ReminderService(w.db).create(
        a, w.customer.id, _due(), "回访"))),
    "ReminderService.mark_done": (ADMIN_ROLES, _reminder_op("mark_done")),
    "ReminderService.cancel": (MAINTENANCE, _reminder_op("cancel")),
}


# -- the list of methods, from the source -------------------------------------------------
def changing_methods() -> set[str]:
    """Public methods of every *Service class that write (through @writes, a transaction,
    a retried write, or a helper of the class that does) or export (export*)."""
    found = set()
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"agent_app.services.{info.name}")
        tree = ast.parse(inspect.getsource(module))
        for cls in (n for n in tree.body
                    if isinstance(n, ast.ClassDef) and n.name.endswith("Service")):
            methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}

            def writes_directly(f: ast.FunctionDef) -> bool:
                if any(ast.unparse(d) == "writes" for d in f.decorator_list):
                    return True
                return any(isinstance(n, ast.Call) and (
                    getattr(n.func, "attr", None) == "transaction"
                    or getattr(n.func, "id", None) == "retrying") for n in ast.walk(f))

            def helpers(f: ast.FunctionDef, cls_name: str = cls.name) -> set[str]:
                return {n.func.attr for n in ast.walk(f)
                        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                        and isinstance(n.func.value, ast.Name)
                        and n.func.value.id in ("self", cls_name)}

            def writes(name: str, seen: frozenset = frozenset(), methods=methods) -> bool:
                f = methods.get(name)
                if f is None or name in seen:
                    return False
                return writes_directly(f) or any(writes(h, seen | {name}) for h in helpers(f))

            found |= {f"{cls.name}.{name}" for name in methods
                      if not name.startswith("_")
                      and (name.startswith("export") or writes(name))}
    return found


def test_every_changing_method_has_a_rule():
    missing = changing_methods() - set(MATRIX)
    assert not missing, f"add these to MATRIX with who may call them: {sorted(missing)}"
    assert not set(MATRIX) - changing_methods(), "MATRIX lists methods that are gone"


def _cells():
    for method, entry in sorted(MATRIX.items()):
        if isinstance(entry, str):
            continue
        rule, _ = entry
        for role in ROLES:
            for has in ((False, True) if rule.permission is not None else (False,)):
                yield pytest.param(method, role, has,
                                   id=f"{method}-{role.value}{'+perm' if has else ''}")


def _snapshot(database) -> dict[str, tuple]:
    """Each table's row count and, where rows carry one, the sum of their versions (an
    UPDATE bumps it), so a refused call that changed a row would show."""
    with database.reading() as s:
        return {t.name: (s.scalar(select(func.count()).select_from(t)),
                         s.scalar(select(func.sum(t.c.version))) if "version" in t.c else 0)
                for t in Base.metadata.sorted_tables}


@pytest.mark.parametrize("method, role, has_permission", list(_cells()))
def test_permission_matrix(database, superadmin, agent, tmp_path, method, role,
                           has_permission):
    rule, prepare = MATRIX[method]
    w = World(database, superadmin, agent, tmp_path)
    actor = w.actor(role, [rule.permission] if has_permission else [])
    call = prepare(w)
    before = _snapshot(database)
    if rule.allows(role, has_permission):
        call(actor)      # allowed: completes (any error here is a mistake in the cell)
    else:
        with pytest.raises(Forbidden):
            call(actor)
        assert _snapshot(database) == before   # refused: no row of any table changed
