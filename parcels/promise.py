"""Whether a delivery promise is kept, broken, open or excluded, what is owed, and why.

Pure functions: the shipment, its events, the policy and the current time come in; a
decision comes out with its reasons as data, so that the assistant, the agents and the
notifications can all explain it the same way.

The rules (see docs/architecture.md for the worked examples):
- The promise holds until the end of the promised day in the destination's time zone.
  The first delivery attempt, successful or not, on or before then keeps it; a pickup
  station signing for the parcel is not an attempt.
- Not kept, and a cause outside the carrier's hands arose before the deadline (a wrong
  address, a parcel left uncollected at the pickup point it reached in time, customs
  waiting for the buyer's documents, a declared force-majeure period): excluded,
  nothing is owed. A refusal is an attempt, so it keeps a promise it meets in time.
- Otherwise, past the deadline: broken, and the product's table gives the amount for
  the days late (counted to the first attempt, or to today while none has been made).
- Before the deadline: open, and at risk when the stages still ahead typically take
  longer than the time that is left.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from parcels.deadlines import DeadlineBasis, end_of_day, explain_deadline
from parcels.policy import CompensationForm, Grant, Market, Policy, Product
from parcels.stages import Cause, EventKind, Stage
from parcels.status import Event, ShipmentFacts, ordered


class Outcome(enum.StrEnum):
    KEPT = "kept"
    BROKEN = "broken"
    OPEN = "open"
    EXCLUDED = "excluded"


class ReasonCode(enum.StrEnum):
    DELIVERED_IN_TIME = "delivered_in_time"  # at
    ATTEMPTED_IN_TIME = "attempted_in_time"  # at: a failed attempt in time keeps the promise
    DELIVERED_LATE = "delivered_late"  # at, days_late
    ATTEMPTED_LATE = "attempted_late"  # at, days_late
    NOT_DELIVERED = "not_delivered"  # days_late: the deadline passed without an attempt
    NOT_YET_DUE = "not_yet_due"  # expected_by
    AT_RISK = "at_risk"  # expected_by, stage
    RETURNED = "returned"  # at: sent back without an attempt
    PICKUP_STATION = "pickup_station"  # at: a station signed for it, which is not a delivery
    CUSTOMER_CAUSE = "customer_cause"  # cause, at
    CUSTOMS_DOCUMENTS = "customs_documents"  # at
    FORCE_MAJEURE = "force_majeure"  # id, name, first_day, last_day
    BELOW_FIRST_TIER = "below_first_tier"  # days_late, first_tier_days_late
    CLAIM_WINDOW_CLOSED = "claim_window_closed"  # last_day


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Owed:
    amount: Decimal
    currency: str
    form: CompensationForm
    grant: Grant
    tier_days_late: int


@dataclass(frozen=True, slots=True)
class ClaimWindow:
    last_day: date  # local date, inclusive
    closes_at: datetime  # exclusive, aware
    open: bool


@dataclass(frozen=True, slots=True)
class PromiseDecision:
    tracking_number: str
    product_code: str
    policy_version: str
    outcome: Outcome
    at_risk: bool
    promised_date: date
    deadline_at: datetime
    time_zone: str
    days_late: int  # 0 unless the promise is broken (or would be, but for an exclusion)
    expected_by: datetime | None  # open promises: when the parcel typically arrives
    basis: DeadlineBasis | None  # how the promised date was counted; None if the policy changed since
    owed: Owed | None
    claim_window: ClaimWindow | None
    reasons: tuple[Reason, ...]

    @property
    def claimable(self) -> bool:
        return self.owed is not None and self.claim_window is not None and self.claim_window.open

    def reason(self, code: ReasonCode) -> Reason | None:
        return next((reason for reason in self.reasons if reason.code is code), None)


_ATTEMPTS = frozenset({EventKind.ATTEMPT_FAILED, EventKind.DELIVERED})
_CUSTOMER_CAUSES = frozenset({Cause.WRONG_ADDRESS, Cause.REFUSED, Cause.NOT_COLLECTED})
_CENT = Decimal("0.01")  # the policy allows at most two decimal places


def days_late(promised: date, moment: datetime, zone: ZoneInfo) -> int:
    """Whole local days between the promised day and ``moment`` (0 on or before the promised day)."""
    return max(0, (moment.astimezone(zone).date() - promised).days)


def arrival_horizon(product: Product, stage: Stage) -> timedelta:
    """The longest ``expected_arrival`` can be from now for a parcel whose latest event is at ``stage`` (or that
    has none yet: collection), as long as that event is not later than now: all of the stage, and every stage
    after it. The notifier reads only the open promises due within it when it forecasts which are at risk."""
    typical = product.stage_days
    return timedelta(days=sum(typical[later] for later in range(int(stage), 8)))


def latest_arrival(product: Product, stage: Stage, since: datetime, now: datetime) -> datetime:
    """The latest ``expected_arrival`` can be for a parcel whose latest event, at ``stage``, happened at ``since``
    (no event yet: collection, since the payment), both no later than now, unless that event is a customs hold
    (a hold counts its whole stage from now: ``arrival_horizon`` bounds it)."""
    typical = product.stage_days
    after = timedelta(days=sum(typical[later] for later in range(int(stage) + 1, 8)))
    return max(now, since + timedelta(days=typical[int(stage)])) + after


def expected_arrival(facts: ShipmentFacts, history: list[Event], product: Product, now: datetime) -> datetime:
    """When the parcel typically arrives: the rest of its current stage plus every stage after it.

    A stage's time is counted from its first event in the latest run of events at that stage;
    while a customs hold lasts, its whole stage is still ahead. Before the first event, collection is counted
    from the payment.
    """
    if history:
        last = history[-1]
        stage = last.stage
        entered = last.occurred_at
        for event in reversed(history):
            if event.stage != stage:
                break
            entered = event.occurred_at
        if last.kind is EventKind.CUSTOMS_HOLD:
            entered = now
    else:
        stage, entered = Stage.COLLECTION, facts.paid_at
    typical = product.stage_days
    left_in_stage = max(timedelta(0), timedelta(days=typical[int(stage)]) - (now - entered))
    after = sum(typical[later] for later in range(int(stage) + 1, 8))
    return now + left_in_stage + timedelta(days=after)


def _exclusions(facts: ShipmentFacts, history: list[Event], market: Market, paid_on: date) -> list[Reason]:
    """Causes outside the carrier's hands that arose before the deadline: each one, once."""
    reasons: list[Reason] = []
    seen: set[Cause] = set()
    station = next((e.occurred_at for e in history if e.kind is EventKind.AT_PICKUP_POINT), None)
    for event in history:
        if event.cause is None or event.cause in seen:
            continue
        # A parcel left uncollected was waiting for the shopper from the moment it reached the station.
        arose = station if event.cause is Cause.NOT_COLLECTED and station is not None else event.occurred_at
        if arose >= facts.deadline_at:
            continue
        seen.add(event.cause)
        if event.cause is Cause.BUYER_DOCUMENTS:
            reasons.append(Reason(ReasonCode.CUSTOMS_DOCUMENTS, {"at": arose}))
        elif event.cause in _CUSTOMER_CAUSES:
            reasons.append(Reason(ReasonCode.CUSTOMER_CAUSE, {"cause": str(event.cause), "at": arose}))
    province = market.province(facts.destination_postal_code)
    for period in market.force_majeure:
        if period.covers(paid_on, facts.promised_date, province):
            facts_ = {"id": period.id, "name": period.name, "first_day": period.first_day, "last_day": period.last_day}
            reasons.append(Reason(ReasonCode.FORCE_MAJEURE, facts_))
    return reasons


def decide(facts: ShipmentFacts, events: Iterable[Event], policy: Policy, now: datetime) -> PromiseDecision:
    """The promise of one shipment at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    product = policy.products[facts.product_code]
    market = policy.markets[product.market]
    zone = ZoneInfo(facts.time_zone)
    history = ordered(events)
    counted = explain_deadline(facts.paid_at, product, market, facts.destination_postal_code)
    # None when the product's promise changed after this order: the stored date stands
    basis = counted if counted.promised_date == facts.promised_date else None
    attempt = next((e for e in history if e.kind in _ATTEMPTS), None)
    delivered = attempt is not None and attempt.kind is EventKind.DELIVERED
    reasons: list[Reason] = []

    if attempt is not None and attempt.occurred_at < facts.deadline_at:
        code = ReasonCode.DELIVERED_IN_TIME if delivered else ReasonCode.ATTEMPTED_IN_TIME
        return _decision(facts, policy, Outcome.KEPT, basis, [Reason(code, {"at": attempt.occurred_at})])

    station = next((e for e in history if e.kind is EventKind.AT_PICKUP_POINT), None)
    if station is not None:
        reasons.append(Reason(ReasonCode.PICKUP_STATION, {"at": station.occurred_at}))
    returned = next((e for e in history if e.kind is EventKind.RETURNED), None)
    if returned is not None and attempt is None:
        reasons.append(Reason(ReasonCode.RETURNED, {"at": returned.occurred_at}))

    late_moment = attempt.occurred_at if attempt is not None else now
    late_by = days_late(facts.promised_date, late_moment, zone) if late_moment >= facts.deadline_at else 0
    if attempt is not None:
        code = ReasonCode.DELIVERED_LATE if delivered else ReasonCode.ATTEMPTED_LATE
        reasons.insert(0, Reason(code, {"at": attempt.occurred_at, "days_late": late_by}))
    elif late_by:
        reasons.insert(0, Reason(ReasonCode.NOT_DELIVERED, {"days_late": late_by}))

    paid_on = facts.paid_at.astimezone(zone).date()
    exclusions = _exclusions(facts, history, market, paid_on)
    if exclusions:
        return _decision(facts, policy, Outcome.EXCLUDED, basis, reasons + exclusions, days_late=late_by)

    if not late_by:
        expected = expected_arrival(facts, history, product, now)
        at_risk = returned is not None or expected >= facts.deadline_at
        reasons.insert(0, Reason(ReasonCode.NOT_YET_DUE, {"expected_by": expected}))
        if at_risk:
            stage = int(history[-1].stage) if history else None
            reasons.insert(1, Reason(ReasonCode.AT_RISK, {"expected_by": expected, "stage": stage}))
        return _decision(facts, policy, Outcome.OPEN, basis, reasons, at_risk=at_risk, expected_by=expected)

    compensation = product.compensation
    tier = compensation.tier_for(late_by)
    if tier is None:
        reasons.append(
            Reason(
                ReasonCode.BELOW_FIRST_TIER,
                {"days_late": late_by, "first_tier_days_late": compensation.tiers[0].days_late},
            )
        )
        return _decision(facts, policy, Outcome.BROKEN, basis, reasons, days_late=late_by)
    amount = tier.amount.quantize(_CENT)  # "5" in the policy is owed as 5.00
    owed = Owed(amount, market.currency, tier.form, compensation.grant, tier.days_late)
    last_day = facts.promised_date + timedelta(days=compensation.claim_window_days)
    window = ClaimWindow(last_day, end_of_day(last_day, zone), open=now < end_of_day(last_day, zone))
    if not window.open:
        reasons.append(Reason(ReasonCode.CLAIM_WINDOW_CLOSED, {"last_day": last_day}))
    return _decision(facts, policy, Outcome.BROKEN, basis, reasons, days_late=late_by, owed=owed, window=window)


def _decision(
    facts: ShipmentFacts,
    policy: Policy,
    outcome: Outcome,
    basis: DeadlineBasis | None,
    reasons: list[Reason],
    *,
    days_late: int = 0,
    at_risk: bool = False,
    expected_by: datetime | None = None,
    owed: Owed | None = None,
    window: ClaimWindow | None = None,
) -> PromiseDecision:
    return PromiseDecision(
        tracking_number=facts.tracking_number,
        product_code=facts.product_code,
        policy_version=policy.version,
        outcome=outcome,
        at_risk=at_risk,
        promised_date=facts.promised_date,
        deadline_at=facts.deadline_at,
        time_zone=facts.time_zone,
        days_late=days_late,
        expected_by=expected_by,
        basis=basis,
        owed=owed,
        claim_window=window,
        reasons=tuple(reasons),
    )
