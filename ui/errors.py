"""Turning core errors into text in the user's language (two kinds: known errors and bugs).

Known errors (agent_app.errors.UserError, and driver errors `classify()` recognises)
become a translated sentence; anything else is a bug and goes to the crash dialog.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from agent_app.errors import CONTEXT, UserError
from agent_app.services.base import classify
from ui.dbwatch import report_unavailable


def known_error(exc: BaseException) -> UserError | None:
    known = exc if isinstance(exc, UserError) else classify(exc)
    if not isinstance(known, UserError):
        return None
    report_unavailable(known)  # the status bar and a probe take it from there
    return known


def error_text(exc: UserError) -> str:
    """The message in the user's language, with its parameters filled in."""
    template = QCoreApplication.translate(CONTEXT, exc.template)
    params = {k: QCoreApplication.translate(CONTEXT, v)
              if k in exc.translated_params and isinstance(v, str) else v
              for k, v in exc.params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
