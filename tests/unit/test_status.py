from datetime import UTC, date, datetime, timedelta

from parcels.stages import EventKind, Stage, lookup
from parcels.status import Event, Progress, ShipmentFacts, summarize

DEADLINE = datetime(2026, 12, 6, 23, tzinfo=UTC)  # end of 6 December in Madrid
FACTS = ShipmentFacts(
    tracking_number="LP00012345678901",
    product_code="CHOICE_9",
    market_code="ES",
    destination_postal_code="28013",
    destination_city="Madrid",
    paid_at=datetime(2026, 11, 27, 10, tzinfo=UTC),
    promised_date=date(2026, 12, 6),
    deadline_at=DEADLINE,
    time_zone="Europe/Madrid",
)


def event(code: str, at: datetime, n: int = 0) -> Event:
    known = lookup(code)
    return Event(f"e{n}-{code}", known.code, known.stage, known.kind, at, "Madrid, ES")


def at(days: float) -> datetime:
    return FACTS.paid_at + timedelta(days=days)


def test_no_events_yet() -> None:
    status = summarize(FACTS, [], at(1))
    assert status.progress is Progress.AWAITING_COLLECTION
    assert status.stage is None and status.on_time


def test_in_transit_before_and_after_the_deadline() -> None:
    events = [event("EMA", at(1)), event("EMC", at(3))]
    assert summarize(FACTS, events, at(4)).progress is Progress.ON_TRACK
    late = summarize(FACTS, events, DEADLINE)
    assert late.progress is Progress.LATE and not late.on_time and late.deadline_passed


def test_events_are_put_in_order_by_their_own_time() -> None:
    events = [event("EDD", at(6), 3), event("EMA", at(1), 1), event("EMC", at(3), 2)]
    status = summarize(FACTS, events, at(7))
    assert status.stage is Stage.DESTINATION_SORTING
    assert status.last_event is not None and status.last_event.code == "EDD"


def test_delivery_on_the_last_minute_keeps_the_promise() -> None:
    events = [event("EMA", at(1)), event("EMI", DEADLINE - timedelta(seconds=1))]
    status = summarize(FACTS, events, at(20))
    assert status.progress is Progress.DELIVERED_ON_TIME


def test_delivery_after_the_deadline_is_late() -> None:
    events = [event("EMA", at(1)), event("GTMS_SIGNED", DEADLINE)]
    assert summarize(FACTS, events, at(20)).progress is Progress.DELIVERED_LATE


def test_an_attempt_before_the_deadline_keeps_the_promise_even_if_delivered_later() -> None:
    events = [event("EMH", DEADLINE - timedelta(hours=5), 1), event("EMI", DEADLINE + timedelta(days=2), 2)]
    status = summarize(FACTS, events, at(20))
    assert status.progress is Progress.DELIVERED_ON_TIME
    assert status.first_attempt_at == DEADLINE - timedelta(hours=5)


def test_failed_attempt_customs_hold_pickup_point_and_return() -> None:
    assert summarize(FACTS, [event("EMH", at(8))], at(8.5)).progress is Progress.DELIVERY_FAILED
    assert summarize(FACTS, [event("CC_IM_HOLD", at(5))], at(6)).progress is Progress.HELD_IN_CUSTOMS
    pickup = summarize(FACTS, [event("GTMS_STA_SIGNED", at(8))], at(12))
    assert pickup.progress is Progress.AT_PICKUP_POINT
    assert pickup.delivered_at is None, "a station signing is not a delivery"
    assert summarize(FACTS, [event("GTMS_RETURNED", at(30))], at(31)).progress is Progress.RETURNED
    assert EventKind.RETURNED is lookup("GTMS_RETURNED").kind
