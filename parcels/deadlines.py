"""When a promise falls due: pure functions, the payment time passed in.

The promised day is counted in the destination's local calendar; the promise holds
until the end of that day in the destination's time zone (Canaries included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

from parcels.policy import LeadTimeUnit, Market, Product


@dataclass(frozen=True, slots=True)
class Deadline:
    promised_date: date
    ends_at: datetime  # exclusive: the first instant after the promised day, aware
    time_zone: str


@cache
def _holiday_calendar(country: str, region: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=region, years=year)


def is_business_day(day: date, country: str, region: str | None) -> bool:
    return day.weekday() < 5 and day not in _holiday_calendar(country, region, day.year)


@lru_cache(maxsize=16384)  # the dashboard dates thousands of claims and requests made on a few hundred days
def add_business_days(start: date, days: int, country: str, region: str | None) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, country, region):
            remaining -= 1
    return day


@lru_cache(maxsize=16384)
def business_days_between(start: date, end: date, country: str, region: str | None) -> int:
    """How many business days come after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_business_day(day, country, region)
    return count


def promised_date(paid_on: date, product: Product, market: Market, postal_code: str) -> date:
    lead = product.lead_time
    return _counted(paid_on, lead.days, lead.unit, market.holiday_country, market.region_for(postal_code))[0]


@lru_cache(maxsize=8192)
def _counted(
    paid_on: date, days: int, unit: LeadTimeUnit, country: str, region: str | None
) -> tuple[date, tuple[date, ...]]:
    """The promised date counted from the local day of payment, and the weekday holidays skipped on the way.
    Kept for the values it is counted from: the notifier decides tens of thousands of promises a pass, and
    their payments fall on a few hundred days."""
    if unit is LeadTimeUnit.CALENDAR_DAYS:
        return paid_on + timedelta(days=days), ()
    day = add_business_days(paid_on, days, country, region)
    span = (paid_on + timedelta(days=n) for n in range(1, (day - paid_on).days + 1))
    return day, tuple(d for d in span if d.weekday() < 5 and not is_business_day(d, country, region))


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after ``day`` in ``zone`` (DST-safe: built from the next local midnight)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def deadline_for(paid_at: datetime, product: Product, market: Market, postal_code: str) -> Deadline:
    if paid_at.tzinfo is None:
        raise ValueError("paid_at must be timezone-aware")
    zone = market.zone_for(postal_code)
    day = promised_date(paid_at.astimezone(zone).date(), product, market, postal_code)
    return Deadline(promised_date=day, ends_at=end_of_day(day, zone), time_zone=zone.key)


@dataclass(frozen=True, slots=True)
class DeadlineBasis:
    """How a promised date was counted, for the shopper: the "why" of the deadline."""

    paid_on: date  # local date of payment in the destination
    days: int
    unit: LeadTimeUnit
    region: str | None
    holidays_skipped: tuple[date, ...]  # weekday holidays not counted as business days
    promised_date: date
    time_zone: str


def explain_deadline(paid_at: datetime, product: Product, market: Market, postal_code: str) -> DeadlineBasis:
    if paid_at.tzinfo is None:
        raise ValueError("paid_at must be timezone-aware")
    zone = market.zone_for(postal_code)
    paid_on = paid_at.astimezone(zone).date()
    region = market.region_for(postal_code)
    lead = product.lead_time
    day, skipped = _counted(paid_on, lead.days, lead.unit, market.holiday_country, region)
    return DeadlineBasis(
        paid_on=paid_on,
        days=lead.days,
        unit=lead.unit,
        region=region,
        holidays_skipped=skipped,
        promised_date=day,
        time_zone=zone.key,
    )
