"""Phone numbers as the users type them → one canonical form for storing and comparing.

Canonical forms: mobile "13812345678"; landline with area code "057188001234";
other numbers digits only. "+86", "0086", spaces, dashes and brackets are dropped.
"""
from __future__ import annotations

import re

_STRIP = re.compile(r"[\s\-()（）.]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise(raw: str | None) -> str:
    if not raw:
        return ""
    s = _STRIP.sub("", raw.strip())
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13 and _MOBILE.match(s[2:]):
        s = s[2:]
    if s.startswith("+"):
        return "+" + re.sub(r"\D", "", s[1:])
    s = re.sub(r"\D", "", s)
    # A mobile dialled with a trunk 0 in front ("013812345678") is still that mobile.
    if len(s) == 12 and s.startswith("01") and _MOBILE.match(s[1:]):
        s = s[1:]
    # A landline given without its leading 0 after +86 ("+86 571 8800 1234").
    if raw.strip().startswith(("+86", "0086")) and not _MOBILE.match(s) and not s.startswith("0"):
        s = "0" + s
    return s


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))


def area_code_candidates(number: str) -> list[str]:
    """Possible area codes of a canonical landline: 3-digit (010, 02x) then 4-digit."""
    if not number.startswith("0") or len(number) < 10:
        return []
    return [number[:3], number[:4]]


# -- masking (PIPL art. 51, GB/T 35273 §7.2) ---------------------------------------------------
MASK = "*"


def mask_phone(number: str | None) -> str:
    """A phone number as a user without 查看完整号码 sees it: 138****5678.

    Long numbers (mobiles, landlines with area code, 10 digits and more) keep the first 3
    and the last 4; 7-9 digits (a local landline) keep 2 and 2; 5-6 digits keep the first
    and the last one. Four digits or fewer (110, an extension) are service numbers, not a
    person's, and stay as they are. At least 3 characters are always hidden in a longer
    number, so the mask never shows most of it. A leading "+" stays; text that is already
    masked is returned unchanged.
    """
    if not number:
        return ""
    if MASK in number:
        return number
    plus, body = ("+", number[1:]) if number.startswith("+") else ("", number)
    n = len(body)
    if n <= 4:
        return number
    head, tail = (3, 4) if n >= 10 else (2, 2) if n >= 7 else (1, 1)
    return plus + body[:head] + MASK * (n - head - tail) + body[n - tail:]


def is_masked(text: str | None) -> bool:
    """Whether a phone field holds a masked number (shown, not typed)."""
    return bool(text) and MASK in text
