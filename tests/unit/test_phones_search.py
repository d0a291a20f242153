from __future__ import annotations

import pytest

from agent_app.phones import is_mobile, normalise
from agent_app.search_text import name_initials, query_grams, search_grams


@pytest.mark.parametrize("raw,want", [
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("008613812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("013812345678", "13812345678"),
    ("0571-8800 1234", "057188001234"),
    ("(010)62345678", "01062345678"),
    ("+86 571 8800 1234", "057188001234"),
    ("", ""),
    (None, ""),
])
def test_normalise(raw, want):
    assert normalise(raw) == want


def test_is_mobile():
    assert is_mobile("19912345678") and not is_mobile("057188001234")


def test_initials_cover_heteronyms():
    assert "wjg" in name_initials("王建国").split()
    assert "z" in name_initials("曾").split() and "c" in name_initials("曾").split()
    assert "s" in name_initials("单").split()  # 单 as a surname reads shàn


def test_grams_find_substrings():
    text = search_grams("浙江省杭州市西湖区文三路 88 号")
    assert all(g in text.split() for g in query_grams("杭州市"))
    assert not all(g in text.split() for g in query_grams("宁波"))
