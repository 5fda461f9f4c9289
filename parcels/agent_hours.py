"""When customer-service agents answer (weekly hours in local time, and closed days), and how fast they must
(``config/agents.yml``)."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

DEFAULT_AGENTS_FILE = Path(__file__).resolve().parent.parent / "config" / "agents.yml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class AgentHoursError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AgentHours:
    time_zone: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday (Monday 0) -> opening, closing
    closed_days: frozenset[date]
    attend_within: timedelta = timedelta(minutes=3)  # from asking for a person to an agent's first message
    answer_within_business_days: int = 15  # a request's or complaint's answer, in the shopper's calendar

    @classmethod
    def parse(cls, raw: object) -> AgentHours:
        if not isinstance(raw, dict):
            raise AgentHoursError("the agents' hours must be a mapping with time_zone, hours and closed_days")
        try:
            zone = ZoneInfo(str(raw.get("time_zone", "Europe/Madrid")))
        except (KeyError, ValueError) as error:
            raise AgentHoursError(f"unknown time_zone {raw.get('time_zone')!r}") from error
        hours: dict[int, tuple[time, time]] = {}
        for day, span in (raw.get("hours") or {}).items():
            if day not in DAYS:
                raise AgentHoursError(f"unknown day {day!r}; use {', '.join(DAYS)}")
            match = _SPAN.match(str(span))
            if not match:
                raise AgentHoursError(f"hours of {day} must look like 09:00-20:00, not {span!r}")
            opens, closes = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
            if closes <= opens:
                raise AgentHoursError(f"hours of {day} close before they open: {span!r}")
            hours[DAYS.index(day)] = (opens, closes)
        closed = raw.get("closed_days") or []
        if not all(isinstance(day, date) for day in closed):
            raise AgentHoursError("closed_days must be dates, e.g. 2026-12-25")
        minutes, days = raw.get("attend_within_minutes", 3), raw.get("answer_within_business_days", 15)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 60:
            raise AgentHoursError("attend_within_minutes must be a whole number of minutes from 1 to 60")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
            raise AgentHoursError("answer_within_business_days must be a whole number of days from 1 to 60")
        return cls(zone, hours, frozenset(closed), timedelta(minutes=minutes), days)

    def day_span(self, day: date) -> tuple[datetime, datetime] | None:
        if day in self.closed_days or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        return (
            datetime.combine(day, opens, tzinfo=self.time_zone),
            datetime.combine(day, closes, tzinfo=self.time_zone),
        )

    def is_open(self, moment: datetime) -> bool:
        span = self.day_span(moment.astimezone(self.time_zone).date())
        return span is not None and span[0] <= moment < span[1]

    def next_opening(self, moment: datetime) -> datetime | None:
        """When agents are next at work from ``moment`` on (``moment`` itself when they are); None: never."""
        local = moment.astimezone(self.time_zone)
        for offset in range(0, 400):
            span = self.day_span(local.date() + timedelta(days=offset))
            if span is not None and moment < span[1]:
                return max(span[0], moment)
        return None


@functools.cache
def load_agent_hours(path: Path | str) -> AgentHours:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AgentHoursError(f"cannot read the agents' hours from {path}: {error}") from error
    return AgentHours.parse(raw)


def current_agent_hours() -> AgentHours:
    """The hours named by ``AGENTS_FILE`` (default ``config/agents.yml``), loaded once."""
    return load_agent_hours(os.environ.get("AGENTS_FILE", DEFAULT_AGENTS_FILE))
