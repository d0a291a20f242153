"""What text the database may hold, checked the same way on SQLite and MariaDB.

The two back ends disagree on bad text: SQLite stores 10,000 characters in a VARCHAR(64)
and a NUL in the middle of a name, MariaDB refuses the first with an unhandled DataError,
and a lone surrogate ("\\ud800", from a broken paste) cannot be encoded for either. So the
rules are ours, checked before anything is sent:

- at most the column's String(length) characters (len() counts code points, as MariaDB's
  VARCHAR counts characters);
- no NUL, no lone surrogate, no other C0 control character; TAB and LF only in the
  multi-line remarks (MULTILINE), where a pasted CR LF is read as LF.

`check_text` is for services cleaning a form (the message goes beside the form's field).
`guard_flush` runs on every ORM flush, so a text column a service forgot is refused with
the same message and the column's attribute name as the field, never stored on one back
end and a crash on the other.

For searches: `searchable(needle)` is False when no stored text can contain the needle
(NUL, a control character or a lone surrogate); the search then matches nothing
(SQLite's LIKE stops reading a pattern at a NUL, so '%\\0%' matched every row).
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from agent_app.errors import ValidationError
from agent_app.tr import QT_TRANSLATE_NOOP

# Columns typed on several lines (备注, 联系内容, 需求信息, 意见及建议, 提醒, 送货要求...).
MULTILINE = frozenset({"remark", "content", "demand_info", "text", "note",
                       "delivery_requirements", "cancel_reason"})

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CONTROL_BUT_TAB_LF = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def too_long(field: str, limit: int) -> ValidationError:
    return ValidationError(QT_TRANSLATE_NOOP(
        "errors", "This text is too long: at most {limit} characters."),
        field=field, limit=limit)


def bad_character(field: str, value: str) -> ValidationError | None:
    """The error for a character no text may hold, or None."""
    if "\x00" in value:
        return ValidationError(QT_TRANSLATE_NOOP(
            "errors", "This text contains a NUL character, which cannot be stored. "
                      "Remove it (it usually comes from a paste)."), field=field)
    if _SURROGATE.search(value):
        return ValidationError(QT_TRANSLATE_NOOP(
            "errors", "This text contains a broken character (half of a character pair). "
                      "Type the text again."), field=field)
    return None


def check_text(value: str, *, field: str, limit: int | None,
               multiline: bool | None = None) -> str:
    """`value` unchanged (CR LF read as LF in multi-line text), or ValidationError(field=).

    multiline None: by the field's name (MULTILINE).
    """
    if not isinstance(value, str):
        raise ValidationError(field=field)
    error = bad_character(field, value)
    if error is not None:
        raise error
    if multiline is None:
        multiline = field in MULTILINE
    if multiline:
        value = value.replace("\r\n", "\n")
    control = (_CONTROL_BUT_TAB_LF if multiline else _CONTROL).search(value)
    if control is not None:
        raise ValidationError(QT_TRANSLATE_NOOP(
            "errors", "This text contains a control character (code {code}), which cannot "
                      "be stored. Remove it."), field=field,
            code=f"U+{ord(control.group()):04X}")
    if limit is not None and len(value) > limit:
        raise too_long(field, limit)
    return value


def column_limit(attribute: Any) -> int | None:
    """The String(length) of a mapped column attribute (Customer.name → 64)."""
    column = attribute.property.columns[0]
    return getattr(column.type, "length", None)


def check_column(attribute: Any, value: str, *, field: str | None = None,
                 multiline: bool | None = None) -> str:
    """check_text against the column's own length: `check_column(Customer.name, v)`."""
    key = attribute.property.key
    return check_text(value, field=field or key, limit=column_limit(attribute),
                      multiline=key in MULTILINE if multiline is None else multiline)


def searchable(needle: str) -> bool:
    """Could any stored text contain `needle`? (No: it holds NUL, a control character
    other than TAB or LF, or a lone surrogate — the search should match nothing.)"""
    return not (_SURROGATE.search(needle) or _CONTROL_BUT_TAB_LF.search(needle))


def _check_row(obj: Any, new: bool) -> None:
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if not isinstance(column.type, String):
            continue
        # an attribute never loaded (a deferred column: employee.password_hash, which a
        # per-employee account may not read) is not being written: reading it here would
        # load it, and the server refuses that SELECT
        if attr.key in state.unloaded:
            continue
        if not new and not state.attrs[attr.key].history.has_changes():
            continue
        value = getattr(obj, attr.key, None)
        if not isinstance(value, str):
            continue
        checked = check_text(value, field=attr.key, limit=column.type.length,
                             multiline=attr.key in MULTILINE or column.type.length is None)
        if checked != value:
            setattr(obj, attr.key, checked)


@event.listens_for(Session, "before_flush")
def guard_flush(session: Session, _flush_context, _instances) -> None:
    """Every String column of every new or changed row, whoever wrote it."""
    for obj in list(session.new):
        _check_row(obj, True)
    for obj in list(session.dirty):
        _check_row(obj, False)
