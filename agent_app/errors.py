"""Known errors: the ones a user can act on. Everything else is a bug (crash dialog).

Each carries an English source message (translated by the UI in context "errors"),
named parameters to format into it, and a stable `code` for tests and the CTI link.
"""
from __future__ import annotations

from typing import Any

from agent_app.tr import QT_TRANSLATE_NOOP

CONTEXT = "errors"


class UserError(Exception):
    code = "user_error"
    template = QT_TRANSLATE_NOOP("errors", "The operation could not be completed.")
    # parameters that are themselves messages (QT_TRANSLATE_NOOP'd): translated with it
    translated_params: tuple[str, ...] = ()

    def __init__(self, template: str | None = None, /, field: str | None = None, **params: Any):
        if template is not None:
            self.template = template
        self.field = field  # the form field to show the message beside, if any
        self.params = params
        super().__init__(self.message_en())

    def message_en(self) -> str:
        try:
            return self.template.format(**self.params)
        except (KeyError, IndexError):
            return self.template


class ValidationError(UserError):
    code = "invalid"
    template = QT_TRANSLATE_NOOP("errors", "The value is not valid.")


class NotFound(UserError):
    code = "not_found"
    template = QT_TRANSLATE_NOOP("errors", "The record no longer exists; refresh and try again.")


class Forbidden(UserError):
    code = "forbidden"
    template = QT_TRANSLATE_NOOP("errors", "You do not have permission to do this. Ask an administrator.")


class AuthFailed(UserError):
    # One message for wrong password, unknown login, banned and closed accounts: the
    # manual's 禁止登陆 says the user sees "wrong user name or password", nothing more.
    code = "auth_failed"
    template = QT_TRANSLATE_NOOP("errors", "Wrong login or password.")


class AccountLocked(UserError):
    code = "locked"
    template = QT_TRANSLATE_NOOP("errors", "Too many wrong passwords. Try again in {minutes} minutes.")


class AccountBlocked(UserError):
    # The database server's own lock-out (MariaDB max_password_errors) on an employee's
    # account: it lasts until a super administrator unlocks it (登陆恢复), not minutes.
    code = "blocked"
    template = QT_TRANSLATE_NOOP("errors", "Too many wrong passwords: this account is blocked. "
                                 "Ask a super administrator to unlock it.")


class Duplicate(UserError):
    code = "duplicate"
    template = QT_TRANSLATE_NOOP("errors", "This record already exists.")


class StaleEdit(UserError):
    code = "stale"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "{who} changed this record at {when} after you opened it. Your changes were not "
        "saved; reload to see theirs, then make your edit again.",
    )


class Conflict(UserError):
    """A state rule refused the change (e.g. editing a confirmed order)."""

    code = "conflict"


class DatabaseUnavailable(UserError):
    code = "db_unavailable"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "Cannot reach the database ({detail}). Check the network or the data source in "
        "Settings, then try again. Nothing was changed.",
    )


class TooSlow(UserError):
    """A report the database server stopped at its time limit (services/reports.py):
    the period asked for is too much to count at once, not a fault of the network."""

    code = "too_slow"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "The report took longer than {seconds} seconds and was stopped. Choose a shorter "
        "period or one group, then run it again.",
    )


class TooMany(UserError):
    """A list report whose period holds more rows than one list is allowed (counted before
    any row is read): refused at once rather than after minutes and gigabytes."""

    code = "too_many"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "This period has {n} orders, more than the {limit} one list holds. Choose a shorter "
        "period (a month at a time), then run it again.",
    )


class SheetFull(UserError):
    """An export with more rows than an Excel sheet holds (agent_app/xlsx.py): nothing is
    written, rather than a sheet that silently ends early."""

    code = "sheet_full"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "An Excel sheet holds at most {rows} rows, and this export has more. Nothing was "
        "saved: choose a shorter period or narrower filters.",
    )


class Busy(UserError):
    """A write kept losing races with other writers (lock or cluster certification
    conflicts) through every retry: nothing was saved, and trying again is right."""

    code = "busy"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "The database is busy with other users' changes to the same records. Nothing was "
        "saved; please try again.",
    )


class DiskFull(UserError):
    code = "disk_full"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "The database disk is full. Free some space (or ask the administrator), then try "
        "again. Nothing was changed.",
    )


class SchemaMismatch(UserError):
    code = "schema"
    template = QT_TRANSLATE_NOOP(
        "errors",
        "The database schema ({current}) does not match this program ({head}). {advice}",
    )
    translated_params = ("advice",)
