"""CTI link protocol v1 (docs/cti-protocol.md): framing and pure message builders.

Nothing here touches a socket, so every rule is unit-tested on bytes. The server and the
client both build their messages through these functions.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

PROTOCOL = 1
DEFAULT_PORT = 6020
MAX_LINE = 65_536          # bytes per line, newline excluded
RECORDING_CHUNK = 32 * 1024

ERROR_CODES = frozenset({
    "bad_frame", "unknown_type", "bad_args", "not_logged_in", "auth_failed", "forbidden",
    "bad_state", "no_such_call", "no_such_group", "seat_in_use", "busy_server", "internal",
    # login refusals beside auth_failed (docs/cti-protocol.md, "Extensions")
    "account_locked", "password_change_required", "rate_limited", "login_timeout",
})
MAX_NUMBER = 32            # characters of a phone number on the link
# Text that may reach a switch (seat, reason, numbers, groups, logins) holds no control
# character: C0 (CR, LF and TAB included), DEL, C1. A CR/LF in a seat became part of the
# call record and could split a line of a text protocol towards a PBX.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")   # lone halves: JSON allows them, UTF-8 does not
_NUMBER = re.compile(rf"\+?[0-9*#]{{1,{MAX_NUMBER}}}")


class FrameError(Exception):
    """A line that breaks the framing rules: the peer gets bad_frame and is disconnected."""


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="milliseconds")


def ts_iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")


def parse_frame(line: bytes) -> dict[str, Any]:
    """One received line (without its newline) → a message object, or FrameError."""
    if len(line) > MAX_LINE:
        raise FrameError(f"line longer than {MAX_LINE} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameError("line is not UTF-8") from exc
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FrameError("line is not JSON") from exc
    if not isinstance(obj, dict):
        raise FrameError("message is not a JSON object")
    if not isinstance(obj.get("type"), str):
        raise FrameError("message has no string 'type'")
    return obj


def encode(message: dict[str, Any]) -> bytes:
    """One message → one line. json.dumps escapes newlines, so a frame is always one line."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


# -- builders ---------------------------------------------------------------------------------
def request(verb: str, req_id: int, **args: Any) -> dict[str, Any]:
    return {"type": verb, "id": req_id, **args}


def ok(req_id: Any, **data: Any) -> dict[str, Any]:
    return {"type": "result", "id": req_id, "ok": True, **data}


def fail(req_id: Any, code: str, message: str) -> dict[str, Any]:
    assert code in ERROR_CODES, code
    return {"type": "result", "id": req_id, "ok": False,
            "error": {"code": code, "message": message}}


def bad_frame(message: str) -> dict[str, Any]:
    return error_frame("bad_frame", message)


def error_frame(code: str, message: str) -> dict[str, Any]:
    """What the server says before it closes a connection (bad_frame, busy_server,
    login_timeout): not an answer to any request."""
    assert code in ERROR_CODES, code
    return {"type": "error", "error": {"code": code, "message": message}}


def event(name: str, seq: int, **data: Any) -> dict[str, Any]:
    return {"type": "event", "event": name, "seq": seq, "ts": now_iso(), **data}


# -- argument checks ----------------------------------------------------------------------------
class BadArgs(Exception):
    """A well-framed request with wrong arguments: result bad_args, connection stays."""


def arg_str(msg: dict[str, Any], name: str, *, required: bool = True, max_len: int = 200,
            default: str | None = None, control_ok: bool = False) -> str | None:
    """A string argument. Control characters are refused unless `control_ok` (free text
    that never reaches a switch: a password, a broadcast); lone surrogates always (they
    cannot be stored nor sent on as UTF-8)."""
    v = msg.get(name, default)
    if v is None:
        if required:
            raise BadArgs(f"'{name}' is required")
        return None
    if not isinstance(v, str) or len(v) > max_len:
        raise BadArgs(f"'{name}' must be a string of at most {max_len} characters")
    check_text(v, name, control_ok=control_ok)
    return v


def check_text(v: str, name: str, *, control_ok: bool = False) -> str:
    if _SURROGATE.search(v):
        raise BadArgs(f"'{name}' holds an invalid character (a lone surrogate)")
    if not control_ok and _CONTROL.search(v):
        raise BadArgs(f"'{name}' must not hold control characters (line breaks, tabs …)")
    return v


def arg_number(msg: dict[str, Any], name: str, *, required: bool = False, lo: float = 0,
               hi: float = 86_400) -> float | None:
    v = msg.get(name)
    if v is None:
        if required:
            raise BadArgs(f"'{name}' is required")
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise BadArgs(f"'{name}' must be a number from {lo} to {hi}")
    return float(v)


def arg_digits(msg: dict[str, Any], name: str) -> str:
    """Phone numbers on the link: digits, * and #, an optional leading '+', at most 32."""
    v = msg.get(name)
    if not isinstance(v, str) or not _NUMBER.fullmatch(v):
        raise BadArgs(f"'{name}' must be a phone number: digits, * and # "
                      f"(a leading + allowed), at most {MAX_NUMBER}")
    return v


def arg_groups(msg: dict[str, Any]) -> list[str]:
    v = msg.get("groups")
    if not isinstance(v, list) or not v or len(v) > 16 or not all(
            isinstance(g, str) and 0 < len(g) <= 8 for g in v):
        raise BadArgs("'groups' must be a non-empty list of group numbers")
    for g in v:
        check_text(g, "groups")
    return list(dict.fromkeys(v))
