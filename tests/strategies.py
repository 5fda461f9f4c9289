"""Shipments and tracking histories for the property tests: any product, province, payment time and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from parcels.deadlines import deadline_for
from parcels.policy import LeadTimeUnit, Policy, current_policy
from parcels.stages import event_codes, lookup
from parcels.status import Event, ShipmentFacts

POLICY = current_policy()
MAINLAND, CANARIES = "28013", "35002"
# CHOICE_9 paid on Friday 27 November 2026: promised for Sunday 6 December.
PAID = datetime(2026, 11, 27, 10, tzinfo=UTC)


def facts(
    paid_at: datetime = PAID, product: str = "CHOICE_9", postal_code: str = MAINLAND, policy: Policy = POLICY
) -> ShipmentFacts:
    """A shipment as the order intake stores it: the deadline counted by the policy."""
    product_ = policy.products[product]
    deadline = deadline_for(paid_at, product_, policy.markets[product_.market], postal_code)
    return ShipmentFacts(
        tracking_number="LP00012345678901",
        product_code=product,
        market_code=product_.market,
        destination_postal_code=postal_code,
        destination_city=None,
        paid_at=paid_at,
        promised_date=deadline.promised_date,
        deadline_at=deadline.ends_at,
        time_zone=deadline.time_zone,
    )


def event(code: str, at: datetime, n: int = 0, location: str | None = None) -> Event:
    known = lookup(code)
    return Event(f"e{n}-{code}", known.code, known.stage, known.kind, at, location, known.cause)


PROVINCES = [f"{n:02d}" for n in range(1, 53)]
POSTAL_CODES = st.builds(
    lambda province, rest: f"{province}{rest:03d}", st.sampled_from(PROVINCES), st.integers(0, 999)
)
PRODUCTS = st.sampled_from(sorted(POLICY.products))
BUSINESS_DAY_PRODUCTS = sorted(
    code for code, product in POLICY.products.items() if product.lead_time.unit is LeadTimeUnit.BUSINESS_DAYS
)
PAYMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31, 23, 59), timezones=st.just(UTC)
)
# Payments close to the one declared force-majeure period (Valencia, autumn 2024), so that it shows up.
NEAR_DANA = st.datetimes(min_value=datetime(2024, 10, 1), max_value=datetime(2024, 11, 30), timezones=st.just(UTC))
CODES = sorted(event_codes())
HOUR = 60  # minutes
DAY = 24 * HOUR

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def shipments(draw: st.DrawFn) -> ShipmentFacts:
    paid = draw(st.one_of(PAYMENTS, NEAR_DANA))
    postal_code = draw(st.one_of(POSTAL_CODES, st.sampled_from([MAINLAND, CANARIES, "46001", "38001"])))
    return facts(paid, product=draw(PRODUCTS), postal_code=postal_code)


@st.composite
def histories(draw: st.DrawFn, shipment: ShipmentFacts, max_size: int = 8) -> list[Event]:
    """Any events (any codes, any order of arrival, with or without a place) within 40 days of the payment."""
    offsets = draw(st.lists(st.integers(0, 40 * DAY), max_size=max_size))
    places = st.none() | st.sampled_from(["Shenzhen, CN", "Madrid-Barajas, ES", "Santa Cruz de Tenerife, ES"])
    return [
        event(draw(st.sampled_from(CODES)), shipment.paid_at + timedelta(minutes=offset), n, draw(places))
        for n, offset in enumerate(offsets)
    ]
