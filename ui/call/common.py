"""Small pieces the call panels share: status lights, display names of the CTI
vocabulary, and the call feature's two services."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from agent_app.services.calls import CallService
from agent_app.services.contacts import ContactService

# The call panels read these through this module (C.duration_text …); one copy, in the kit.
from ui.kit.formats import clock_time as local_time  # noqa: F401
from ui.kit.formats import duration_text, parse_ts  # noqa: F401
from ui.kit.tasks import loop_running  # noqa: F401

GREEN, AMBER, RED, GREY, BLUE = "#2e9d3a", "#e0a100", "#d23a2a", "#9a9a9a", "#2f6fd6"


def call_service(ctx) -> CallService:
    return ctx.services.get(CallService)


def contact_service(ctx) -> ContactService:
    return ctx.services.get(ContactService)


class Light(QWidget):
    """A coloured dot and a word: the manual's 指示灯 (link, login, ready/busy)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.dot = QLabel("●")
        self.dot.setObjectName(f"{name}Dot")
        self.text = QLabel()
        self.text.setObjectName(f"{name}Text")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.dot)
        lay.addWidget(self.text)
        lay.addStretch(1)
        self.colour = GREY
        self.set(GREY, "")

    def set(self, colour: str, text: str, tip: str = "") -> None:
        self.colour = colour
        self.dot.setStyleSheet(f"color: {colour}; font-size: 14pt;")
        self.text.setText(text)
        self.setToolTip(tip)


# The CTI vocabulary's words. Written out as QCoreApplication.translate("call", …) so
# pyside6-lupdate finds every one (it does not follow a helper function).
def link_text(status: str) -> tuple[str, str]:
    return {
        "disconnected": (GREY, QCoreApplication.translate("call", "Disconnected")),
        "connecting": (AMBER, QCoreApplication.translate("call", "Connecting…")),
        "connected": (BLUE, QCoreApplication.translate("call", "Connected")),
        "logged_in": (GREEN, QCoreApplication.translate("call", "Connected")),
    }.get(status, (GREY, status))


def link_detail_text(detail: str) -> str:
    """Why the CTI link is down (a code of cti-protocol.md or the client's), as a sentence
    for the desk's status line; a code without one is shown as it is."""
    return {
        "auth_failed": QCoreApplication.translate("call", "wrong user or password"),
        "account_locked": QCoreApplication.translate(
            "call", "the account is locked after repeated failed logins; try again later"),
        "password_change_required": QCoreApplication.translate(
            "call", "change your password first (System → Change password), then connect again"),
        "rate_limited": QCoreApplication.translate(
            "call", "too many failed logins from this workstation; try again in a few minutes"),
        "busy_server": QCoreApplication.translate(
            "call", "the CTI server is busy; connecting again shortly"),
        "login_timeout": QCoreApplication.translate(
            "call", "the CTI server closed the link: no login in time"),
    }.get(detail, detail)


def state_text(state: str | None) -> tuple[str, str]:
    """An agent state (cti-protocol.md) as a colour and the glossary's word."""
    logged_out = (GREY, QCoreApplication.translate("call", "Logged out"))
    return {
        "ready": (GREEN, QCoreApplication.translate("call", "Ready")),
        "busy": (RED, QCoreApplication.translate("call", "Busy")),
        "ringing": (AMBER, QCoreApplication.translate("call", "Ringing")),
        "talking": (BLUE, QCoreApplication.translate("call", "Talking")),
        "wrapup": (AMBER, QCoreApplication.translate("call", "Wrap-up")),
        "logged_out": logged_out,
    }.get(state or "", logged_out)


def call_state_text(state: str | None) -> str:
    return {
        "queued": QCoreApplication.translate("call", "Queued"),
        "ringing": QCoreApplication.translate("call", "Ringing"),
        "talking": QCoreApplication.translate("call", "Talking"),
        "held": QCoreApplication.translate("call", "On hold"),
        "ended": QCoreApplication.translate("call", "Ended"),
    }.get(state or "", state or "")


def verb_text(verb: str) -> str:
    """A bridge command's name, for "Answer: <refusal>" lines."""
    return {
        "connect": QCoreApplication.translate("call", "Connect"),
        "disconnect": QCoreApplication.translate("call", "Disconnect"),
        "ready": QCoreApplication.translate("call", "Ready"),
        "busy": QCoreApplication.translate("call", "Busy"),
        "answer": QCoreApplication.translate("call", "Answer"),
        "hangup": QCoreApplication.translate("call", "Hang up"),
        "hold": QCoreApplication.translate("call", "Hold"),
        "unhold": QCoreApplication.translate("call", "Resume"),
        "transfer": QCoreApplication.translate("call", "Transfer"),
        "dial": QCoreApplication.translate("call", "Dial"),
        "monitor": QCoreApplication.translate("call", "Monitoring"),
        "broadcast": QCoreApplication.translate("call", "Broadcast"),
        "pop": QCoreApplication.translate("call", "Screen pop"),
    }.get(verb, verb)


# 置忙 reasons the desk offers, as the codes it sends: the server keeps a reason as given and
# tells every desk (and the supervisor's) the same code, each shows it in its own language
BUSY_REASONS = ("Break", "Training", "Meeting", "Other")


def busy_reasons() -> list[tuple[str, str]]:
    """置忙 reasons offered: (code sent to the server, the words shown)."""
    return [(code, reason_text(code)) for code in BUSY_REASONS]


def reason_text(reason: str | None) -> str:
    """An agent's reason code (cti-protocol.md: the server's `no_answer`, a state name given
    as a reason, the desk's 置忙 reasons) in words. A reason that is no code (free text an
    older desk sent) is already words and is shown as it is."""
    if not reason:
        return ""
    words = {
        "no_answer": QCoreApplication.translate("call", "Unanswered"),
        "break": QCoreApplication.translate("call", "Break"),
        "training": QCoreApplication.translate("call", "Training"),
        "meeting": QCoreApplication.translate("call", "Meeting"),
        "other": QCoreApplication.translate("call", "Other"),
    }.get(reason.lower())
    if words is not None:
        return words
    if reason in AGENT_STATES:
        return state_text(reason)[1]
    return reason


AGENT_STATES = ("logged_out", "busy", "ready", "ringing", "talking", "wrapup")


def agent_text(state: str | None, reason: str | None) -> tuple[str, str]:
    """The agent's state light: colour and words, e.g. 置忙 · 未接."""
    colour, text = state_text(state)
    if state == "busy" and reason:
        text = f"{text} · {reason_text(reason)}"
    return colour, text


def direction_text(direction: str | None) -> str:
    return {"in": QCoreApplication.translate("call", "Inbound"),
            "out": QCoreApplication.translate("call", "Outbound")}.get(direction or "",
                                                                       direction or "")


def end_cause_text(cause: str | None) -> str:
    return {
        "answered": QCoreApplication.translate("call", "Answered"),
        "abandoned": QCoreApplication.translate("call", "Abandoned"),
        "no_answer": QCoreApplication.translate("call", "No answer"),
        "busy": QCoreApplication.translate("call", "Line busy"),
        "unreachable": QCoreApplication.translate("call", "Unreachable"),
        "rejected": QCoreApplication.translate("call", "Rejected"),
        "vacant": QCoreApplication.translate("call", "Vacant number"),
        "powered_off": QCoreApplication.translate("call", "Powered off"),
        "transferred": QCoreApplication.translate("call", "Transferred"),
        "server_stopped": QCoreApplication.translate("call", "CTI server stopped"),
        "taken_elsewhere": QCoreApplication.translate("call", "Taken by another agent"),
    }.get(cause or "", cause or "")


def mono_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
