"""When a promise falls due: pure functions, the payment time passed in.

The promised day is counted in the destination's local calendar; the promise holds
until the end of that day in the destination's time zone (Canaries included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
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


def add_business_days(start: date, days: int, country: str, region: str | None) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, country, region):
            remaining -= 1
    return day


def promised_date(paid_on: date, product: Product, market: Market, postal_code: str) -> date:
    lead = product.lead_time
    if lead.unit is LeadTimeUnit.CALENDAR_DAYS:
        return paid_on + timedelta(days=lead.days)
    return add_business_days(paid_on, lead.days, market.holiday_country, market.region_for(postal_code))


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
    deadline = deadline_for(paid_at, product, market, postal_code)
    paid_on = paid_at.astimezone(ZoneInfo(deadline.time_zone)).date()
    region = market.region_for(postal_code)
    skipped: tuple[date, ...] = ()
    if product.lead_time.unit is LeadTimeUnit.BUSINESS_DAYS:
        span = (paid_on + timedelta(days=n) for n in range(1, (deadline.promised_date - paid_on).days + 1))
        skipped = tuple(
            day for day in span if day.weekday() < 5 and not is_business_day(day, market.holiday_country, region)
        )
    return DeadlineBasis(
        paid_on=paid_on,
        days=product.lead_time.days,
        unit=product.lead_time.unit,
        region=region,
        holidays_skipped=skipped,
        promised_date=deadline.promised_date,
        time_zone=deadline.time_zone,
    )
