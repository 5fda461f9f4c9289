"""Quiet hours in the customer's own time zone: nothing is sent at night; it waits for the morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time = time(21, 0)  # from this local time...
    end: time = time(9, 0)  # ...until this one, the next morning (or the same day when start < end)

    @classmethod
    def off(cls) -> QuietHours:
        """No quiet hours: sending is allowed at any time (start equal to end is never quiet)."""
        return cls(time(0, 0), time(0, 0))

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"21:00-09:00"``, or ``"off"`` for none; raises ValueError with the reason."""
        if text.strip().lower() == "off":
            return cls.off()
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"quiet hours {text!r}: write them as HH:MM-HH:MM, e.g. 21:00-09:00") from None
        if start == end:
            raise ValueError(f"quiet hours {text!r}: start and end are the same time (write off for none)")
        return cls(start, end)

    def quiet_at(self, local: time) -> bool:
        if self.start > self.end:  # across midnight
            return local >= self.start or local < self.end
        return self.start <= local < self.end

    def next_allowed(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """``moment`` itself when sending is allowed then, else the end of the quiet hours (aware, in ``zone``)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        local = moment.astimezone(zone)
        if not self.quiet_at(local.time()):
            return moment
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        # Built from the wall clock, so a DST change in the night still gives 09:00 local.
        return datetime.combine(day, self.end, tzinfo=zone)
