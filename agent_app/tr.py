"""Translation markers usable without Qt.

The core must not import Qt widgets, and agent-ctid should not need Qt at all, yet the
messages it raises reach users in their language. So the core marks its source strings
with QT_TRANSLATE_NOOP (pyside6-lupdate extracts them by that name) and the UI passes
them through QCoreApplication.translate(context, text) when it shows them.
"""
from __future__ import annotations


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - lupdate's name
    return text
