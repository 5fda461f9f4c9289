from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from parcels.deadlines import add_business_days, deadline_for, is_business_day
from parcels.policy import current_policy

POLICY = current_policy()
SPAIN = POLICY.markets["ES"]
MADRID = ZoneInfo("Europe/Madrid")


def test_calendar_days_end_at_local_midnight() -> None:
    paid = datetime(2026, 11, 27, 10, tzinfo=UTC)
    deadline = deadline_for(paid, POLICY.products["CHOICE_9"], SPAIN, "28013")
    assert deadline.promised_date == date(2026, 12, 6)
    assert deadline.ends_at == datetime(2026, 12, 7, tzinfo=MADRID)
    assert deadline.ends_at.astimezone(UTC) == datetime(2026, 12, 6, 23, tzinfo=UTC)


def test_the_promised_day_is_counted_from_the_local_payment_date() -> None:
    # 23:30 UTC on 30 November is already 1 December in Madrid, but not in the Canaries.
    paid = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert deadline_for(paid, POLICY.products["CHOICE_9"], SPAIN, "28013").promised_date == date(2026, 12, 10)
    assert deadline_for(paid, POLICY.products["CHOICE_9"], SPAIN, "35001").promised_date == date(2026, 12, 9)


def test_canaries_end_an_hour_later_than_the_mainland() -> None:
    paid = datetime(2026, 11, 27, 10, tzinfo=UTC)
    mainland = deadline_for(paid, POLICY.products["CHOICE_9"], SPAIN, "28013")
    canaries = deadline_for(paid, POLICY.products["CHOICE_9"], SPAIN, "38001")
    assert canaries.ends_at - mainland.ends_at == timedelta(hours=1)
    assert canaries.time_zone == "Atlantic/Canary"


def test_business_days_skip_weekends_and_national_and_regional_holidays() -> None:
    # Madrid: 7 and 8 December 2026 are holidays (Constitution Day moved, Immaculate Conception).
    assert not is_business_day(date(2026, 12, 7), "ES", "MD")
    assert not is_business_day(date(2026, 12, 5), "ES", "MD")
    assert add_business_days(date(2026, 12, 4), 1, "ES", "MD") == date(2026, 12, 9)
    # 1 May is national; 2-3 May 2026 are a weekend.
    assert add_business_days(date(2026, 4, 30), 1, "ES", "MD") == date(2026, 5, 4)
    # Sant Esteve (26 December) is a holiday in Catalonia and not in Madrid.
    assert not is_business_day(date(2025, 12, 26), "ES", "CT")
    assert is_business_day(date(2025, 12, 26), "ES", "MD")


def test_business_day_promises_use_the_destination_region() -> None:
    paid = datetime(2025, 12, 23, 9, tzinfo=UTC)
    madrid = deadline_for(paid, POLICY.products["PREMIUM"], SPAIN, "28013")
    barcelona = deadline_for(paid, POLICY.products["PREMIUM"], SPAIN, "08001")
    assert barcelona.promised_date > madrid.promised_date


def test_end_of_day_is_right_across_daylight_saving_changes() -> None:
    # The promised day is 25 October 2026, the night clocks go back: the day has 25 hours.
    paid = datetime(2026, 10, 16, 12, tzinfo=UTC)
    deadline = deadline_for(paid, POLICY.products["CHOICE_9"], SPAIN, "28013")
    assert deadline.promised_date == date(2026, 10, 25)
    assert deadline.ends_at.astimezone(UTC) == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_year_end() -> None:
    paid = datetime(2026, 12, 28, 12, tzinfo=UTC)
    deadline = deadline_for(paid, POLICY.products["PREMIUM"], SPAIN, "28013")
    # 1 and 6 January are holidays; 2-3 and 9-10 January 2027 are weekends.
    assert deadline.promised_date == date(2027, 1, 5)


def test_naive_payment_times_are_refused() -> None:
    with pytest.raises(ValueError):
        deadline_for(datetime(2026, 1, 1), POLICY.products["CHOICE_9"], SPAIN, "28013")
