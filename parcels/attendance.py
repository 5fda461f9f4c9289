"""How fast a shopper who asks for a person is attended, and when their request must be answered: pure
functions of the moments involved and the agents' hours.

The clock to a person starts when the shopper asks, or when agents are next at work if they asked outside
agents' hours (they were told when agents are back); it stops at an agent's first message. A request's
answer is due a number of business days after it was made, in the calendar of the shopper's region.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from parcels.agent_hours import AgentHours
from parcels.deadlines import add_business_days, end_of_day
from parcels.policy import Market


def clock_start(requested_at: datetime, hours: AgentHours) -> datetime:
    """When the wait for a person starts counting: the request, or the next opening after it."""
    opening = hours.next_opening(requested_at)
    return requested_at if opening is None else max(requested_at, opening)


def waited(requested_at: datetime, first_reply_at: datetime | None, now: datetime, hours: AgentHours) -> timedelta:
    """How long the shopper has waited (or waited) for a person, counted from ``clock_start``."""
    end = first_reply_at if first_reply_at is not None else now
    return max(timedelta(0), end - clock_start(requested_at, hours))


def overdue(requested_at: datetime, first_reply_at: datetime | None, now: datetime, hours: AgentHours) -> bool:
    """Still waiting for a person past the time allowed, while agents are at work."""
    if first_reply_at is not None or not hours.is_open(now):
        return False
    return waited(requested_at, None, now, hours) > hours.attend_within


def answer_due(requested_at: datetime, market: Market, postal_code: str | None, business_days: int) -> date:
    """The last day to answer a request made at ``requested_at``: ``business_days`` business days after its
    local date, skipping the holidays of the shopper's region (the market's national ones when we do not know
    where the shopper is)."""
    local = requested_at.astimezone(market.zone_for(postal_code or ""))
    region = market.region_for(postal_code) if postal_code else None
    return add_business_days(local.date(), business_days, market.holiday_country, region)


class ClockStarts:
    """``clock_start`` for many requests at once: the agents' next opening after a closed day, or after a day's
    closing, is worked out once per local day (the dashboard times tens of thousands of requests)."""

    def __init__(self, hours: AgentHours) -> None:
        self._hours = hours
        self._after_day: dict[date, datetime | None] = {}

    def __call__(self, requested_at: datetime) -> datetime:
        day = requested_at.astimezone(self._hours.time_zone).date()
        span = self._hours.day_span(day)
        if span is not None and requested_at < span[1]:
            return max(requested_at, span[0])
        if day not in self._after_day:
            self._after_day[day] = self._hours.next_opening(end_of_day(day, self._hours.time_zone))
        opening = self._after_day[day]
        return requested_at if opening is None else max(requested_at, opening)
