"""The clock to a person: it starts when the shopper asks, or when agents are next in if they asked after hours,
stops at an agent's first message, and runs red past the time allowed only while agents are at work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcels.agent_hours import AgentHours, AgentHoursError
from parcels.attendance import ClockStarts, clock_start, overdue, waited

HOURS = AgentHours.parse({"time_zone": "Europe/Madrid", "hours": {"mon": "09:00-20:00", "tue": "09:00-20:00"}})
MONDAY_NOON = datetime(2026, 12, 7, 11, tzinfo=UTC)  # 12:00 in Madrid
SUNDAY_NIGHT = datetime(2026, 12, 6, 22, tzinfo=UTC)  # 23:00 in Madrid: agents are back on Monday at 09:00
MONDAY_OPENING = datetime(2026, 12, 7, 8, tzinfo=UTC)


def test_the_clock_starts_at_the_request_in_hours_and_at_the_opening_after_hours() -> None:
    assert clock_start(MONDAY_NOON, HOURS) == MONDAY_NOON
    assert clock_start(SUNDAY_NIGHT, HOURS) == MONDAY_OPENING
    assert waited(SUNDAY_NIGHT, MONDAY_OPENING + timedelta(seconds=95), MONDAY_OPENING, HOURS) == timedelta(seconds=95)
    assert waited(SUNDAY_NIGHT, None, SUNDAY_NIGHT + timedelta(hours=2), HOURS) == timedelta(0)


def test_a_wait_is_overdue_past_three_minutes_only_while_agents_are_in_and_nobody_has_written() -> None:
    assert not overdue(MONDAY_NOON, None, MONDAY_NOON + timedelta(minutes=3), HOURS)
    assert overdue(MONDAY_NOON, None, MONDAY_NOON + timedelta(minutes=3, seconds=1), HOURS)
    assert not overdue(MONDAY_NOON, MONDAY_NOON + timedelta(minutes=1), MONDAY_NOON + timedelta(minutes=9), HOURS)
    late_evening = datetime(2026, 12, 7, 19, 58, tzinfo=UTC)  # 20:58: agents left at 20:00
    assert not overdue(datetime(2026, 12, 7, 18, 50, tzinfo=UTC), None, late_evening, HOURS)
    assert not overdue(SUNDAY_NIGHT, None, MONDAY_OPENING + timedelta(minutes=2), HOURS)
    assert overdue(SUNDAY_NIGHT, None, MONDAY_OPENING + timedelta(minutes=4), HOURS)


def test_the_law_figures_come_from_the_agents_file_and_are_bounded() -> None:
    assert HOURS.attend_within == timedelta(minutes=3) and HOURS.answer_within_business_days == 15
    assert AgentHours.parse({"attend_within_minutes": 5}).attend_within == timedelta(minutes=5)
    for wrong in ({"attend_within_minutes": 0}, {"attend_within_minutes": "3"}, {"answer_within_business_days": 99}):
        with pytest.raises(AgentHoursError):
            AgentHours.parse(wrong)


@given(minutes=st.lists(st.integers(0, 60 * 24 * 30), min_size=1, max_size=40))
def test_clock_starts_for_many_requests_are_clock_start_for_each(minutes: list[int]) -> None:
    starts = ClockStarts(HOURS)
    for n in minutes:  # a month from Sunday 29 November 2026, in any order, several on one day
        asked = datetime(2026, 11, 29, 7, tzinfo=UTC) + timedelta(minutes=n, seconds=n % 7)
        start, in_hours = starts(asked.timestamp())
        assert start == clock_start(asked, HOURS).timestamp()
        assert in_hours is (start == asked.timestamp() and HOURS.is_open(asked))
