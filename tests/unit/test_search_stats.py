"""Planning a contains search from token counts (search_stats.plan_contains): which way
each kind of needle goes, and with which tokens."""
from __future__ import annotations

from agent_app.services.search_stats import (
    MAX_WALK_ROWS,
    ContainsPlan,
    count_grams,
    plan_contains,
)

N = 1_000_000


def test_uncounted_database_walks_then_asks_with_every_token():
    assert plan_contains(["ga", "gb"], None, 100) == ContainsPlan(MAX_WALK_ROWS, ("ga", "gb"))


def test_common_needle_walks_a_bounded_stretch():
    # "江苏省": both tokens in one customer in ten; a page is ~1,000 rows of walk,
    # FULLTEXT would read ~100,000 postings and as many rows
    plan = plan_contains(["g江苏", "g苏省"], (N, {"g江苏": 100_000, "g苏省": 98_000}), 100)
    assert 2_000 <= plan.walk_rows <= MAX_WALK_ROWS
    assert plan.grams == ("g苏省",)  # one word: the other token would narrow nothing


def test_rare_street_goes_straight_to_fulltext_with_a_few_telling_tokens():
    # "四平路153号": 四平 is rare; 平路 is the same word (no narrowing); a house-number
    # token narrows 四平's ~5,000 rows to ~100; 3号 is in one address in ten: not read
    grams = ["g四平", "g平路", "g路1", "g15", "g53", "g3号"]
    docs = dict(zip(grams, [4_953, 14_906, 75_901, 19_984, 20_186, 100_114], strict=True))
    plan = plan_contains(grams, (N, docs), 100)
    assert plan.walk_rows == 0
    assert plan.grams[0] == "g四平" and "g平路" not in plan.grams
    assert "g3号" not in plan.grams and 2 <= len(plan.grams) <= 4


def test_token_never_counted_is_taken_as_rare():
    plan = plan_contains(["g新区", "g江苏"], (N, {"g新区": 0, "g江苏": 100_000}), 100)
    assert plan == ContainsPlan(0, ("g新区",))


def test_a_place_name_walks_its_tokens_hold_together():
    # "杨浦区": every 杨浦 is followed by 区, so FULLTEXT would read ~4,000 rows (~240 ms);
    # a page of the walk is ~25,000 rows (~75 ms)
    docs = {"g杨浦": 4_020, "g浦区": 4_020}
    plan = plan_contains(list(docs), (N, docs), 100)
    assert 25_000 <= plan.walk_rows <= MAX_WALK_ROWS and plan.grams == ("g杨浦",)


def test_digits_are_taken_as_nearly_independent():
    # "873": one address in ~800 holds it, though 87 and 73 are each in one in fifty;
    # a walk could not fill a page in its allowance: FULLTEXT with both
    docs = {"g87": 20_133, "g73": 20_130}
    assert plan_contains(list(docs), (N, docs), 100) == ContainsPlan(0, ("g87", "g73"))


def test_a_short_walk_sends_more_tokens_to_fulltext():
    # "楼区北京" reads as one run of letters, but spans two words: if the walk ends
    # short, the needle is rare and FULLTEXT should narrow with more than 楼区
    docs = {"g楼区": 24_907, "g区北": 46_824, "g北京": 96_136}
    plan = plan_contains(list(docs), (N, docs), 100)
    assert plan.walk_rows > 0 and plan.grams == ("g楼区",)
    assert plan.after_walk[:2] == ("g楼区", "g区北")


def test_count_grams_counts_customers_not_occurrences():
    n, counts = count_grams(["ga gb", "gb gc", ""])
    assert n == 3 and counts == {"ga": 1, "gb": 2, "gc": 1}
