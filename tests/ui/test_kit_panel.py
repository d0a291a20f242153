"""ui.kit's one way to call services and start tasks: a known error is shown in the
message line near the action and cleared by the next success; a bug reaches
sys.excepthook at once, while the task is still referenced (not when it is collected)."""
from __future__ import annotations

import asyncio
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QLabel, QWidget
from shiboken6 import isValid

from agent_app.errors import UserError
from tests.ui.helpers import until
from ui.kit.panel import Panel, ServiceCalls
from ui.kit.tasks import spawn, task_slot


class DemoPanel(Panel):
    def build(self) -> QWidget:
        box = QWidget()
        self.status = QLabel(box)
        return box

    def title(self) -> str:
        return "Demo"


class DemoDialog(ServiceCalls, QDialog):
    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx
        self.message = QLabel(self)

    def message_line(self) -> QLabel:
        return self.message


def refuse() -> None:
    raise UserError("The customer is locked by {name}.", name="李娜")


def broken() -> None:
    raise RuntimeError("a bug")


def test_known_error_is_shown_near_the_action_and_cleared_by_the_next_success(
        qtbot, aloop, runner_ctx, bugs):
    panel = DemoPanel(runner_ctx)
    qtbot.addWidget(panel)
    panel.ensure_built()
    assert aloop.run_until_complete(panel.call_service(refuse)) is None
    assert panel.status.text() == "The customer is locked by 李娜."
    assert aloop.run_until_complete(panel.call_service(lambda: 42)) == 42
    assert panel.status.text() == ""
    assert bugs == []


def test_a_success_leaves_an_informative_line_alone(qtbot, aloop, runner_ctx, bugs):
    panel = DemoPanel(runner_ctx)
    qtbot.addWidget(panel)
    panel.ensure_built()
    panel.status.setText("12 records")
    aloop.run_until_complete(panel.call_service(lambda: 1))
    assert panel.status.text() == "12 records"


def test_run_calls_on_done_only_after_a_success(qtbot, aloop, runner_ctx, bugs):
    panel = DemoPanel(runner_ctx)
    qtbot.addWidget(panel)
    panel.ensure_built()
    done: list[object] = []
    aloop.run_until_complete(panel.run(refuse, on_done=done.append))
    assert done == [] and panel.status.text()
    aloop.run_until_complete(panel.run(lambda: None, on_done=done.append))
    assert done == [None] and panel.status.text() == ""


def test_a_bug_reaches_excepthook_at_once_and_not_the_message_line(
        qtbot, aloop, runner_ctx, bugs):
    panel = DemoPanel(runner_ctx)
    qtbot.addWidget(panel)
    panel.ensure_built()
    task = panel.run(broken)  # held here: it cannot be garbage-collected meanwhile
    aloop.run_until_complete(until(lambda: bugs))
    assert [str(e) for e in bugs] == ["a bug"] and task.done()
    assert panel.status.text() == ""
    assert not panel._tasks  # the panel forgets its finished tasks


def test_dialogs_use_the_same_runner_policy(qtbot, aloop, runner_ctx, bugs):
    dialog = DemoDialog(runner_ctx)
    qtbot.addWidget(dialog)
    aloop.run_until_complete(dialog.call_service(refuse))
    assert dialog.message.text() == "The customer is locked by 李娜."
    aloop.run_until_complete(dialog.call_service(lambda: 1))
    assert dialog.message.text() == ""
    aloop.run_until_complete(dialog.call_service(broken))
    assert [str(e) for e in bugs] == ["a bug"]


class Held:
    """A service call held on its worker until the test releases it (bounded, so a
    failing test cannot hang the pool's shutdown)."""

    def __init__(self, outcome=lambda: 7) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.outcome = outcome

    def __call__(self):
        self.started.set()
        assert self.release.wait(10), "the test never released the held call"
        return self.outcome()


async def _delete_under(panel, held, aw):
    """Starts `aw`, deletes the panel while the held call runs, then releases it."""
    task = asyncio.ensure_future(aw)
    await until(held.started.is_set)
    panel.deleteLater()
    await until(lambda: not isValid(panel))
    held.release.set()
    await asyncio.wait([task])
    return task


def test_a_call_that_returns_after_its_panel_was_deleted_touches_nothing(
        qtbot, aloop, runner_ctx, bugs):
    panel = DemoPanel(runner_ctx)
    panel.ensure_built()
    held = Held()
    after: list[object] = []

    async def load():
        after.append(await panel.call_service(held))   # never reached
    task = aloop.run_until_complete(_delete_under(panel, held, load()))
    assert task.cancelled() and after == [] and bugs == []


def test_a_failure_that_returns_after_its_panel_was_deleted_shows_nothing_but_a_bug(
        qtbot, aloop, runner_ctx, bugs):
    for outcome in (refuse, broken):
        panel = DemoPanel(runner_ctx)
        panel.ensure_built()
        held = Held(outcome)
        task = aloop.run_until_complete(_delete_under(panel, held, panel.guarded(
            runner_ctx.runner.call(held))))
        assert task.cancelled()
    assert [str(e) for e in bugs] == ["a bug"]   # the known error went nowhere


def test_run_from_a_slot_after_its_panel_was_deleted_skips_on_done(
        qtbot, aloop, runner_ctx, bugs):
    panel = DemoPanel(runner_ctx)
    panel.ensure_built()
    held = Held()
    done: list[object] = []

    async def scenario():
        task = panel.run(held, on_done=done.append)
        await until(held.started.is_set)
        panel.deleteLater()
        await until(lambda: not isValid(panel))
        held.release.set()
        await asyncio.wait([task])
        return task
    task = aloop.run_until_complete(scenario())
    assert task.cancelled() and done == [] and bugs == []


class Popup(ServiceCalls, QObject):
    """A QObject without a message line: reports failures through a signal."""
    failed = Signal(str)

    def __init__(self, ctx) -> None:
        super().__init__()
        self.ctx = ctx

    def show_failure(self, text: str) -> None:
        self.failed.emit(text)


def test_show_failure_can_report_elsewhere_than_a_message_line(qtbot, aloop, runner_ctx, bugs):
    popup = Popup(runner_ctx)
    with qtbot.waitSignal(popup.failed) as failed:
        assert aloop.run_until_complete(popup.call_service(refuse)) is None
    assert failed.args == ["The customer is locked by 李娜."]
    assert aloop.run_until_complete(popup.succeeded(runner_ctx.runner.call(lambda: None)))
    assert bugs == []


def test_spawned_bug_reaches_excepthook_while_the_task_is_referenced(aloop, bugs):
    async def fails():
        raise ValueError("bad state")

    async def scenario():
        task = spawn(fails())
        await until(lambda: bugs)
        return task
    task = aloop.run_until_complete(scenario())
    assert task.done() and [type(e) for e in bugs] == [ValueError]


class Emitter(QObject):
    number = Signal(int)
    clicked = Signal(bool)


class Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.got: list[object] = []

    @task_slot(int)
    async def take(self, n: int) -> None:
        self.got.append(n)

    @task_slot()
    async def refresh(self) -> None:
        self.got.append("refreshed")
        raise KeyError("missing")


def test_task_slot_keeps_or_drops_signal_arguments_and_reports_bugs(aloop, bugs):
    sender, receiver = Emitter(), Receiver()
    sender.number.connect(receiver.take)
    sender.clicked.connect(receiver.refresh)  # clicked(bool) into a slot taking nothing

    async def scenario():
        sender.number.emit(7)
        sender.clicked.emit(False)
        await until(lambda: len(receiver.got) == 2 and bugs)
    aloop.run_until_complete(scenario())
    assert sorted(map(str, receiver.got)) == ["7", "refreshed"]
    assert [type(e) for e in bugs] == [KeyError]
