"""The bound the notifier's at-risk forecast relies on: no parcel is expected later than its arrival horizon."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from parcels.promise import arrival_horizon, decide, expected_arrival, latest_arrival
from parcels.stages import EventKind, Stage
from parcels.status import ordered
from tests.strategies import DAY, POLICY, PROPERTY, histories, shipments


@st.composite
def moments_after(draw: st.DrawFn) -> tuple:  # type: ignore[type-arg]
    shipment = draw(shipments())
    history = draw(histories(shipment))
    latest = max([shipment.paid_at, *(event.occurred_at for event in history)])
    now = latest + timedelta(minutes=draw(st.integers(0, 30 * DAY)))
    return shipment, history, now


@PROPERTY
@given(moments_after())
def test_no_parcel_is_expected_later_than_its_horizon_from_its_latest_stage(case: tuple) -> None:  # type: ignore[type-arg]
    shipment, history, now = case
    product = POLICY.products[shipment.product_code]
    events = ordered(history)
    stage = events[-1].stage if events else Stage.COLLECTION
    assert expected_arrival(shipment, events, product, now) <= now + arrival_horizon(product, stage)


@PROPERTY
@given(moments_after())
def test_a_promise_at_risk_and_not_returned_is_due_within_the_horizon(case: tuple) -> None:  # type: ignore[type-arg]
    shipment, history, now = case
    decision = decide(shipment, history, POLICY, now)
    if decision.at_risk and not any(event.kind is EventKind.RETURNED for event in history):
        events = ordered(history)
        stage = events[-1].stage if events else Stage.COLLECTION
        assert shipment.deadline_at <= now + arrival_horizon(POLICY.products[shipment.product_code], stage)


@PROPERTY
@given(moments_after())
def test_no_parcel_is_expected_later_than_its_latest_event_allows_unless_held_at_customs(case: tuple) -> None:  # type: ignore[type-arg]
    shipment, history, now = case
    events = ordered(history)
    assume(not events or events[-1].kind is not EventKind.CUSTOMS_HOLD)  # a hold: only the horizon bounds it
    stage, since = (events[-1].stage, events[-1].occurred_at) if events else (Stage.COLLECTION, shipment.paid_at)
    product = POLICY.products[shipment.product_code]
    assert expected_arrival(shipment, events, product, now) <= latest_arrival(product, stage, since, now)


def test_the_horizon_counts_the_stage_and_every_one_after_it() -> None:
    product = POLICY.products["CHOICE_9"]
    days = product.stage_days
    assert arrival_horizon(product, Stage.COLLECTION) == timedelta(days=sum(days[s] for s in range(1, 8)))
    assert arrival_horizon(product, Stage(7)) == timedelta(days=days[7])
