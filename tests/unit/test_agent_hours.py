"""Agents' working hours: open, closed, the next opening across nights, weekends, holidays and DST."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from parcels.agent_hours import AgentHours, AgentHoursError, current_agent_hours

MADRID = ZoneInfo("Europe/Madrid")
HOURS = AgentHours.parse(
    {
        "time_zone": "Europe/Madrid",
        "hours": {d: "09:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "10:00-14:00"},
        "closed_days": [date(2026, 12, 25)],
    }
)


@pytest.mark.parametrize(
    ("moment", "is_open", "next_opening"),
    [
        (datetime(2026, 12, 2, 12, tzinfo=MADRID), True, datetime(2026, 12, 2, 12, tzinfo=MADRID)),
        (datetime(2026, 12, 2, 20, tzinfo=MADRID), False, datetime(2026, 12, 3, 9, tzinfo=MADRID)),
        (datetime(2026, 12, 2, 7, tzinfo=MADRID), False, datetime(2026, 12, 2, 9, tzinfo=MADRID)),
        (datetime(2026, 12, 5, 15, tzinfo=MADRID), False, datetime(2026, 12, 7, 9, tzinfo=MADRID)),  # Sat after 14
        (datetime(2026, 12, 24, 21, tzinfo=MADRID), False, datetime(2026, 12, 26, 10, tzinfo=MADRID)),  # Christmas
        (datetime(2027, 3, 27, 23, tzinfo=MADRID), False, datetime(2027, 3, 29, 9, tzinfo=MADRID)),  # DST night
    ],
)
def test_open_and_next_opening(moment: datetime, is_open: bool, next_opening: datetime) -> None:
    assert HOURS.is_open(moment) is is_open
    assert HOURS.next_opening(moment) == next_opening
    assert HOURS.next_opening(moment).utcoffset() == next_opening.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "raw",
    [
        {"hours": {"monday": "09:00-20:00"}},
        {"hours": {"mon": "9-20"}},
        {"hours": {"mon": "20:00-09:00"}},
        {"time_zone": "Mars/Olympus"},
        {"closed_days": ["someday"]},
        ["not", "a", "mapping"],
    ],
)
def test_mistakes_are_named(raw: object) -> None:
    with pytest.raises(AgentHoursError):
        AgentHours.parse(raw)


def test_the_shipped_file_loads() -> None:
    hours = current_agent_hours()
    assert hours.is_open(datetime(2026, 12, 2, 12, tzinfo=MADRID))
    assert not hours.is_open(datetime(2026, 12, 8, 12, tzinfo=MADRID))  # a national holiday
