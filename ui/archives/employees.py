"""员工档案: the employee archive over AccountService.

Super administrators add, modify (department, role), reset passwords to the default,
close, ban, reactivate and set permissions; administrators switch round-robin (轮选);
operators only view. Buttons a user may not use are hidden; the service checks anyway.
"""
from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from agent_app.services.accounts import AccountService
from db.enums import EmployeeStatus, Permission, Role
from ui.archives.base import ArchivePanel
from ui.archives.form import FieldSpec, RecordForm
from ui.kit.table import Column
from ui.kit.tasks import task_slot
from ui.labels import permission_names, role_names, status_names


class EmployeesPanel(ArchivePanel):
    deletable = False  # employees are closed, never deleted: their orders keep their name

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        self.accounts: AccountService = ctx.services.get(AccountService)
        super().__init__(ctx, parent)

    def title(self) -> str:
        return self.tr("Employees")

    def columns(self) -> Sequence[Column]:
        roles, statuses, perms = role_names(), status_names(), permission_names()
        return [Column("login", self.tr("Login")), Column("name", self.tr("Name")),
                Column("department", self.tr("Department")),
                Column("role", self.tr("Role"), lambda r: roles.get(r, r)),
                Column("status", self.tr("Status"), lambda s: statuses.get(s, s)),
                Column("round_robin", self.tr("Round robin")),
                Column("permissions", self.tr("Permissions"),
                       lambda ps: ", ".join(perms.get(p, p) for p in sorted(ps)))]

    def can_edit(self) -> bool:
        return self.ctx.actor.is_superadmin

    def build(self) -> QWidget:
        box = super().build()
        a = self.ctx.actor
        self.action_buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, allowed in (("reset", a.is_superadmin), ("close", a.is_superadmin),
                             ("ban", a.is_superadmin), ("activate", a.is_superadmin),
                             ("permissions", a.is_superadmin), ("round_robin", a.is_admin)):
            b = QPushButton()
            b.setObjectName(f"{key}Button")
            b.setVisible(allowed)
            b.clicked.connect(getattr(self, f"on_{key}"))
            self.action_buttons[key] = b
            row.addWidget(b)
        row.addStretch(1)
        box.layout().insertLayout(1, row)
        return box

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built or not hasattr(self, "action_buttons"):
            return
        texts = {"reset": self.tr("Reset password"), "close": self.tr("Close user"),
                 "ban": self.tr("Ban login"), "activate": self.tr("Reactivate"),
                 "permissions": self.tr("Permissions…"),
                 "round_robin": self.tr("Switch round robin")}
        for key, text in texts.items():
            self.action_buttons[key].setText(text)

    async def load(self):
        return await self.ctx.runner.call(self.accounts.list_employees, self.ctx.actor)

    async def form_fields(self, record: Any) -> Sequence[FieldSpec]:
        depts = await self.ctx.runner.call(self.archives.list_departments, self.ctx.actor)
        dept = FieldSpec("department", self.tr("Department:"), kind="combo",
                         choices=[(d.name, d.name) for d in depts], optional_choice=True)
        role = FieldSpec("role", self.tr("Role:"), kind="combo",
                         choices=list(role_names().items()), default=str(Role.OPERATOR))
        if record is None:
            return [FieldSpec("login", self.tr("Login:"), max_len=32),
                    FieldSpec("name", self.tr("Name:"), max_len=64), dept, role,
                    FieldSpec("password", self.tr("Initial password:"), max_len=64)]
        # 员工号和姓名录入后不能修改: shown, not editable
        return [FieldSpec("login", self.tr("Login:"), read_only=True),
                FieldSpec("name", self.tr("Name:"), read_only=True), dept, role]

    async def save(self, record, values):
        if record is None:
            return await self.ctx.runner.call(
                self.accounts.add_employee, self.ctx.actor, login=values["login"],
                name=values["name"], role=Role(values["role"]), password=values["password"],
                department=values["department"])
        return await self.ctx.runner.call(
            self.accounts.modify_employee, self.ctx.actor, record.id, version=record.version,
            department=values["department"], role=Role(values["role"]))

    # -- row actions ----------------------------------------------------------------------------
    async def _act(self, fn, *args, done: str) -> None:
        record = self.selected()
        if record is None:
            self.show_status(self.tr("Select a row first."))
            return
        if await self.succeeded(self.ctx.runner.call(fn, self.ctx.actor, record.id, *args)):
            await self.refresh()
            self.show_status(done.format(login=record.login))

    @task_slot()
    async def on_reset(self) -> None:
        await self._act(self.accounts.reset_password,
                        done=self.tr("The password of {login} is back to the default; "
                                     "they choose a new one at next login."))

    @task_slot()
    async def on_close(self) -> None:
        await self._act(self.accounts.set_status, EmployeeStatus.CLOSED,
                        done=self.tr("{login} is closed."))

    @task_slot()
    async def on_ban(self) -> None:
        await self._act(self.accounts.set_status, EmployeeStatus.BANNED,
                        done=self.tr("{login} can no longer log in."))

    @task_slot()
    async def on_activate(self) -> None:
        await self._act(self.accounts.set_status, EmployeeStatus.ACTIVE,
                        done=self.tr("{login} is active again."))

    @task_slot()
    async def on_round_robin(self) -> None:
        record = self.selected()
        if record is not None:
            await self._act(self.accounts.set_round_robin, not record.round_robin,
                            done=self.tr("Round robin switched for {login}."))
        else:
            self.show_status(self.tr("Select a row first."))

    @task_slot()
    async def on_permissions(self) -> None:
        record = self.selected()
        if record is None:
            self.show_status(self.tr("Select a row first."))
            return
        names = permission_names()
        current = SimpleNamespace(**{str(p): str(p) in record.permissions for p in Permission})
        specs = [FieldSpec(str(p), names[p], kind="bool") for p in Permission]

        async def save(values: dict[str, bool]) -> Any:
            wanted = {Permission(k) for k, v in values.items() if v}
            return await self.ctx.runner.call(self.accounts.set_permissions, self.ctx.actor,
                                              record.id, wanted)

        self.form = RecordForm(self.tr("Permissions of {login}").format(login=record.login),
                               specs, current, save, self)
        self.form.accepted.connect(self.refresh)
        self.form.open()
