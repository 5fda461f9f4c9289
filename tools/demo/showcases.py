"""The showcase: fixed shipments, one per outcome, (re)written relative to ``now`` with the same numbers.

They keep ``LP0000000000xxxx`` and ``RR...CN`` numbers, outside every seed's bulk range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select

from parcels.deadlines import deadline_for
from parcels.policy import current_policy
from parcels.stages import event_codes
from parcels.storage import queries
from parcels.storage.db import session_scope
from parcels.storage.models import Customer, Shipment, TrackingEvent
from parcels.tracking_numbers import make_s10
from tools.demo.paths import (
    AT_DEST,
    AT_EXPORT,
    AT_HUB,
    AT_ORIGIN,
    AT_SORT,
    AWAITING,
    DELIVERED_LATE,
    FAILED,
    HELD,
    LATE,
    ON_TIME,
    ON_TRACK,
    PICKUP,
    RETURNED,
)
from tools.demo.places import HONG_KONG, HUBS, ORIGINS


@dataclass(frozen=True, slots=True)
class Showcase:
    tracking_number: str
    outcome: str  # a parcels.status.Progress value: what the assistant should say about it now
    description: str


SHOWCASE_CUSTOMER = {
    "name": "Lucía Martín Navarro",
    "phone": "+34600000042",
    "email": "lucia.martin@example.com",
    "locale": "es",
}

_CN_TRUNK = (
    ("PU_PICKUP_SUCCESS", AT_ORIGIN, 18),
    ("GWMS_OUTBOUND", AT_ORIGIN, 30),
    ("SC_INBOUND_SUCCESS", AT_ORIGIN, 38),
    ("CC_EX_START", AT_EXPORT, 50),
    ("CC_EX_SUCCESS", AT_EXPORT, 60),
    ("LH_DEPART", AT_EXPORT, 72),
    ("LH_ARRIVE", AT_HUB, 90),
    ("CC_IM_START", AT_HUB, 100),
    ("CC_IM_SUCCESS", AT_HUB, 112),
    ("GTMS_ACCEPT", AT_SORT, 122),
    ("GTMS_SC_DEPART", AT_SORT, 134),
    ("GTMS_DO_ARRIVE", AT_DEST, 150),
)


def _trunk_until(code: str, hours: dict[str, int] | None = None) -> list[tuple[str, int, float]]:
    out: list[tuple[str, int, float]] = []
    for c, slot, h in _CN_TRUNK:
        out.append((c, slot, (hours or {}).get(c, h)))
        if c == code:
            break
    return out


# number, outcome, description, product, postal code, city, paid hours before now, [(code, slot, hours after paid)]
_SHOWCASE: tuple[tuple[str, str, str, str, str, str, float, list[tuple[str, int, float]]], ...] = (
    (
        "LP00000000000001",
        ON_TRACK,
        "in transit (left China), promise not yet due",
        "CHOICE_9",
        "28013",
        "Madrid",
        80,
        _trunk_until("LH_DEPART"),
    ),
    (
        "LP00000000000002",
        LATE,
        "still in transit, promised date already passed",
        "CHOICE_9",
        "08013",
        "Barcelona",
        312,
        _trunk_until(
            "GTMS_SC_DEPART",
            {
                "LH_DEPART": 96,
                "LH_ARRIVE": 130,
                "CC_IM_START": 150,
                "CC_IM_SUCCESS": 200,
                "GTMS_ACCEPT": 220,
                "GTMS_SC_DEPART": 260,
            },
        ),
    ),
    (
        "LP00000000000003",
        HELD,
        "held by import customs, documents requested from the buyer",
        "CHOICE_9",
        "28013",
        "Madrid",
        144,
        [*_trunk_until("CC_IM_START"), ("CC_IM_HOLD", AT_HUB, 110)],
    ),
    (
        "LP00000000000004",
        FAILED,
        "delivery attempted a few hours ago, nobody at home",
        "CHOICE_9",
        "28013",
        "Madrid",
        168,
        [*_trunk_until("GTMS_DO_ARRIVE"), ("GTMS_DELIVERING", AT_DEST, 158), ("GTMS_DELIVERY_FAILED", AT_DEST, 163)],
    ),
    (
        "LP00000000000005",
        AWAITING,
        "paid two hours ago, not yet collected from the seller",
        "PREMIUM",
        "46001",
        "València",
        2,
        [],
    ),
    (
        make_s10("RR", 1, "CN"),
        ON_TIME,
        "delivered before the promised date (postal S10 number, Canaries)",
        "CHOICE_9",
        "35002",
        "Las Palmas de Gran Canaria",
        240,
        [
            ("EMA", AT_ORIGIN, 20),
            ("EMB", AT_ORIGIN, 36),
            ("EXA", AT_EXPORT, 50),
            ("EXC", AT_EXPORT, 62),
            ("EMC", AT_EXPORT, 74),
            ("EMD", AT_HUB, 92),
            ("EDC", AT_HUB, 110),
            ("EMF", AT_HUB, 122),
            ("EMG", AT_DEST, 150),
            ("EDG", AT_DEST, 160),
            ("EMI", AT_DEST, 166),
        ],
    ),
    (
        "LP00000000000006",
        DELIVERED_LATE,
        "delivered after the promised date: compensation is owed",
        "CHOICE_9",
        "28013",
        "Madrid",
        480,
        [
            *_trunk_until(
                "GTMS_DO_ARRIVE",
                {
                    "LH_DEPART": 100,
                    "LH_ARRIVE": 140,
                    "CC_IM_START": 160,
                    "CC_IM_SUCCESS": 200,
                    "GTMS_ACCEPT": 215,
                    "GTMS_SC_DEPART": 230,
                    "GTMS_DO_ARRIVE": 245,
                },
            ),
            ("GTMS_DELIVERING", AT_DEST, 255),
            ("GTMS_SIGNED", AT_DEST, 264),
        ],
    ),
    (
        "LP00000000000007",
        PICKUP,
        "waiting at a pick-up point (a station signed, not the customer)",
        "CHOICE_9",
        "08013",
        "Barcelona",
        192,
        [*_trunk_until("GTMS_DO_ARRIVE"), ("GTMS_STA_SIGNED", AT_DEST, 170)],
    ),
    (
        "LP00000000000008",
        RETURNED,
        "not collected from the pick-up point, returned to the sender",
        "STANDARD",
        "28013",
        "Madrid",
        960,
        [
            *_trunk_until("GTMS_DO_ARRIVE"),
            ("GTMS_DELIVERING", AT_DEST, 160),
            ("GTMS_DELIVERY_FAILED", AT_DEST, 165),
            ("GTMS_STA_SIGNED", AT_DEST, 190),
            ("GTMS_RETURNED_UNCLAIMED", AT_DEST, 550),
        ],
    ),
    (
        "LP00000000000009",
        DELIVERED_LATE,
        "Standard product delivered late: compensation to claim (postal code 41004)",
        "STANDARD",
        "41004",
        "Sevilla",
        840,
        [
            *_trunk_until(
                "GTMS_DO_ARRIVE",
                {
                    "LH_DEPART": 150,
                    "LH_ARRIVE": 260,
                    "CC_IM_START": 300,
                    "CC_IM_SUCCESS": 420,
                    "GTMS_ACCEPT": 470,
                    "GTMS_SC_DEPART": 520,
                    "GTMS_DO_ARRIVE": 600,
                },
            ),
            ("GTMS_DELIVERING", AT_DEST, 640),
            ("GTMS_SIGNED", AT_DEST, 650),
        ],
    ),
    (
        "LP00000000000010",
        LATE,
        "late, but the address was wrong before the promised date: no compensation",
        "CHOICE_9",
        "29001",
        "Málaga",
        300,
        [*_trunk_until("GTMS_SC_DEPART"), ("GTMS_ADDRESS_ISSUE", AT_SORT, 150)],
    ),
    (
        "LP00000000000011",
        ON_TRACK,
        "not yet due, but still flying with too few days left: at risk",
        "CHOICE_9",
        "28013",
        "Madrid",
        170,
        _trunk_until("LH_DEPART", {"CC_EX_START": 80, "CC_EX_SUCCESS": 95, "LH_DEPART": 110}),
    ),
)
SHOWCASE_NUMBERS = tuple(spec[0] for spec in _SHOWCASE)


def showcase(now: datetime, engine: Engine | None = None) -> list[Showcase]:
    """(Re)write the showcase shipments relative to ``now``: one per outcome, same numbers every time."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    policy = current_policy()
    codes = event_codes()
    result = []
    with session_scope(engine) as session:
        old = select(Shipment.id).where(Shipment.tracking_number.in_(SHOWCASE_NUMBERS))
        session.execute(delete(TrackingEvent).where(TrackingEvent.shipment_id.in_(old)))
        session.execute(delete(Shipment).where(Shipment.tracking_number.in_(SHOWCASE_NUMBERS)))
        customer = session.scalars(
            select(Customer).where(Customer.phone == SHOWCASE_CUSTOMER["phone"]).order_by(Customer.id).limit(1)
        ).first()
        if customer is None:
            customer = Customer(**SHOWCASE_CUSTOMER, created_at=now - timedelta(days=400))
            session.add(customer)
        shipments = []
        for number, outcome, description, product_code, postal_code, city, paid_hours, steps in _SHOWCASE:
            if product_code not in policy.products:
                product_code = next(iter(policy.products))
            product = policy.products[product_code]
            market = policy.markets[product.market]
            paid_at = now - timedelta(hours=paid_hours)
            deadline = deadline_for(paid_at, product, market, postal_code)
            shipment = Shipment(
                tracking_number=number,
                order_ref=f"SHOWCASE-{number}",
                customer=customer,
                product_code=product_code,
                market_code=market.code,
                origin_country="CN",
                destination_postal_code=postal_code,
                destination_city=city,
                paid_at=paid_at,
                promised_date=deadline.promised_date,
                deadline_at=deadline.ends_at,
                created_at=paid_at + timedelta(minutes=3),
            )
            session.add(shipment)
            hub = HUBS[0] if city != "Barcelona" else HUBS[1]
            places = (ORIGINS[0], HONG_KONG, hub[0], hub[1], f"{city}, ES", HONG_KONG)
            for n, (code, slot, hours) in enumerate(steps, start=1):
                known = codes[code]
                occurred = paid_at + timedelta(hours=hours)
                session.add(
                    TrackingEvent(
                        event_id=f"showcase-{number}-{n:02d}",
                        shipment=shipment,
                        code=code,
                        stage=int(known.stage),
                        kind=str(known.kind),
                        occurred_at=occurred,
                        location=places[slot],
                        received_at=min(occurred + timedelta(minutes=4), now),
                    )
                )
            shipments.append(shipment)
            result.append(Showcase(number, outcome, description))
        session.flush()
        queries.refresh_progress(session, [s.id for s in shipments], now)
    return result
