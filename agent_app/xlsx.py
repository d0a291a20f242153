"""Excel cells that stay what they are: the one rule every .xlsx written by the program
follows (the desk's kit, ui/kit/export.py, and the services' own exports).

A text cell starting with = + - @ (or a tab or carriage return, which some programs strip
before they look) is evaluated by Excel, LibreOffice and WPS as a formula: a customer
named `=HYPERLINK("http://x","点此")` would become a live link in the supervisor's sheet.
Such text is written as a string cell (data type "s"), quote-prefixed so that editing it
in Excel keeps it text.
"""
from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def keep_text(cell) -> None:
    """Make an openpyxl cell holding formula-like text a plain string cell."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def text_safe(ws, value):
    """`value` for ws.append() on a write-only sheet: itself, or a string cell when it is
    text Excel would take for a formula."""
    if not (isinstance(value, str) and value.startswith(FORMULA_START)):
        return value
    from openpyxl.cell import WriteOnlyCell  # only exports need it

    c = WriteOnlyCell(ws, value)
    keep_text(c)
    return c
