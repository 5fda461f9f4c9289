"""How fast a shopper who asks for a person is attended, and when their request must be answered: pure
functions of the moments involved and the agents' hours.

The clock to a person starts when the shopper asks, or when agents are next at work if they asked outside
agents' hours (they were told when agents are back); it stops at an agent's first message. A request's
answer is due a number of business days after it was made, in the calendar of the shopper's region.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from parcels.agent_hours import AgentHours
from parcels.deadlines import add_business_days, end_of_day
from parcels.policy import Market

QUARTER_HOUR = 900  # seconds


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
    """``clock_start`` for many requests at once, on POSIX seconds (the dashboard times tens of thousands of
    requests): what agents' hours say is worked out once per quarter of an hour of UTC, since local dates and
    their offsets from UTC change only on quarter hours."""

    def __init__(self, hours: AgentHours) -> None:
        self._hours = hours
        self._days: dict[date, tuple[float, float, float | None]] = {}
        self._quarters: dict[int, tuple[float, float, float | None]] = {}

    def __call__(self, requested_at: float) -> tuple[float, bool]:
        """When the wait for a request made at ``requested_at`` starts counting, and whether agents were at work
        when it was made."""
        quarter = int(requested_at // QUARTER_HOUR)
        known = self._quarters.get(quarter)
        if known is None:
            known = self._quarters[quarter] = self._quarter(quarter)
        opens, closes, after_day = known
        if requested_at < opens:
            return opens, False
        if requested_at < closes:
            return requested_at, True
        return (requested_at if after_day is None else max(requested_at, after_day)), False

    def _quarter(self, quarter: int) -> tuple[float, float, float | None]:
        """The local day's opening and closing (both minus infinity on a closed day) and the next opening after it."""
        day = datetime.fromtimestamp(quarter * QUARTER_HOUR, self._hours.time_zone).date()
        if day not in self._days:
            span = self._hours.day_span(day)
            opening = self._hours.next_opening(end_of_day(day, self._hours.time_zone))
            self._days[day] = (
                -math.inf if span is None else span[0].timestamp(),
                -math.inf if span is None else span[1].timestamp(),
                None if opening is None else opening.timestamp(),
            )
        return self._days[day]
