"""Token counts for planning the contains search (search_gram_stat).

`refresh` counts, for every bigram token, how many customers' search_grams hold it; the
contains search reads a needle's counts (`gram_docs`) to choose between a walk down the
newest rows and the FULLTEXT index, and which tokens to give FULLTEXT. Run it from
`agent-admin search-stats` after a large import and then nightly; the demo loader counts
its own rows. It reads the table in id batches and replaces the counts in one short
transaction, so searches never see half a table and registrations are never held up.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from agent_app.services.base import db_errors, writes
from db.engine import Database
from db.models import Customer, SearchGramStat

TOTAL = ""  # the row that holds the number of customers counted
BATCH = 20_000


def count_grams(search_grams: Iterable[str]) -> tuple[int, Counter]:
    """(number of customers, customers per token) from their search_grams strings."""
    counts: Counter = Counter()
    n = 0
    for grams in search_grams:
        n += 1
        counts.update(grams.split())  # a customer's tokens are already distinct
    return n, counts


@writes
def store(db: Database, customers: int, counts: Counter) -> int:
    """Replace the counts; returns the number of tokens stored."""
    rows = [{"gram": g, "docs": n} for g, n in counts.items() if g and len(g) <= 8]
    with db_errors(), db.transaction() as s:
        s.execute(delete(SearchGramStat))
        s.execute(insert(SearchGramStat), [{"gram": TOTAL, "docs": customers}])
        for i in range(0, len(rows), BATCH):
            s.execute(insert(SearchGramStat), rows[i:i + BATCH])
    return len(rows)


def refresh(db: Database) -> tuple[int, int]:
    """Count every customer's tokens; returns (customers, tokens)."""
    def batches():
        last = 0
        while True:
            with db_errors(), db.reading() as s:
                rows = s.execute(select(Customer.id, Customer.search_grams)
                                 .where(Customer.id > last).order_by(Customer.id)
                                 .limit(BATCH)).all()
            if not rows:
                return
            last = rows[-1][0]
            yield from (g for _id, g in rows)
    customers, counts = count_grams(batches())
    return customers, store(db, customers, counts)


def gram_docs(session, grams: list[str]) -> tuple[int, dict[str, int]] | None:
    """(customers counted, docs per token; 0 for a token never counted), or None when
    the counts were never made (the search then plans without them)."""
    found = dict(session.execute(select(SearchGramStat.gram, SearchGramStat.docs)
                                 .where(SearchGramStat.gram.in_([TOTAL, *grams]))).all())
    total = found.pop(TOTAL, None)
    if not total:
        return None
    return total, {g: found.get(g, 0) for g in grams}


# -- planning a contains search ---------------------------------------------------------
# Costs in microseconds, read off a million customers with a cold 128 MB buffer pool
# (tests/perf/bench_sales_query.py): a walk reads ~3 µs a row down the registered_at
# index; FULLTEXT reads its tokens' postings at ~1 µs each, then ~60 µs a matching row
# (a random read of the row, to confirm with LIKE and sort).
WALK_US_PER_ROW = 3
FT_US_PER_POSTING = 1
FT_US_PER_ROW = 60
FT_MAX_GRAMS = 4
MIN_WALK_ROWS = 2_000
MAX_WALK_ROWS = 50_000  # past this, FULLTEXT is the better bet whatever the counts say
# Digits overlapping in a needle ("873": 87, 73) are nearly independent (house numbers):
# 0.7 estimated the bench's "873", "63号" and "平路7" better than a square root did
TIED = 0.7


@dataclass(frozen=True)
class ContainsPlan:
    walk_rows: int        # walk this many newest rows first (0: go straight to FULLTEXT)
    grams: tuple[str, ...]  # FULLTEXT with these tokens, and LIKE to confirm
    after_walk: tuple[str, ...] = ()  # the tokens when a walk ended short (else grams)


def _share(positions: list[int], shares: list[float], segment: list[int]) -> float:
    """The share of customers expected to hold all these tokens (needle positions),
    taken left to right, each as likely given those before as follows:
    - in the same run of letters (温州市瓯: a place's name, one word or a city and its
      district): they come together, so only a rarer one narrows (the run's min);
    - next to a token across a digit (路 then 7, 87 then 73): partly tied (share ** TIED);
    - otherwise (四平 … 15): independent, its own share."""
    p, low, prev = 1.0, 1.0, None
    for i in sorted(positions):
        if prev is not None and segment[i] == segment[prev]:
            if low:
                p *= min(low, shares[i]) / low
            low = min(low, shares[i])
            continue
        p *= shares[i] ** TIED if prev is not None and i == prev + 1 else shares[i]
        low, prev = shares[i], i
    return p


def plan_contains(grams: list[str], stats: tuple[int, dict[str, int]] | None,
                  page_size: int) -> ContainsPlan:
    """Walk or FULLTEXT, and which tokens, from the needle's tokens (in needle order)
    and their counts.

    FULLTEXT gets the rarest token, then each further one whose postings cost less than
    the row reads it is expected to save (see _share): LIKE confirms the needle anyway.
    A walk needs about page_size / (the needle's expected share) rows; it is chosen
    when that costs less than FULLTEXT would, and goes on until it has spent about what
    FULLTEXT would cost (a needle rarer than expected then costs at most about twice the
    better plan). A walk that ends short has shown the needle rarer than its letters
    promised (楼区北京 spans two words), so FULLTEXT then takes its tokens as only
    partly tied and reads more of them."""
    grams = list(dict.fromkeys(grams))
    if stats is None:  # never counted: walk the whole allowance, then every token
        return ContainsPlan(MAX_WALK_ROWS, tuple(grams))
    total, docs = stats
    counts = [docs.get(g, 0) for g in grams]
    shares = [n / total for n in counts]
    # tokens are "g" + two characters; neighbours share one ("g杨浦", "g浦区"), and
    # neighbours of letters only are one run of letters
    segment = [0]
    for a, b in zip(grams, grams[1:], strict=False):
        letters = a[2:] == b[1:2] and not any(c.isdigit() for c in a[1:] + b[1:])
        segment.append(segment[-1] if letters else segment[-1] + 1)

    def cost(chosen: list[int], segment: list[int]) -> float:
        return (FT_US_PER_POSTING * sum(counts[i] for i in chosen)
                + FT_US_PER_ROW * total * _share(chosen, shares, segment))

    def pick(segment: list[int]) -> tuple[list[int], tuple[str, ...]]:
        ranked = sorted(range(len(grams)), key=counts.__getitem__)
        chosen = ranked[:1]
        for i in ranked[1:]:
            if len(chosen) == FT_MAX_GRAMS:
                break
            if cost([*chosen, i], segment) < cost(chosen, segment):
                chosen.append(i)
        return chosen, tuple(grams[i] for i in sorted(chosen))
    chosen, ft_grams = pick(segment)
    needle = _share(list(range(len(grams))), shares, segment)
    if needle == 0:  # a token no counted customer has: FULLTEXT finds its few rows
        return ContainsPlan(0, ft_grams)
    walk_rows = (page_size + 1) / needle
    ft_cost = cost(chosen, segment)
    if walk_rows > MAX_WALK_ROWS or WALK_US_PER_ROW * walk_rows >= ft_cost:
        return ContainsPlan(0, ft_grams)
    cap = max(walk_rows * 2, ft_cost / WALK_US_PER_ROW, MIN_WALK_ROWS)
    _, after_walk = pick(list(range(len(grams))))
    return ContainsPlan(int(min(cap, MAX_WALK_ROWS)), ft_grams, after_walk)
