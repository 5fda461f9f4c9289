"""An unkept promise's review tells, at any later moment, what ``decide`` would: broken or excluded, the days
late and what is owed; and where the time went, stage by stage."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from parcels import dashboard
from parcels.agent_hours import AgentHours
from parcels.claim_records import Parcel
from parcels.errors import Refused
from parcels.promise import Outcome, decide
from parcels.stages import EventKind
from parcels.status import ordered
from parcels.storage.memory import MemoryUnitOfWork
from parcels.unkept import figures, first_attempt, fixed, open_days_over, owed_for, review
from tests.strategies import DAY, PAID, POLICY, PROPERTY, event, facts, histories, shipments


@PROPERTY
@given(data=st.data(), shipment=shipments(), later=st.integers(0, 60 * DAY))
def test_a_review_says_what_decide_says_at_any_later_moment(data: st.DataObject, shipment, later: int) -> None:  # type: ignore[no-untyped-def]
    events = ordered(data.draw(histories(shipment)))
    attempt = next((e.occurred_at for e in events if e.kind in (EventKind.ATTEMPT_FAILED, EventKind.DELIVERED)), None)
    now = shipment.deadline_at + timedelta(minutes=later)
    assume(attempt is None or attempt >= shipment.deadline_at)  # unkept: no attempt in time
    assume(attempt is None or attempt <= now)
    decision = decide(shipment, events, POLICY, now)
    product, market = POLICY.products[shipment.product_code], POLICY.markets[shipment.market_code]
    zone = market.zone_for(shipment.destination_postal_code)
    said = figures(review(1, shipment, events, None, POLICY), product, shipment.promised_date, zone, attempt, now)
    assert said.outcome is decision.outcome and said.days_late == decision.days_late
    assert said.owed == (decision.owed.amount if decision.owed else 0)
    if decision.claim_window is not None:
        assert said.claim_window_closed is not decision.claim_window.open


@PROPERTY
@given(data=st.data(), shipment=shipments(), later=st.integers(0, 60 * DAY))
def test_what_is_stored_of_a_review_and_the_clock_give_its_figures(data: st.DataObject, shipment, later: int) -> None:  # type: ignore[no-untyped-def]
    events = ordered(data.draw(histories(shipment)))
    attempt = first_attempt(events)
    now = shipment.deadline_at + timedelta(minutes=later)
    assume(attempt is None or shipment.deadline_at <= attempt <= now)
    product, market = POLICY.products[shipment.product_code], POLICY.markets[shipment.market_code]
    zone = market.zone_for(shipment.destination_postal_code)
    reviewed = review(1, shipment, events, None, POLICY)
    said = figures(reviewed, product, shipment.promised_date, zone, attempt, now)
    kept = fixed(reviewed, product, shipment.promised_date, zone, attempt)
    over = dict(kept.days_over)
    if kept.open_stage is not None and kept.open_from is not None:
        still = open_days_over(kept.open_from, now, product.stage_days[kept.open_stage])
        if still > 0:
            over[kept.open_stage] = still
    # the open stage counts from a whole second: a day's 86,400th at most
    stages = over.keys() | said.days_over.keys()
    assert all(abs(over.get(stage, 0) - said.days_over.get(stage, 0)) < 2 / 86400 for stage in stages)
    if attempt is not None:
        assert kept.days_late == said.days_late and kept.owed == said.owed
    else:
        assert (
            kept.days_late is None and owed_for(product, said.outcome is Outcome.EXCLUDED, said.days_late) == said.owed
        )


def test_the_time_goes_to_the_stage_the_parcel_was_at() -> None:
    shipment = facts(PAID)  # CHOICE_9: collection 1 day, line-haul 3, import customs 1
    events = [
        event("EMA", PAID + timedelta(hours=5), 1),
        event("EMC", PAID + timedelta(days=2), 2),
        event("EMB", PAID + timedelta(days=3), 3),  # an earlier stage's scan, late: moves nothing
        event("EMD", PAID + timedelta(days=9), 4),
    ]
    kept = review(7, shipment, events, None, POLICY)
    assert kept.stage_seconds == {1: 2 * 86400, 4: 7 * 86400} and kept.open_stage == 5
    now = PAID + timedelta(days=12)
    said = figures(kept, POLICY.products["CHOICE_9"], shipment.promised_date, ZoneInfo("Europe/Madrid"), None, now)
    assert said.days_over == {1: 1.0, 4: 4.0, 5: 2.0} and said.outcome is Outcome.BROKEN


def test_a_period_is_days_up_to_today_or_two_dates_and_is_bounded() -> None:
    now = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # already 6 December in Madrid
    span = dashboard.period(POLICY, now, days="7")
    assert (span.first, span.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert span.start == datetime(2026, 11, 29, 23, tzinfo=UTC) and span.end == datetime(2026, 12, 6, 23, tzinfo=UTC)
    assert dashboard.period(POLICY, now, first="2026-11-01", last="2026-11-30").last == date(2026, 11, 30)
    for wrong in ({"days": "0"}, {"days": "367"}, {"first": "2026-12-02", "last": "2026-12-01"}, {"product": "X"}):
        with pytest.raises(Refused):
            dashboard.period(POLICY, now, **wrong)


def test_percentiles_are_nearest_rank() -> None:
    assert dashboard.percentile([], 0.95) is None
    assert dashboard.percentile([90, 600, 120], 0.5) == 120 and dashboard.percentile([90, 600, 120], 0.95) == 600
    assert dashboard.percentile(list(range(1, 101)), 0.95) == 95


def test_the_figures_come_the_same_from_the_fakes() -> None:
    uow = MemoryUnitOfWork()
    late = dataclasses.replace(facts(PAID), tracking_number="LP00000000000031")  # promised 6 December
    kept = dataclasses.replace(facts(PAID), tracking_number="LP00000000000032")
    uow.state.parcels[late.tracking_number] = Parcel(1, late, [event("EMA", PAID + timedelta(hours=5))], "O-1", None)
    signed = event("GTMS_SIGNED", PAID + timedelta(days=5))
    uow.state.parcels[kept.tracking_number] = Parcel(2, kept, [signed], "O-2", None)
    now = datetime(2026, 12, 12, 12, tzinfo=UTC)
    span = dashboard.period(POLICY, now, days="30")
    figures_ = dashboard.promises(uow, span, now, POLICY)
    assert figures_["totals"] == {"kept": 1, "broken": 1, "excluded": 0, "open": 0, "on_time_rate": 0.5}
    assert dashboard.refresh_reviews(uow, span, now, POLICY) == 0  # reviewed once, kept
    owed = dashboard.compensation(uow, span, now, POLICY, AgentHours.parse({}))["totals"]["EUR"]["owed"]
    assert owed == "3.00"  # six days late
