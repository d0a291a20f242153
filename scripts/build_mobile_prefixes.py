"""Build db/data/mobile_prefixes.csv and db/data/area_codes.csv from phonenumbers' data.

    .venv/bin/python scripts/build_mobile_prefixes.py [--out db/data]

mobile_prefixes.csv (prefix,province,city,area_code,carrier): every mobile number prefix
130-199 that phonenumbers' geocoder can place. The geocoder keys are 7-digit blocks
(1380013 → 北京市) with some shorter ones. Rows are folded (see fold()): a prefix shorter
than 7 digits stands for every block under it that has no longer row. That keeps the file
small (the reference-data seed loads it into every
new database) and the lookup is a longest-prefix match (CustomerService.region_for_phone).

What phonenumbers does not know is simply absent: it has no geocoding at all for 166,
17x except 170/176/177/178, 19x, and only part of 14x; a site that needs those adds rows
(the table is ours, loaded once by db/seed.py and refreshable by re-importing).

area_codes.csv (area_code,province,city): landline area codes from the same geocoder; a
code serving several cities ("辽宁省沈阳市、铁岭市、抚顺市") is named after the first.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
from collections import Counter
from pathlib import Path

from phonenumbers.carrierdata import CARRIER_DATA
from phonenumbers.geodata import GEOCODE_DATA

ROOT = Path(__file__).resolve().parents[1]

# The geocoder writes autonomous regions by their short names; Region rows (and the demo
# data) use the official ones.
SHORT_PROVINCES = {
    "广西": "广西壮族自治区", "内蒙古": "内蒙古自治区", "新疆": "新疆维吾尔自治区",
    "宁夏": "宁夏回族自治区", "西藏": "西藏自治区",
}
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区))(.*)$")


def split_place(zh: str) -> tuple[str, str] | None:
    """'浙江省杭州市' → ('浙江省', '杭州市'); '上海市' → ('上海市', '上海市');
    several cities ('安徽省合肥市、巢湖市') → the first. None when it cannot be split."""
    zh = zh.strip()
    if not zh:
        return None
    for m in MUNICIPALITIES:
        if zh.startswith(m):
            return m, m
    for short, full in SHORT_PROVINCES.items():
        if zh.startswith(short):
            return full, _first_city(zh[len(short):])
    m = _PROVINCE.match(zh)
    if m is None or not m.group(2):
        return None
    return m.group(1), _first_city(m.group(2))


def _first_city(rest: str) -> str:
    return rest.split("、")[0].strip()


def longest(table: dict, key: str, shortest: int) -> dict | None:
    for n in range(len(key), shortest - 1, -1):
        hit = table.get(key[:n])
        if hit is not None:
            return hit
    return None


def build_area_codes() -> dict[str, tuple[str, str]]:
    """area code ('0571') → (province, city). Keys '86' + code without its 0: two digits
    for 010/02x, three for the rest; longer keys are sub-ranges of a code and skipped."""
    out: dict[str, tuple[str, str]] = {}
    for key, names in GEOCODE_DATA.items():
        if not key.startswith("86") or (key.startswith("861") and key != "8610"):
            continue
        code = key[2:]
        if not ((len(code) == 2 and code[0] in "12") or (len(code) == 3 and code[0] in "3456789")):
            continue
        place = split_place(names.get("zh", ""))
        if place:
            out["0" + code] = place
    return dict(sorted(out.items()))


def build_mobile(area_codes: dict[str, tuple[str, str]]) -> list[tuple[str, str, str, str, str]]:
    # city → area code (first seen wins; a few cities share one code with a neighbour)
    city_code: dict[tuple[str, str], str] = {}
    for key, names in GEOCODE_DATA.items():
        if (key.startswith("86") and not key.startswith("861")) or key == "8610":
            code = "0" + key[2:]
            if code not in area_codes:
                continue
            zh = names.get("zh", "")
            province = split_place(zh)
            if province is None:
                continue
            rest = zh[len(province[0]):] if not zh.startswith(MUNICIPALITIES) else zh
            for city in rest.split("、"):
                city_code.setdefault((province[0], city.strip() or province[1]), code)

    # every 7-digit block 1300000-1999999 the geocoder places (longest key wins)
    blocks: dict[str, tuple[str, str, str, str]] = {}
    for n in range(1_300_000, 2_000_000):
        p = str(n)
        names = longest(GEOCODE_DATA, "86" + p, 5)
        if names is None:
            continue
        place = split_place(names.get("zh", ""))
        if place is None:
            continue
        carrier = longest(CARRIER_DATA, "86" + p, 5) or {}
        blocks[p] = (place[0], place[1], city_code.get(place, ""), carrier.get("zh", ""))
    return fold(blocks)


def fold(blocks: dict[str, tuple]) -> list[tuple]:
    """The fewest rows giving every known 7-digit block its value under a longest-prefix
    match: where all ten children of a prefix are known, the prefix takes their commonest
    value and only the children that differ keep rows of their own. A prefix with an
    unknown child is never written, so nothing the geocoder cannot place gets a place."""
    rows: list[tuple] = []
    for top in range(130, 200):
        value, complete, below = _fold(blocks, str(top))
        rows += below
        if complete:
            rows.append((str(top), *value))
    return sorted(rows)


def _fold(blocks: dict[str, tuple], prefix: str) -> tuple[tuple | None, bool, list[tuple]]:
    """(value this prefix stands for, whether every block under it is known, rows below)"""
    if len(prefix) == 7:
        value = blocks.get(prefix)
        return value, value is not None, []
    kids = [(prefix + d, *_fold(blocks, prefix + d)) for d in "0123456789"]
    rows = [r for _p, _v, _c, below in kids for r in below]
    if all(c for _p, _v, c, _b in kids):
        common = Counter(v for _p, v, _c, _b in kids).most_common(1)[0][0]
        rows += [(p, *v) for p, v, _c, _b in kids if v != common]
        return common, True, rows
    rows += [(p, *v) for p, v, c, _b in kids if c]
    return None, False, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "db" / "data")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    areas = build_area_codes()
    with (args.out / "area_codes.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["area_code", "province", "city"])
        w.writerows((code, prov, city) for code, (prov, city) in areas.items())
    rows = build_mobile(areas)
    # gzipped: 4.6 MB of CSV packs to about 0.7 MB (db/seed.py reads either)
    with gzip.open(args.out / "mobile_prefixes.csv.gz", "wt", encoding="utf-8",
                   newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["prefix", "province", "city", "area_code", "carrier"])
        w.writerows(rows)
    print(f"area_codes.csv: {len(areas)} codes; mobile_prefixes.csv.gz: {len(rows)} prefixes",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
