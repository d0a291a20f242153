"""通话查询: find calls by time, medium, region, 源被叫 (the hotline dialled), 主被叫 (the
seat), direction, talk time, type (有效/无效/销售/咨询) and agent; tick rows (全选 / 取消 /
反选), play a recording, export the ticked recordings to a folder (录音导出) or the list
to Excel. Operators see their own calls only (the service enforces it).

Save and folder choosers are QFileDialog objects opened with open(), never the static
getSaveFileName (a nested modal loop).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
from operator import attrgetter
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from agent_app.phones import MASK
from agent_app.services.exports import ExportService
from db.enums import Permission
from ui.call import common as C
from ui.call.player import RecordingPlayer
from ui.kit.formats import local_time
from ui.kit.panel import Panel
from ui.kit.table import Column, PagedTableModel
from ui.kit.views import make_table_view

log = logging.getLogger(__name__)
PAGE = 200


def _fill(combo: QComboBox, items: list[tuple[str, object]]) -> None:
    current = combo.currentData()
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    i = combo.findData(current)
    combo.setCurrentIndex(max(0, i))


class CallQueryPanel(Panel):
    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, ctx, parent=None) -> None:
        bridge = ctx.cti
        self.bridge = bridge
        self.dialog: QFileDialog | None = None
        self.exported: list[Path] = []
        super().__init__(ctx, parent)

    def title(self) -> str:
        return self.tr("Call query")

    # -- building ---------------------------------------------------------------------------
    def build(self) -> QWidget:
        page = QWidget()
        now = QDateTime.currentDateTime()
        self.start = QDateTimeEdit(QDateTime(now.date(), QTime(0, 0)))
        self.end = QDateTimeEdit(QDateTime(now.date().addDays(1), QTime(0, 0)))
        for w in (self.start, self.end):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.medium, self.region, self.direction = QComboBox(), QComboBox(), QComboBox()
        self.kind, self.agent = QComboBox(), QComboBox()
        self.dialed, self.seat = QLineEdit(), QLineEdit()
        self.min_s, self.max_s = QSpinBox(), QSpinBox()
        for spin in (self.min_s, self.max_s):
            spin.setRange(0, 86_400)
            spin.setSuffix(" s")
        self.max_s.setSpecialValueText("—")  # 0 on the upper bound: no bound
        # operators query their own calls (the service refuses others')
        self.agent.setEnabled(self.ctx.actor.is_admin)
        self.search_button = QPushButton()
        self.search_button.setObjectName("searchCalls")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.labels = {k: QLabel() for k in ("start", "end", "medium", "region", "dialed",
                                              "seat", "direction", "duration", "kind", "agent")}
        # At 1366×768 this panel shares the right area with the customer record above the
        # call console: the period and 查找 stay on one line, the other conditions fold
        # away (更多条件), so the result list keeps the height.
        self.more_button = QToolButton()
        self.more_button.setObjectName("moreConditions")
        self.more_button.setCheckable(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.toggled.connect(self._show_conditions)
        first = QHBoxLayout()
        first.setSpacing(6)
        for key, widget in (("start", self.start), ("end", self.end)):
            first.addWidget(self.labels[key])
            first.addWidget(widget, 1)
        first.addWidget(self.more_button)
        first.addWidget(self.search_button)
        self.conditions = QWidget()
        self.conditions.setObjectName("callConditions")
        grid = QGridLayout(self.conditions)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        cells = [("direction", self.direction), ("kind", self.kind), ("agent", self.agent),
                 ("medium", self.medium), ("region", self.region), ("dialed", self.dialed),
                 ("seat", self.seat)]
        for i, (key, widget) in enumerate(cells):
            r, c = divmod(i, 3)
            grid.addWidget(self.labels[key], r, c * 2)
            grid.addWidget(widget, r, c * 2 + 1)
        dur = QHBoxLayout()
        dur.addWidget(self.min_s)
        dur.addWidget(QLabel("–"))
        dur.addWidget(self.max_s)
        grid.addWidget(self.labels["duration"], 2, 2)
        grid.addLayout(dur, 2, 3)
        for c in (1, 3, 5):
            grid.setColumnStretch(c, 1)
        self.conditions.setVisible(False)

        self.model = PagedTableModel(self._columns(), parent=self,
                                     check_key=attrgetter("call_id"))
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self._show_error)
        self.model.checks_changed.connect(self._update_buttons)
        self.view = make_table_view(self.model, "callRows")
        self.view.setWordWrap(False)
        self.view.doubleClicked.connect(lambda _i: self.play_current())

        self.buttons = {k: QPushButton() for k in ("all", "none", "invert", "play",
                                                    "export_rec", "export_xlsx")}
        for k, b in self.buttons.items():
            b.setObjectName(f"calls_{k}")
        self.buttons["all"].clicked.connect(lambda: self.model.set_all(True))
        self.buttons["none"].clicked.connect(lambda: self.model.set_all(False))
        self.buttons["invert"].clicked.connect(self.model.invert)
        self.buttons["play"].clicked.connect(self.play_current)
        self.buttons["export_rec"].clicked.connect(self.ask_recordings_folder)
        self.buttons["export_xlsx"].clicked.connect(self.ask_xlsx_path)
        may_export = self.ctx.actor.can(Permission.EXPORT)
        self.buttons["export_rec"].setVisible(may_export)
        self.buttons["export_xlsx"].setVisible(may_export)
        self.status = self.message_label("callQueryStatus", wrap=False)
        row = QHBoxLayout()
        for k in ("all", "none", "invert"):
            row.addWidget(self.buttons[k])
        row.addWidget(self.status, 1)  # on the buttons' line: the list keeps the height
        for k in ("play", "export_rec", "export_xlsx"):
            row.addWidget(self.buttons[k])
        self.player = RecordingPlayer(self.bridge)
        self.player.setVisible(False)  # shown once a recording is chosen (播放)

        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        lay.addLayout(first)
        lay.addWidget(self.conditions)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        lay.addWidget(self.player)
        self.spawn(self.load_choices())
        return page

    def _columns(self) -> list[Column]:
        return [Column("queued_at", self.tr("Time"),
                       lambda v: local_time(v, "%Y-%m-%d %H:%M:%S")),
                Column("direction", self.tr("Direction"), C.direction_text),
                Column("caller", self.tr("Caller")),
                Column("dialed", self.tr("Dialled number")),
                Column("seat", self.tr("Seat")),
                Column("agent_name", self.tr("Agent")),
                Column("talk_s", self.tr("Talk time"), kind="duration"),
                Column("end_cause", self.tr("Result"), C.end_cause_text),
                Column("medium_name", self.tr("Medium")),
                Column("region_name", self.tr("Region")),
                Column("customer_name", self.tr("Customer")),
                Column("recording_id", self.tr("Recording"), lambda v: "♪" if v else "")]

    def retranslate_ui(self) -> None:
        super().retranslate_ui()
        if not self.is_built:
            return
        texts = {"start": self.tr("From"), "end": self.tr("To"), "medium": self.tr("Medium"),
                 "region": self.tr("Region"), "dialed": self.tr("Dialled number"),
                 "seat": self.tr("Seat"), "direction": self.tr("Direction"),
                 "duration": self.tr("Talk time"), "kind": self.tr("Type"),
                 "agent": self.tr("Agent")}
        for k, t in texts.items():
            self.labels[k].setText(t)
        self.dialed.setPlaceholderText(self.tr("e.g. 4006000000"))
        self.seat.setPlaceholderText(self.tr("e.g. 8001"))
        self.search_button.setText(self.tr("&Search"))
        self._show_conditions(self.more_button.isChecked())
        _fill(self.direction, [(self.tr("All"), None), (self.tr("Inbound"), "in"),
                               (self.tr("Outbound"), "out")])
        _fill(self.kind, [(self.tr("All"), None), (self.tr("Valid"), "valid"),
                          (self.tr("Invalid"), "invalid"), (self.tr("Sale"), "sale"),
                          (self.tr("Consultation"), "consult")])
        for k, t in {"all": self.tr("Select all"), "none": self.tr("Select none"),
                     "invert": self.tr("Invert selection"), "play": self.tr("Play"),
                     "export_rec": self.tr("Export recordings…"),
                     "export_xlsx": self.tr("Export to Excel…")}.items():
            self.buttons[k].setText(t)
        self.model.set_columns(self._columns())
        self.player.retranslate_ui()
        self._update_buttons()

    def _show_conditions(self, shown: bool) -> None:
        """更多条件: fold the conditions other than the period in and out. Folded, the
        button says how many of them are set, so a narrowed search is never hidden."""
        self.conditions.setVisible(shown)
        self.more_button.setArrowType(Qt.ArrowType.UpArrow if shown else Qt.ArrowType.DownArrow)
        n = self.conditions_set()
        text = self.tr("More conditions")
        if n and not shown:
            text = self.tr("More conditions (%n set)", "", n)
        self.more_button.setText(text)

    def conditions_set(self) -> int:
        """How many of the folded conditions narrow the search."""
        combos = (self.direction, self.kind, self.medium, self.region)
        n = sum(c.currentData() is not None for c in combos)
        n += sum(bool(e.text().strip()) for e in (self.dialed, self.seat))
        n += bool(self.min_s.value() or self.max_s.value())
        if self.ctx.actor.is_admin:
            n += self.agent.currentData() is not None
        return n

    async def load_choices(self) -> None:
        from agent_app.services.accounts import AccountService
        from agent_app.services.archives import ArchiveService

        archives = self.ctx.services.get(ArchiveService)
        actor = self.ctx.actor
        async def read() -> tuple[list, list, list]:
            media = await self.ctx.runner.call(archives.list_media, actor)
            regions = await self.ctx.runner.call(archives.list_regions, actor)
            agents = (await self.ctx.runner.call(
                self.ctx.services.get(AccountService).list_employees, actor,
                include_closed=False) if actor.is_admin else [])
            return media, regions, agents
        lists = await self.guarded(read())
        if lists is None:
            return
        media, regions, agents = lists
        every = self.tr("All")
        _fill(self.medium, [(every, None)] + [(m.name, m.id) for m in media])
        _fill(self.region, [(every, None)] + [(r.name, r.id) for r in regions])
        if actor.is_admin:
            _fill(self.agent, [(every, None)] + [(f"{e.login} {e.name}", e.login)
                                                   for e in agents])
        else:  # operators query their own calls (the service refuses others')
            _fill(self.agent, [(f"{actor.login} {actor.name}", actor.login)])

    # -- searching --------------------------------------------------------------------------
    def query(self):
        from agent_app.services.calls import CallQuery

        def aware(edit: QDateTimeEdit) -> dt.datetime:
            return edit.dateTime().toPython().astimezone()  # the desk's local time
        return CallQuery(start=aware(self.start), end=aware(self.end),
                         medium_id=self.medium.currentData(),
                         region_id=self.region.currentData(),
                         dialed=self.dialed.text().strip() or None,
                         seat=self.seat.text().strip() or None,
                         direction=self.direction.currentData(),
                         min_s=self.min_s.value() or None, max_s=self.max_s.value() or None,
                         kind=self.kind.currentData(), agent_login=self.agent.currentData())

    def search(self) -> asyncio.Future:
        q = self.query()
        self._show_conditions(self.more_button.isChecked())
        svc = C.call_service(self.ctx)
        self.status.setText(self.tr("Searching…"))

        async def fetch(after):
            return await self.ctx.runner.call(svc.search, self.ctx.actor, q,
                                              page_size=PAGE, after=after)
        return self.model.reset(fetch)

    def _on_loaded(self, n: int) -> None:
        if n <= PAGE:  # the first page sets the widths; later pages keep the user's
            self.view.resizeColumnsToContents()
        more = self.model.canFetchMore()
        text = self.tr("%n call(s) shown.", "", n)
        if more:
            text += " " + self.tr("Scroll down for more.")
        self.status.setText(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        if not self.is_built:
            return
        ticked = len(self.model.checked)
        self.buttons["export_rec"].setEnabled(ticked > 0)
        self.buttons["export_xlsx"].setEnabled(self.model.rowCount() > 0)

    # -- playing ----------------------------------------------------------------------------
    def current_row(self):
        idx = self.view.currentIndex()
        return self.model.row_at(idx.row()) if idx.isValid() else None

    def play_current(self):
        row = self.current_row()
        if row is None or not row.recording_id:
            self.status.setText(self.tr("Choose a call with a recording (♪)."))
            return None
        label = f"{local_time(row.queued_at, '%Y-%m-%d %H:%M')} {row.caller} → {row.dialed}"
        self.player.setVisible(True)
        return self.player.open(row.recording_id, label)

    # -- exporting --------------------------------------------------------------------------
    def _file_dialog(self, title: str) -> QFileDialog:
        dlg = QFileDialog(self, title)
        dlg.setObjectName("callExportDialog")
        dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        self.dialog = dlg
        return dlg

    def ask_recordings_folder(self) -> None:
        dlg = self._file_dialog(self.tr("Export recordings to"))
        dlg.setFileMode(QFileDialog.FileMode.Directory)
        dlg.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dlg.fileSelected.connect(lambda path: self.spawn(self.export_recordings(Path(path))))
        dlg.open()

    def ask_xlsx_path(self) -> None:
        dlg = self._file_dialog(self.tr("Export the calls to Excel"))
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setNameFilter(self.tr("Excel workbook (*.xlsx)"))
        dlg.setDefaultSuffix("xlsx")
        dlg.selectFile(f"calls-{dt.date.today():%Y%m%d}.xlsx")
        dlg.fileSelected.connect(lambda path: self.spawn(self.export_xlsx(Path(path))))
        dlg.open()

    async def export_recordings(self, folder: Path) -> list[Path]:
        """录音导出: fetch each ticked call's recording (hash-checked) into `folder`."""
        rows = [r for r in self.model.checked_rows() if r.recording_id]
        exports = self.ctx.services.get(ExportService)
        # the 导出 permission is the core's rule, checked before anything is fetched
        if not await self.succeeded(self.ctx.runner.call(exports.check, self.ctx.actor,
                                                         "recordings")):
            return []
        done: list[Path] = []
        failures = 0
        for i, row in enumerate(rows, 1):
            self.status.setText(self.tr("Exporting recording {i} of {n}…").format(
                i=i, n=len(rows)))
            try:
                fetched = await self.bridge.fetch_recording(row.recording_id)
                stamp = local_time(row.queued_at, "%Y%m%d-%H%M%S")
                # a masked caller (138****5678): * is not allowed in Windows file names
                caller = row.caller.replace(MASK, "x")
                target = folder / f"{stamp}_{caller}_{row.recording_id}.wav"
                await self.ctx.runner.call(shutil.copyfile, fetched, target)
                done.append(target)
            except Exception as exc:  # noqa: BLE001 - one refusal must not stop the rest
                failures += 1
                log.info("recording %s not exported: %s", row.recording_id, exc)
        self.exported = done
        if done:  # the audit row: who exported how many recordings
            await self.call_service(exports.record, self.ctx.actor, "recordings", len(done),
                                    folder)
        text = self.tr("%n recording(s) exported to {folder}.", "", len(done)).format(
            folder=folder)
        if failures:
            text += " " + self.tr("%n could not be fetched.", "", failures)
        self.status.setText(text)
        return done

    async def export_xlsx(self, path: Path) -> int:
        """The whole list found (every page), or only the ticked rows when some are."""
        svc = C.call_service(self.ctx)
        rows = self.model.checked_rows()
        if not rows:
            await self.model.load_all()
            rows = list(self.model.rows)

        def translate(text: str) -> str:
            return QCoreApplication.translate("calls", text)
        async def write() -> int | OSError:
            try:
                return await self.ctx.runner.call(svc.export_xlsx, self.ctx.actor, rows, path,
                                                  tr=translate)
            except OSError as exc:  # the folder: said here, not a bug
                return exc
        ok, n = await self.attempt(write())
        if isinstance(n, OSError):
            self.status.setText(self.tr("Not exported: {error}").format(error=n.strerror))
            return 0
        if not ok or n is None:  # refused (导出 permission): the message line says why
            return 0
        self.status.setText(self.tr("%n call(s) exported to {path}.", "", n).format(path=path))
        return n

    # -- helpers ----------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.status.setText(text)

