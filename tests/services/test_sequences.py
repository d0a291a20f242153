"""The counters behind 登记编号, 单号 and product codes (agent_app/services/sequences.py):
numbers from different lanes never meet, a lane's numbers read back to the lane, a login
always maps to the same lane, and a counter row counts 1, 2, 3 on both back ends."""
from __future__ import annotations

import pytest

from agent_app.services.sequences import (
    LANES,
    lane_number,
    lane_of,
    lane_scope,
    lane_seq,
    next_lane_number,
    next_number,
)


def test_lanes_never_issue_the_same_number():
    issued = [lane_number(seq, lane) for lane in range(LANES) for seq in range(1, 120)]
    assert len(issued) == len(set(issued))
    assert min(issued) == 1                       # no order number 0000
    # the first draws of all lanes are 1..LANES: four digits for a busy day's orders
    assert sorted(lane_number(1, lane) for lane in range(LANES)) == list(range(1, LANES + 1))


@pytest.mark.parametrize("seq, lane", [(1, 0), (1, 99), (2, 0), (7, 42), (100, 1), (101, 99)])
def test_a_number_reads_back_to_its_lane_and_draw(seq, lane):
    n = lane_number(seq, lane)
    assert lane_seq(n) == (seq, lane)
    assert n % LANES == (lane + 1) % LANES


@pytest.mark.parametrize("login, lane", [("1001", 1), ("1002", 2), ("1100", 0), ("0001", 1),
                                         ("4099", 99)])
def test_numeric_logins_spread_by_their_last_digits(login, lane):
    assert lane_of(login) == lane


def test_other_logins_get_a_fixed_lane_in_range():
    lanes = {lane_of(f"agent{i}") for i in range(400)}
    assert all(0 <= x < LANES for x in lanes)
    assert len(lanes) > LANES // 2                      # spread, not one hot lane
    assert lane_of("zhangwei") == lane_of("zhangwei")   # the same every time and machine
    assert lane_of("zhangwei") == 61                    # crc32: not Python's salted hash()


def test_lane_scopes_are_distinct_rows():
    assert lane_scope("261203", 1) == "261203#01" != lane_scope("261203", 10)
    assert lane_scope("", 7) == "#07"


def test_a_counter_counts_and_lanes_do_not_share_a_row(database):
    with database.transaction() as s:
        assert [next_number(s, "t", "a") for _ in range(3)] == [1, 2, 3]
        assert next_number(s, "t", "b") == 1            # another scope starts afresh
        assert next_number(s, "u", "a") == 1            # another counter too
        one = [next_lane_number(s, "order", "261203", "1001") for _ in range(3)]
        other = next_lane_number(s, "order", "261203", "1002")
    assert one == [lane_number(k, 1) for k in (1, 2, 3)] == [2, 102, 202]
    assert other == lane_number(1, 2) == 3
    with database.transaction() as s:                   # committed, and it goes on
        assert next_number(s, "t", "a") == 4
        # each row read back is its own: same scope other counter, same counter other scope
        assert next_number(s, "u", "a") == 2
        assert next_number(s, "t", "b") == 2
        # a new day starts every lane afresh
        assert next_lane_number(s, "order", "261204", "1001") == lane_number(1, 1)
