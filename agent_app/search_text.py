"""Derived search columns: pinyin initials of names and bigram tokens for contains search.

MariaDB has no ngram full-text parser and `LIKE '%杭州%'` scans the whole table, so the
contains search (C类查找: address, end-user name and school, remark) goes through tokens
we make ourselves: each overlapping pair of characters becomes a token "g" + pair.
The "g" prefix keeps every token at three characters, InnoDB's default minimum token
size, so a stock MySQL/MariaDB FULLTEXT index accepts them with no server settings.
"""
from __future__ import annotations

import re
from itertools import product

from pypinyin import Style, pinyin

_KEEP = re.compile(r"[\w]", re.UNICODE)
MAX_INITIAL_VARIANTS = 8


def name_initials(name: str) -> str:
    """All pinyin-initial readings of a name, space separated ("曾" → "z c")."""
    name = "".join(ch for ch in name if not ch.isspace())
    if not name:
        return ""
    per_char = pinyin(name, style=Style.FIRST_LETTER, heteronym=True, errors="default")
    choices = [sorted({c[:1].lower() for c in opts if c}) or ["?"] for opts in per_char]
    variants: list[str] = []
    for combo in product(*choices):
        variants.append("".join(combo))
        if len(variants) >= MAX_INITIAL_VARIANTS:
            break
    return " ".join(dict.fromkeys(variants))


def grams(text: str) -> list[str]:
    """Bigram tokens of a text's word characters, lower-cased and de-duplicated."""
    chars = [c.lower() for c in text if _KEEP.match(c)]
    out = dict.fromkeys("g" + chars[i] + chars[i + 1] for i in range(len(chars) - 1))
    if len(chars) == 1:
        out["g" + chars[0] + "_"] = None
    return list(out)


def search_grams(*fields: str) -> str:
    seen: dict[str, None] = {}
    for f in fields:
        for g in grams(f or ""):
            seen[g] = None
    return " ".join(seen)


def query_grams(needle: str) -> list[str]:
    """Tokens a contains-search for `needle` must all match (then verified with LIKE)."""
    return grams(needle)
