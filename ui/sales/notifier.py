"""The reminder pop-up (提醒): every 30 s, the reminders that are due and not yet shown
in this session are shown as notices (never a modal box: an agent in a call must not have to click
anything), and read aloud when the workstation asks for it (speak_reminders)."""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer

from agent_app.services.reminders import ReminderInfo, ReminderService
from ui.errors import known_error
from ui.kit.formats import local_time
from ui.kit.tasks import loop_running, task_slot

log = logging.getLogger(__name__)
INTERVAL_MS = 30_000
MAX_NOTICES = 3  # per check; the rest are summed up in one more notice


def speak(text: str) -> None:
    """Runs on the speech thread. Text-to-speech is a nicety: a missing voice, driver or
    sound device is logged and otherwise ignored."""
    try:
        import pyttsx3

        engine = pyttsx3.init()
        engine.say(text)
        engine.runAndWait()
    except Exception:  # noqa: BLE001 - anything pyttsx3 or its driver raises
        log.warning("cannot read the reminder aloud", exc_info=True)


class ReminderNotifier(QObject):
    def __init__(self, ctx, window, parent: QObject | None = None) -> None:
        super().__init__(parent or window)
        self.ctx, self.window = ctx, window
        self.service: ReminderService = ctx.services.get(ReminderService)
        self.last_check: dt.datetime | None = None
        self.shown: list[ReminderInfo] = []
        # Ids already shown. Asking "due since the last look" would miss a reminder saved
        # with a time already past (a callback set for ten minutes ago, or while offline).
        self.notified: set[int] = set()
        self._busy = False
        self._stopped = False
        self._speaker: ThreadPoolExecutor | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()
        QTimer.singleShot(0, self, self._tick)  # what is due already, right after login

    def stop(self) -> None:
        self._stopped = True  # also the first look, if it has not run yet
        self.timer.stop()
        if self._speaker is not None:
            self._speaker.shutdown(wait=False, cancel_futures=True)
            self._speaker = None

    def _tick(self) -> None:
        if not self._stopped and loop_running() and not self._busy:
            self.check()

    @task_slot()
    async def check(self, now: dt.datetime | None = None) -> list[ReminderInfo]:
        """One look: reminders due by `now`, not done, and not shown before."""
        now = now or dt.datetime.now(dt.UTC)
        self._busy = True
        try:
            due = await self.ctx.runner.call(self.service.due, self.ctx.actor, now)
        except Exception as exc:
            if known_error(exc) is None:
                raise
            log.warning("reminder check failed: %s", exc)  # the next tick tries again
            return []
        finally:
            self._busy = False
        self.last_check = now
        due = [r for r in due if r.id not in self.notified]
        self.notified.update(r.id for r in due)
        self.notify(due)
        return due

    def text(self, r: ReminderInfo) -> str:
        return self.tr("Reminder {time}: {name} {phone} — {note}").format(
            time=local_time(r.due_at), name=r.customer_name, phone=r.phone,
            note=r.note or self.tr("(no note)"))

    def notify(self, due: list[ReminderInfo]) -> None:
        for r in due[:MAX_NOTICES]:
            self.window.show_notice(self.text(r), 15_000)
            self.shown.append(r)
        if len(due) > MAX_NOTICES:
            self.window.show_notice(self.tr("{n} more reminders are due: see Customer "
                                            "reminders.").format(n=len(due) - MAX_NOTICES),
                                    15_000)
        if due and self.ctx.settings.speak_reminders:
            if self._speaker is None:  # one thread: sayings queue up, never overlap
                self._speaker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
            for r in due[:MAX_NOTICES]:
                self._speaker.submit(speak, self.tr("Reminder: call {name}. {note}").format(
                    name=r.customer_name, note=r.note))
