"""录音播放: fetch a call's recording over the CTI link and play it.

The client checks the file's SHA-256 against the server's before handing it over; a
refusal (only the agent who took the call, or a user with the recordings permission, may
fetch it) is shown as a plain sentence under the controls, never as a dialog.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from ui.call.common import RED
from ui.kit.formats import duration_text
from ui.kit.tasks import spawn

log = logging.getLogger(__name__)


class RecordingPlayer(QWidget):
    loaded = Signal(str)        # the local file, once fetched and handed to the player
    failed = Signal(str)        # the text shown

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordingPlayer")
        self.bridge = bridge
        self.path: Path | None = None
        self.recording_id: str | None = None
        self._task: asyncio.Future | None = None
        self.audio = QAudioOutput(self)
        self.player = QMediaPlayer(self)
        self.player.setAudioOutput(self.audio)
        self.player.durationChanged.connect(self._on_duration)
        self.player.positionChanged.connect(self._on_position)
        self.player.playbackStateChanged.connect(lambda _s: self._sync_button())
        self.player.errorOccurred.connect(self._on_error)

        self.title = QLabel()
        self.title.setObjectName("playerTitle")
        self.play_button = QPushButton()
        self.play_button.setObjectName("playButton")
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("seekSlider")
        self.slider.sliderMoved.connect(self.player.setPosition)
        self.time = QLabel()
        self.time.setObjectName("playerTime")
        self.message = QLabel()
        self.message.setObjectName("playerMessage")
        self.message.setWordWrap(True)
        row = QHBoxLayout()  # one line: it sits under a result list that needs the height
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.message)
        self.retranslate_ui()
        self._set_enabled(False)

    def retranslate_ui(self) -> None:
        self._sync_button()
        self._on_position(self.player.position())
        if self.recording_id is None:
            self.title.setText(self.tr("No recording chosen"))

    # -- loading ----------------------------------------------------------------------------
    def open(self, recording_id: str, label: str = "") -> asyncio.Future:
        """Fetch and load a recording (replaces the one playing); returns the task."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = spawn(self.load(recording_id, label))
        return self._task

    async def load(self, recording_id: str, label: str = "") -> Path | None:
        self.player.stop()
        self.player.setSource(QUrl())
        self.recording_id = recording_id
        self._set_enabled(False)
        self.title.setText(label or recording_id)
        self._show(self.tr("Fetching the recording…"), error=False)
        try:
            path = await self.bridge.fetch_recording(recording_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every refusal is shown, none raised
            self._show(self.refusal_text(exc))
            self.failed.emit(self.message.text())
            return None
        self.path = Path(path)
        self.player.setSource(QUrl.fromLocalFile(str(self.path)))
        self._set_enabled(True)
        self._show("", error=False)
        self.loaded.emit(str(self.path))
        return self.path

    def refusal_text(self, exc: BaseException) -> str:
        code = getattr(exc, "code", None)
        if code == "forbidden":
            return self.tr("You may not play this recording: only the agent who took the "
                           "call, or a user with the recordings permission, may.")
        if code == "no_such_call":
            return self.tr("The recording is not on the server (it may have been purged).")
        if code == "bad_checksum":
            return self.tr("The recording arrived damaged (checksum mismatch); try again.")
        if code in ("not_connected", "disconnected") or isinstance(exc, ConnectionError):
            return self.tr("CTI link not connected")
        return self.tr("The recording could not be fetched: {error}").format(
            error=getattr(exc, "message", None) or str(exc))

    # -- playing ----------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def _on_duration(self, ms: int) -> None:
        self.slider.setRange(0, max(0, ms))
        self._on_position(self.player.position())

    def _on_position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(ms)
        self.time.setText(f"{duration_text(ms / 1000)} / "
                          f"{duration_text(self.player.duration() / 1000)}")

    def _on_error(self, _error, text: str) -> None:
        if text:
            self._show(self.tr("The recording cannot be played: {error}").format(error=text))

    def _sync_button(self) -> None:
        playing = self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setText(self.tr("Pause") if playing else self.tr("Play"))

    def _set_enabled(self, on: bool) -> None:
        self.play_button.setEnabled(on)
        self.slider.setEnabled(on)

    def _show(self, text: str, *, error: bool = True) -> None:
        self.message.setStyleSheet(f"color: {RED};" if error else "")
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
