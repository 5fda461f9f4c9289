from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.quiet_hours import QuietHours

MADRID = ZoneInfo("Europe/Madrid")
CANARY = ZoneInfo("Atlantic/Canary")
NIGHT = QuietHours()


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (datetime(2026, 12, 7, 0, 0, tzinfo=MADRID), MADRID, datetime(2026, 12, 7, 9, 0, tzinfo=MADRID)),
        (datetime(2026, 12, 7, 22, 30, tzinfo=MADRID), MADRID, datetime(2026, 12, 8, 9, 0, tzinfo=MADRID)),
        (datetime(2026, 12, 7, 12, 0, tzinfo=MADRID), MADRID, datetime(2026, 12, 7, 12, 0, tzinfo=MADRID)),
        (datetime(2026, 12, 7, 9, 0, tzinfo=MADRID), MADRID, datetime(2026, 12, 7, 9, 0, tzinfo=MADRID)),
        # 08:30 UTC is 09:30 in Madrid but 08:30 in the Canaries: one may send, the other waits.
        (datetime(2026, 12, 7, 8, 30, tzinfo=UTC), MADRID, datetime(2026, 12, 7, 8, 30, tzinfo=UTC)),
        (datetime(2026, 12, 7, 8, 30, tzinfo=UTC), CANARY, datetime(2026, 12, 7, 9, 0, tzinfo=CANARY)),
    ],
)
def test_messages_wait_for_the_morning_in_the_customers_zone(moment, zone, expected) -> None:  # type: ignore[no-untyped-def]
    assert NIGHT.next_allowed(moment, zone) == expected


def test_a_dst_night_still_ends_at_nine_local() -> None:
    spring = NIGHT.next_allowed(datetime(2027, 3, 27, 23, 0, tzinfo=MADRID), MADRID)  # clocks go forward at 02:00
    assert spring == datetime(2027, 3, 28, 9, 0, tzinfo=MADRID) and spring.utcoffset().total_seconds() == 7200
    autumn = NIGHT.next_allowed(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), MADRID)  # the repeated hour
    assert autumn == datetime(2026, 10, 25, 9, 0, tzinfo=MADRID) and autumn.utcoffset().total_seconds() == 3600


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)))
def test_the_time_given_is_never_quiet_and_never_earlier(moment: datetime) -> None:
    for zone in (MADRID, CANARY):
        allowed = NIGHT.next_allowed(moment, zone)
        assert allowed >= moment
        assert not NIGHT.quiet_at(allowed.astimezone(zone).time())
        assert allowed - moment <= timedelta(hours=13)  # a 12-hour night, 13 when the clocks go back


def test_quiet_hours_are_configured_as_text() -> None:
    assert QuietHours.parse("22:00-08:30") == QuietHours(time(22, 0), time(8, 30))
    assert QuietHours.parse("13:00-15:00").quiet_at(time(14, 0))
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        QuietHours.parse("nine to five")
    with pytest.raises(ValueError, match="same time"):
        QuietHours.parse("09:00-09:00")


def test_quiet_hours_can_be_turned_off() -> None:
    off = QuietHours.parse("off")
    assert off == QuietHours.parse(" OFF ") == QuietHours.off()
    moment = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    assert not any(off.quiet_at(time(hour, minute)) for hour in range(24) for minute in (0, 30, 59))
    assert off.next_allowed(moment, ZoneInfo("Europe/Madrid")) == moment
