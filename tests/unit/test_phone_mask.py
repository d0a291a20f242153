"""mask_phone: what a user without 查看完整号码 sees of a number."""
from __future__ import annotations

import pytest

from agent_app.phones import is_masked, mask_phone


@pytest.mark.parametrize("raw,want", [
    ("13812345678", "138****5678"),          # a mobile: first 3, last 4
    ("057188001234", "057*****1234"),        # a landline with its area code
    ("01062345678", "010****5678"),
    ("0101234567", "010***4567"),            # 10 digits: still 3 + 4, 3 hidden
    ("88001234", "88****34"),                # a local landline: 2 + 2
    ("8800123", "88***23"),
    ("95555", "9***5"),                      # a short service number: first and last
    ("123456", "1****6"),
    ("8001", "8001"),                        # an extension or 110: not a person's number
    ("110", "110"),
    ("+441234567890", "+441*****7890"),      # the plus stays
    ("", ""),
    (None, ""),
])
def test_mask_phone(raw, want):
    assert mask_phone(raw) == want


def test_mask_is_idempotent_and_recognised():
    once = mask_phone("13812345678")
    assert mask_phone(once) == once
    assert is_masked(once) and not is_masked("13812345678") and not is_masked("")


@pytest.mark.parametrize("n", range(5, 21))
def test_mask_hides_at_least_three_and_keeps_length(n):
    number = "1" + "2" * (n - 1)
    masked = mask_phone(number)
    assert len(masked) == n
    assert masked.count("*") >= 3
