"""The promise engine, one rule per test, then the properties that must hold for any shipment."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from parcels.deadlines import add_business_days, deadline_for, is_business_day
from parcels.policy import DEFAULT_POLICY_FILE, CompensationForm, LeadTimeUnit, Policy, load_policy
from parcels.promise import Outcome, PromiseDecision, ReasonCode, decide
from parcels.stages import lookup
from parcels.status import Event, ShipmentFacts
from tests.strategies import (
    BUSINESS_DAY_PRODUCTS,
    CANARIES,
    CODES,
    DAY,
    MAINLAND,
    PAYMENTS,
    POLICY,
    PRODUCTS,
    PROPERTY,
    PROVINCES,
    event,
    facts,
    histories,
    shipments,
)

SPAIN = POLICY.markets["ES"]
RAW_POLICY: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
MADRID = ZoneInfo("Europe/Madrid")
CANARY = ZoneInfo("Atlantic/Canary")

# CHOICE_9 paid on Friday 27 November 2026: promised for Sunday 6 December.
PAID = datetime(2026, 11, 27, 11, tzinfo=MADRID)  # the same moment as tests.strategies.PAID
PROMISED = date(2026, 12, 6)


def local(day: date, hour: int = 12, minute: int = 0, second: int = 0, zone: ZoneInfo = MADRID) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=zone)


def after(days: int, hour: int = 12) -> datetime:
    """Local time in Madrid ``days`` after the promised day."""
    return local(PROMISED + timedelta(days=days), hour)


def transit(until: datetime) -> list[Event]:
    """The usual journey up to the destination sorting centre, a day before ``until``."""
    return [event("EMA", PAID + timedelta(hours=2), 1), event("GTMS_SC_ARRIVE", until - timedelta(days=1), 2)]


def policy_with(edit: Callable[[dict[str, Any]], None]) -> Policy:
    raw = copy.deepcopy(RAW_POLICY)
    edit(raw)
    return Policy.model_validate(raw)


def codes(decision: PromiseDecision) -> list[ReasonCode]:
    return [reason.code for reason in decision.reasons]


def owed_amount(decision: PromiseDecision) -> Decimal:
    return decision.owed.amount if decision.owed is not None else Decimal(0)


# --- Kept ---------------------------------------------------------------------------------


def test_a_delivery_in_time_keeps_the_promise() -> None:
    delivered = after(-1)
    decision = decide(facts(), [*transit(delivered), event("GTMS_SIGNED", delivered, 3)], POLICY, after(5))
    assert decision.outcome is Outcome.KEPT
    assert codes(decision) == [ReasonCode.DELIVERED_IN_TIME]
    assert decision.reasons[0].facts["at"] == delivered
    assert decision.owed is None and decision.claim_window is None and decision.days_late == 0


def test_a_failed_attempt_in_time_keeps_the_promise_even_if_delivered_late() -> None:
    attempt = after(0, hour=18)
    events = [*transit(attempt), event("GTMS_DELIVERY_FAILED", attempt, 3), event("GTMS_SIGNED", after(4), 4)]
    decision = decide(facts(), events, POLICY, after(5))
    assert decision.outcome is Outcome.KEPT
    assert codes(decision) == [ReasonCode.ATTEMPTED_IN_TIME]
    assert decision.owed is None


@pytest.mark.parametrize(("postal_code", "zone", "deadline_utc"), [
    (MAINLAND, MADRID, datetime(2026, 12, 6, 23, tzinfo=UTC)),
    (CANARIES, CANARY, datetime(2026, 12, 7, 0, tzinfo=UTC)),
], ids=["mainland", "canaries"])  # fmt: skip
def test_the_deadline_is_exclusive_at_local_midnight(postal_code: str, zone: ZoneInfo, deadline_utc: datetime) -> None:
    shipment = facts(postal_code=postal_code)
    assert shipment.promised_date == PROMISED
    assert shipment.deadline_at.astimezone(UTC) == deadline_utc
    last_second = local(PROMISED, 23, 59, 59, zone=zone)
    next_midnight = local(PROMISED + timedelta(days=1), 0, zone=zone)
    kept = decide(shipment, [event("GTMS_SIGNED", last_second)], POLICY, after(5))
    broken = decide(shipment, [event("GTMS_SIGNED", next_midnight)], POLICY, after(5))
    assert kept.outcome is Outcome.KEPT
    assert broken.outcome is Outcome.BROKEN and broken.days_late == 1
    assert codes(broken)[0] is ReasonCode.DELIVERED_LATE


def test_the_canaries_deadline_is_an_hour_later_than_the_mainland() -> None:
    # 23:30 UTC on the promised day: 00:30 the next day in Madrid, 23:30 still on it in Las Palmas.
    delivered = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    mainland = decide(facts(postal_code=MAINLAND), [event("GTMS_SIGNED", delivered)], POLICY, after(5))
    canaries = decide(facts(postal_code=CANARIES), [event("GTMS_SIGNED", delivered)], POLICY, after(5))
    assert mainland.outcome is Outcome.BROKEN
    assert canaries.outcome is Outcome.KEPT


def test_a_refused_attempt_in_time_keeps_the_promise() -> None:
    refused = after(-2)
    decision = decide(facts(), [*transit(refused), event("GTMS_REFUSED", refused, 3)], POLICY, after(3))
    assert decision.outcome is Outcome.KEPT
    assert codes(decision) == [ReasonCode.ATTEMPTED_IN_TIME]


# --- Broken and what is owed -----------------------------------------------------------------


def test_a_pickup_station_signing_is_not_a_delivery() -> None:
    station = after(-2)
    decision = decide(facts(), [*transit(station), event("GTMS_STA_SIGNED", station, 3)], POLICY, after(2))
    assert decision.outcome is Outcome.BROKEN
    assert codes(decision)[0] is ReasonCode.NOT_DELIVERED
    assert decision.reason(ReasonCode.PICKUP_STATION) is not None
    assert decision.owed is not None


@pytest.mark.parametrize(("days", "amount", "form"), [
    (1, "1.00", CompensationForm.COUPON),
    (3, "1.00", CompensationForm.COUPON),
    (4, "3.00", CompensationForm.COUPON),
    (9, "3.00", CompensationForm.COUPON),
    (10, "10.00", CompensationForm.REFUND),
    (25, "10.00", CompensationForm.REFUND),
])  # fmt: skip
def test_a_broken_promise_owes_the_tier_for_its_days_late(days: int, amount: str, form: CompensationForm) -> None:
    delivered = after(days, hour=9)
    decision = decide(facts(), [*transit(delivered), event("GTMS_SIGNED", delivered, 3)], POLICY, after(days + 1))
    assert decision.outcome is Outcome.BROKEN
    assert decision.days_late == days
    assert decision.owed is not None
    assert decision.owed.amount == Decimal(amount) and decision.owed.form is form


def test_money_owed_is_a_decimal_in_the_market_currency() -> None:
    decision = decide(facts(), [event("GTMS_SIGNED", after(4))], POLICY, after(5))
    assert decision.owed is not None
    assert type(decision.owed.amount) is Decimal
    assert str(decision.owed.amount) == "3.00"
    assert decision.owed.currency == "EUR"
    assert decision.owed.tier_days_late == 4


def _tiers_without_cents(raw: dict[str, Any]) -> None:
    for product in raw["products"].values():
        product["compensation"]["tiers"] = [
            {"days_late": 1, "form": "coupon", "amount": 5},
            {"days_late": 4, "form": "coupon", "amount": "7.5"},
            {"days_late": 10, "form": "refund", "amount": 12.25},
        ]


TIERS_WITHOUT_CENTS = policy_with(_tiers_without_cents)


@pytest.mark.parametrize(("days", "amount"), [(1, "5.00"), (4, "7.50"), (10, "12.25")])
def test_amounts_written_without_cents_in_the_policy_are_owed_with_two_decimals(days: int, amount: str) -> None:
    policy = TIERS_WITHOUT_CENTS
    decision = decide(facts(policy=policy), [event("GTMS_SIGNED", after(days))], policy, after(days + 1))
    assert decision.owed is not None
    assert str(decision.owed.amount) == amount


def test_not_delivered_past_the_deadline_counts_local_days_to_now() -> None:
    # 23:30 UTC on 8 December is already 9 December in Madrid (3 days late), 8 December in Las Palmas (2).
    now = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)
    mainland = decide(facts(postal_code=MAINLAND), transit(after(-2)), POLICY, now)
    canaries = decide(facts(postal_code=CANARIES), transit(after(-2)), POLICY, now)
    assert mainland.outcome is Outcome.BROKEN and canaries.outcome is Outcome.BROKEN
    assert mainland.days_late == 3 and canaries.days_late == 2
    assert codes(mainland)[0] is ReasonCode.NOT_DELIVERED
    assert mainland.reasons[0].facts["days_late"] == 3


def test_below_the_first_tier_the_promise_is_broken_but_nothing_is_owed() -> None:
    def first_tier_at_three_days(raw: dict[str, Any]) -> None:
        raw["products"]["CHOICE_9"]["compensation"]["tiers"] = [{"days_late": 3, "form": "coupon", "amount": "2.00"}]

    policy = policy_with(first_tier_at_three_days)
    decision = decide(facts(policy=policy), [event("GTMS_SIGNED", after(1))], policy, after(2))
    assert decision.outcome is Outcome.BROKEN and decision.days_late == 1
    assert decision.owed is None
    below = decision.reason(ReasonCode.BELOW_FIRST_TIER)
    assert below is not None and below.facts == {"days_late": 1, "first_tier_days_late": 3}


def test_the_claim_window_is_open_to_the_end_of_its_last_local_day() -> None:
    last_day = PROMISED + timedelta(days=30)  # 5 January 2027
    closes_at = local(last_day + timedelta(days=1), 0).astimezone(UTC)
    events = [event("GTMS_SIGNED", after(2))]
    still_open = decide(facts(), events, POLICY, closes_at - timedelta(seconds=1))
    assert still_open.claim_window is not None
    assert still_open.claim_window.last_day == last_day and still_open.claim_window.closes_at == closes_at
    assert still_open.claim_window.open and still_open.claimable
    assert still_open.reason(ReasonCode.CLAIM_WINDOW_CLOSED) is None


def test_after_the_claim_window_the_claim_is_closed_with_its_reason() -> None:
    last_day = PROMISED + timedelta(days=30)
    closes_at = local(last_day + timedelta(days=1), 0).astimezone(UTC)
    closed = decide(facts(), [event("GTMS_SIGNED", after(2))], POLICY, closes_at)
    assert closed.outcome is Outcome.BROKEN and closed.owed is not None
    assert closed.claim_window is not None and not closed.claim_window.open and not closed.claimable
    reason = closed.reason(ReasonCode.CLAIM_WINDOW_CLOSED)
    assert reason is not None and reason.facts == {"last_day": last_day}


# --- Exclusions ---------------------------------------------------------------------------


def test_a_customs_hold_for_buyer_documents_before_the_deadline_is_excluded() -> None:
    hold = after(-4)
    decision = decide(facts(), [*transit(hold), event("CC_IM_HOLD", hold, 3)], POLICY, after(3))
    assert decision.outcome is Outcome.EXCLUDED
    reason = decision.reason(ReasonCode.CUSTOMS_DOCUMENTS)
    assert reason is not None and reason.facts == {"at": hold}
    assert decision.owed is None and decision.claim_window is None
    assert decision.days_late == 3, "the days late are still told"


def test_a_customs_inspection_hold_is_not_an_exclusion() -> None:
    hold = after(-4)
    decision = decide(facts(), [*transit(hold), event("CC_IM_INSPECTION", hold, 3)], POLICY, after(3))
    assert decision.outcome is Outcome.BROKEN
    assert decision.reason(ReasonCode.CUSTOMS_DOCUMENTS) is None
    assert decision.owed is not None


def test_a_wrong_address_before_the_deadline_is_a_customer_cause() -> None:
    issue = after(-1)
    decision = decide(facts(), [*transit(issue), event("GTMS_ADDRESS_ISSUE", issue, 3)], POLICY, after(3))
    assert decision.outcome is Outcome.EXCLUDED
    reason = decision.reason(ReasonCode.CUSTOMER_CAUSE)
    assert reason is not None and reason.facts == {"cause": "wrong_address", "at": issue}
    assert decision.owed is None


def test_a_wrong_address_reported_after_the_deadline_does_not_exclude() -> None:
    issue = local(PROMISED + timedelta(days=1), 0)
    decision = decide(facts(), [*transit(after(-1)), event("GTMS_ADDRESS_ISSUE", issue, 3)], POLICY, after(3))
    assert decision.outcome is Outcome.BROKEN
    assert decision.reason(ReasonCode.CUSTOMER_CAUSE) is None
    assert decision.owed is not None


def test_a_parcel_not_collected_from_the_station_it_reached_in_time_is_excluded() -> None:
    station = after(-2)
    events = [*transit(station), event("GTMS_STA_SIGNED", station, 3), event("GTMS_RETURNED_UNCLAIMED", after(14), 4)]
    decision = decide(facts(), events, POLICY, after(15))
    assert decision.outcome is Outcome.EXCLUDED
    reason = decision.reason(ReasonCode.CUSTOMER_CAUSE)
    assert reason is not None and reason.facts == {"cause": "not_collected", "at": station}
    assert decision.reason(ReasonCode.PICKUP_STATION) is not None
    assert decision.owed is None


def _storm_in_madrid(raw: dict[str, Any]) -> None:
    raw["markets"]["ES"]["force_majeure"] = [
        {
            "id": "storm-madrid",
            "name": {"es": "la tormenta", "en": "the storm", "ca": "la tempesta", "gl": "a tormenta", "eu": "ekaitza"},
            "first_day": date(2026, 12, 1),
            "last_day": date(2026, 12, 3),
            "provinces": ["28"],
        }
    ]


def test_force_majeure_in_the_destination_province_excludes(tmp_path: Path) -> None:
    raw = copy.deepcopy(RAW_POLICY)
    _storm_in_madrid(raw)
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    policy = load_policy(path)
    decision = decide(facts(policy=policy), transit(after(-2)), policy, after(3))
    assert decision.outcome is Outcome.EXCLUDED
    reason = decision.reason(ReasonCode.FORCE_MAJEURE)
    assert reason is not None and reason.facts["id"] == "storm-madrid"
    assert reason.facts["first_day"] == date(2026, 12, 1) and reason.facts["last_day"] == date(2026, 12, 3)
    assert decision.owed is None and decision.claim_window is None


def test_force_majeure_in_another_province_does_not_exclude() -> None:
    policy = policy_with(_storm_in_madrid)
    decision = decide(facts(policy=policy, postal_code="08001"), transit(after(-2)), policy, after(3))
    assert decision.outcome is Outcome.BROKEN
    assert decision.reason(ReasonCode.FORCE_MAJEURE) is None
    assert decision.owed is not None


def test_force_majeure_outside_the_order_window_does_not_exclude() -> None:
    policy = policy_with(_storm_in_madrid)
    paid = local(date(2026, 12, 4), 10)  # promised for 13 December: the storm was over
    decision = decide(facts(paid, policy=policy), [], policy, local(date(2026, 12, 15)))
    assert decision.outcome is Outcome.BROKEN


# --- Open ---------------------------------------------------------------------------------


def test_an_open_promise_is_at_risk_when_the_stages_left_take_longer_than_the_time_left() -> None:
    # In line-haul since a week after payment: 2 more days of it and 3 of the stages after it
    # end 13 days after payment, past the promise (9 days and a half).
    events = [event("EMA", PAID + timedelta(hours=2), 1), event("LH_DEPART", PAID + timedelta(days=7), 2)]
    decision = decide(facts(), events, POLICY, PAID + timedelta(days=8))
    assert decision.outcome is Outcome.OPEN and decision.at_risk
    assert codes(decision)[:2] == [ReasonCode.NOT_YET_DUE, ReasonCode.AT_RISK]
    assert decision.expected_by == PAID + timedelta(days=13)
    risk = decision.reason(ReasonCode.AT_RISK)
    assert risk is not None and risk.facts["stage"] == 4
    assert decision.owed is None and decision.days_late == 0


def test_an_open_promise_on_schedule_is_not_at_risk() -> None:
    events = [event("EMA", PAID + timedelta(hours=2), 1)]
    decision = decide(facts(), events, POLICY, PAID + timedelta(hours=3))
    assert decision.outcome is Outcome.OPEN and not decision.at_risk
    assert codes(decision) == [ReasonCode.NOT_YET_DUE]
    assert decision.expected_by is not None and decision.expected_by < decision.deadline_at


# --- The basis, and the inputs ------------------------------------------------------------


def test_the_basis_lists_the_weekday_holidays_skipped_for_business_day_products() -> None:
    # Premium (5 business days) paid on Friday 4 December 2026 in Madrid: 7 December (Constitution
    # Day moved to Monday) and 8 December are skipped; 5-6 and 12-13 are weekends, not listed.
    paid = local(date(2026, 12, 4), 10)
    decision = decide(facts(paid, product="PREMIUM"), [], POLICY, paid + timedelta(hours=1))
    assert decision.basis is not None
    assert decision.basis.holidays_skipped == (date(2026, 12, 7), date(2026, 12, 8))
    assert decision.basis.region == "MD" and decision.basis.unit is LeadTimeUnit.BUSINESS_DAYS
    assert decision.basis.promised_date == decision.promised_date == date(2026, 12, 15)


def test_the_basis_is_none_when_the_stored_promise_differs_from_the_policy() -> None:
    stored = facts()
    changed = dataclasses.replace(
        stored, promised_date=PROMISED + timedelta(days=1), deadline_at=stored.deadline_at + timedelta(days=1)
    )
    decision = decide(changed, [], POLICY, after(1))
    assert decision.basis is None
    assert decision.outcome is Outcome.OPEN, "the stored date stands"
    assert decide(stored, [], POLICY, after(1)).basis is not None


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        decide(facts(), [], POLICY, datetime(2026, 12, 1, 12))


# --- Properties ---------------------------------------------------------------------------


@PROPERTY
@given(
    shipment=shipments(),
    extra=st.lists(st.tuples(st.sampled_from(CODES), st.integers(0, 30 * DAY)), max_size=4),
    first=st.integers(0, 50 * DAY),
    delay=st.integers(0, 20 * DAY),
    delivery_code=st.sampled_from(["GTMS_SIGNED", "EMI", "GTMS_DELIVERY_FAILED", "GTMS_REFUSED"]),
)
def test_a_later_delivery_is_never_owed_less(
    shipment: ShipmentFacts, extra: list[tuple[str, int]], first: int, delay: int, delivery_code: str
) -> None:
    others = [
        event(code, shipment.paid_at + timedelta(minutes=offset), n)
        for n, (code, offset) in enumerate(extra)
        if lookup(code).kind.value not in {"delivered", "attempt_failed"}
    ]
    t1 = shipment.paid_at + timedelta(minutes=first)
    t2 = t1 + timedelta(minutes=delay)
    now = t2 + timedelta(days=1)
    sooner = decide(shipment, [*others, event(delivery_code, t1, 99)], POLICY, now)
    later = decide(shipment, [*others, event(delivery_code, t2, 99)], POLICY, now)
    assert owed_amount(later) >= owed_amount(sooner)
    assert later.days_late >= sooner.days_late
    assert not (sooner.outcome is Outcome.BROKEN and later.outcome is Outcome.KEPT)
    if sooner.outcome is not Outcome.KEPT:
        assert later.outcome is sooner.outcome, "past the deadline only the days late change"


@PROPERTY
@given(data=st.data(), shipment=shipments())
def test_an_event_arriving_late_never_breaks_a_kept_promise(data: st.DataObject, shipment: ShipmentFacts) -> None:
    """Events only add attempts: whatever arrives later, a kept promise stays kept."""
    known = data.draw(histories(shipment))
    late = data.draw(histories(shipment))
    now = shipment.paid_at + timedelta(days=45)
    before = decide(shipment, known, POLICY, now)
    after_ = decide(shipment, [*known, *late], POLICY, now)
    if before.outcome is Outcome.KEPT:
        assert after_.outcome is Outcome.KEPT


@PROPERTY
@given(
    paid=PAYMENTS,
    product=st.sampled_from(BUSINESS_DAY_PRODUCTS),
    province=st.sampled_from(PROVINCES),
)
def test_holidays_and_weekends_never_shorten_a_business_day_deadline(
    paid: datetime, product: str, province: str
) -> None:
    postal_code = f"{province}001"
    lead = POLICY.products[product].lead_time.days
    deadline = deadline_for(paid, POLICY.products[product], SPAIN, postal_code)
    paid_on = paid.astimezone(ZoneInfo(deadline.time_zone)).date()
    region = SPAIN.region_for(postal_code)
    assert region is not None
    assert deadline.promised_date >= paid_on + timedelta(days=lead)
    span = [paid_on + timedelta(days=n) for n in range(1, (deadline.promised_date - paid_on).days + 1)]
    assert sum(is_business_day(day, "ES", region) for day in span) == lead
    assert is_business_day(deadline.promised_date, "ES", region)
    assert deadline.promised_date >= add_business_days(paid_on, lead, "ES", None)


@PROPERTY
@given(data=st.data(), shipment=shipments(), now_minutes=st.integers(0, 80 * DAY))
def test_an_exclusion_never_produces_an_amount(data: st.DataObject, shipment: ShipmentFacts, now_minutes: int) -> None:
    events = data.draw(histories(shipment))
    decision = decide(shipment, events, POLICY, shipment.paid_at + timedelta(minutes=now_minutes))
    if decision.outcome is Outcome.EXCLUDED:
        assert decision.owed is None and decision.claim_window is None and not decision.claimable
    if decision.owed is not None:
        assert decision.outcome is Outcome.BROKEN
    if decision.claim_window is not None:
        assert decision.owed is not None


@PROPERTY
@given(
    data=st.data(),
    shipment=shipments(),
    now_minutes=st.integers(0, 80 * DAY),
    policy=st.sampled_from([POLICY, TIERS_WITHOUT_CENTS]),
)
def test_amounts_have_two_decimals_and_a_broken_promise_is_at_least_a_day_late(
    data: st.DataObject, shipment: ShipmentFacts, now_minutes: int, policy: Policy
) -> None:
    events = data.draw(histories(shipment))
    now = shipment.paid_at + timedelta(minutes=now_minutes)
    decision = decide(shipment, events, policy, now)
    if decision.owed is not None:
        assert type(decision.owed.amount) is Decimal
        assert decision.owed.amount.as_tuple().exponent == -2
        assert decision.owed.amount > 0
    if decision.outcome is Outcome.BROKEN:
        assert decision.days_late >= 1
    if decision.outcome in {Outcome.KEPT, Outcome.OPEN}:
        assert decision.days_late == 0 and decision.owed is None
    if decision.outcome is Outcome.OPEN:
        assert now < decision.deadline_at


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


@st.composite
def payments_around_dst_and_year_ends(draw: st.DrawFn) -> tuple[datetime, str, str]:
    """A payment near a clock change or a new year, or a product's lead time before one."""
    year = draw(st.integers(2024, 2030))
    anchor = draw(st.sampled_from([_last_sunday(year, 3), _last_sunday(year, 10), date(year, 12, 31)]))
    product = draw(PRODUCTS)
    back = draw(st.sampled_from([0, POLICY.products[product].lead_time.days]))
    offset = draw(st.integers(-2 * DAY, 2 * DAY))
    paid = datetime.combine(anchor - timedelta(days=back), time(12), tzinfo=UTC) + timedelta(minutes=offset)
    return paid, product, draw(st.sampled_from([MAINLAND, CANARIES, "08001", "38001", "07001"]))


@PROPERTY
@given(case=payments_around_dst_and_year_ends())
def test_deadlines_end_at_local_midnight_across_clock_changes_and_year_ends(case: tuple[datetime, str, str]) -> None:
    paid, product, postal_code = case
    shipment = facts(paid, product=product, postal_code=postal_code)
    zone = ZoneInfo(shipment.time_zone)
    ends_local = shipment.deadline_at.astimezone(zone)
    assert (ends_local.hour, ends_local.minute, ends_local.second) == (0, 0, 0)
    assert ends_local.date() == shipment.promised_date + timedelta(days=1)
    # The promised day lasts 23 hours when clocks go forward, 25 when they go back.
    starts = datetime.combine(shipment.promised_date, time(0), tzinfo=zone)
    length = shipment.deadline_at.astimezone(UTC) - starts.astimezone(UTC)
    year = shipment.promised_date.year
    expected = {_last_sunday(year, 3): 23, _last_sunday(year, 10): 25}.get(shipment.promised_date, 24)
    assert length == timedelta(hours=expected)
    deadline_utc = shipment.deadline_at.astimezone(UTC)
    just_in_time = decide(shipment, [event("GTMS_SIGNED", deadline_utc - timedelta(seconds=1))], POLICY, deadline_utc)
    just_late = decide(shipment, [event("GTMS_SIGNED", deadline_utc)], POLICY, deadline_utc)
    assert just_in_time.outcome is Outcome.KEPT
    assert just_late.outcome is Outcome.BROKEN and just_late.days_late == 1
