"""The screen-pop lookup (来电弹屏): everything the agent's screen shows the moment a call
rings — who is calling (0, 1 or several customers own the number), which hotline they
dialled (its ACD group and the medium advertising it), the advert running then (product,
variety) and, for a new caller, the region the number suggests.

Budget: p99 ≤ 50 ms on a 1M-customer MariaDB (tests/perf/bench_pop.py). Every query is a
primary-key or unique-index lookup; the customer, hotline and region questions share one
session (one pooled connection check-out); the placement and the customer's record use
their services' own reads.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from agent_app.phones import mask_phone, normalise
from agent_app.services.archives import ArchiveService
from agent_app.services.base import Actor, db_errors
from agent_app.services.customer_record import CustomerBundle, load_bundle
from agent_app.services.customers import CustomerRecord, CustomerService, _record
from agent_app.services.privacy import sees_full_numbers, shown_all
from db.engine import Database
from db.models import Customer, CustomerPhone, DialedNumber, Medium, Region


@dataclass(frozen=True)
class PopContext:
    caller: str                      # normalised (what a new customer's phone field gets)
    dialed: str
    group: str | None                # the ACD group the hotline rings
    medium_name: str                 # the medium advertising the hotline
    product_name: str                # of the placement running at the call's time
    variety_name: str
    matches: list[CustomerRecord]    # customers owning the number (usually 0 or 1)
    bundle: CustomerBundle | None    # the record, loaded when exactly one matches
    region_id: int | None            # the customer's region, or the number's suggestion
    region_name: str


def pop_context(db: Database, caller: str, dialed: str, at: dt.datetime, *,
                viewer: Actor | None = None) -> PopContext:
    """The lookup runs on the real number; what comes back (the matches, the record, the
    caller) is masked for a `viewer` without 查看完整号码."""
    if at.tzinfo is None:
        raise ValueError("pop_context needs an aware datetime")
    phone = normalise(caller)
    dialed = (dialed or "").strip()
    group = medium_id = None
    medium_name = ""
    region_id: int | None = None
    region_name = ""
    with db_errors(), db.reading() as s:
        matches: list[CustomerRecord] = []
        if phone:
            # the phones relationship loads eagerly by default; the pop does not need it
            matches = [_record(c) for c in s.scalars(
                select(Customer).join(CustomerPhone).where(CustomerPhone.phone == phone)
                .options(lazyload(Customer.phones)).order_by(Customer.id))]
        if dialed:
            hit = s.execute(select(DialedNumber.group_number, DialedNumber.medium_id, Medium.name)
                            .outerjoin(Medium, Medium.id == DialedNumber.medium_id)
                            .where(DialedNumber.digits == dialed)).first()
            if hit is not None:
                group, medium_id, medium_name = hit[0], hit[1], hit[2] or ""
        if not matches and phone:
            region_id = CustomerService.region_in_session(s, phone)
            if region_id is not None:
                region_name = s.scalar(select(Region.name).where(Region.id == region_id)) or ""
    placement = ArchiveService(db).placement_at(at, medium_id=medium_id) if medium_id else None
    bundle = None
    if len(matches) == 1:
        bundle = load_bundle(db, matches[0].id, viewer=viewer)
        region_id, region_name = bundle.customer.region_id, bundle.region_name
    return PopContext(
        caller=phone if sees_full_numbers(viewer) else mask_phone(phone), dialed=dialed,
        group=group, medium_name=medium_name,
        product_name=placement.product if placement else "",
        variety_name=placement.variety if placement else "",
        matches=shown_all(viewer, matches), bundle=bundle, region_id=region_id,
        region_name=region_name)
