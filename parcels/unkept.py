"""Promises not kept in time, reviewed once per change of their events: whether a cause outside the carrier's
hands excludes them, and where the time went, stage by stage. Pure functions.

A review holds only what does not move with the clock, so that it stays true until the parcel's events change
(or the policy does): the days late, what is owed and how long the current stage has taken are worked out
from it at the moment they are asked for, with the same rules as ``parcels.promise.decide``.

Where the time went: collection counts from the payment; each later stage from the first event that reached
it, until the first event of a later stage, and the last stage reached until the first delivery attempt (or
until now, while there is none). A stage the events skipped took no time. An event of an earlier stage after a
later one (a return, a late scan) moves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from parcels.deadlines import end_of_day
from parcels.policy import Policy, Product
from parcels.promise import Outcome, ReasonCode, days_late, decide
from parcels.stages import EventKind, Stage
from parcels.status import Event, ShipmentFacts, ordered

_ATTEMPTS = frozenset({EventKind.ATTEMPT_FAILED, EventKind.DELIVERED})
_EXCLUSIONS = (ReasonCode.CUSTOMER_CAUSE, ReasonCode.CUSTOMS_DOCUMENTS, ReasonCode.FORCE_MAJEURE)
DAY = 86400


@dataclass(frozen=True, slots=True)
class UnkeptReview:
    shipment_id: int
    policy_version: str
    progress_at: datetime | None  # the shipment's events as of which it was reviewed
    excluded_by: str | None  # the first exclusion's reason code; None: broken
    stage_seconds: dict[int, int]  # the stages it has left behind (all of them once attempted)
    open_stage: int | None  # the stage it is still at, no attempt made yet
    open_since: datetime | None


@dataclass(frozen=True, slots=True)
class UnkeptFigures:
    """An unkept promise at a moment: what ``decide`` would say of it, and each stage's time over its typical."""

    outcome: Outcome  # BROKEN or EXCLUDED
    days_late: int
    owed: Decimal  # 0 when excluded or below the first tier
    claim_window_closed: bool
    days_over: dict[int, float]  # stage -> days beyond its typical days, for the stages that overran


def review(
    shipment_id: int, facts: ShipmentFacts, events: Iterable[Event], progress_at: datetime | None, policy: Policy
) -> UnkeptReview:
    history = ordered(events)
    decision = decide(facts, history, policy, facts.deadline_at)  # exclusions are fixed by the deadline
    excluded = next((r.code for r in decision.reasons if r.code in _EXCLUSIONS), None)
    seconds: dict[int, int] = {}
    stage, since = int(Stage.COLLECTION), facts.paid_at
    attempt: Event | None = None
    for event in history:
        if event.kind in _ATTEMPTS:
            attempt = event
            break
        if int(event.stage) > stage:
            seconds[stage] = seconds.get(stage, 0) + max(0, int((event.occurred_at - since).total_seconds()))
            stage, since = int(event.stage), event.occurred_at
    if attempt is not None:
        seconds[stage] = seconds.get(stage, 0) + max(0, int((attempt.occurred_at - since).total_seconds()))
        return UnkeptReview(shipment_id, policy.version, progress_at, excluded and str(excluded), seconds, None, None)
    return UnkeptReview(shipment_id, policy.version, progress_at, excluded and str(excluded), seconds, stage, since)


def figures(
    review_: UnkeptReview,
    product: Product,
    promised: date,
    zone: ZoneInfo,
    attempt_at: datetime | None,
    now: datetime,
) -> UnkeptFigures:
    late = days_late(promised, attempt_at if attempt_at is not None else now, zone)
    outcome = Outcome.EXCLUDED if review_.excluded_by else Outcome.BROKEN
    owed = owed_for(product, outcome is Outcome.EXCLUDED, late)
    return UnkeptFigures(
        outcome, late, owed, claim_window_closed(product, promised, zone, now), days_over(review_, product, now)
    )


def claim_window_closed(product: Product, promised: date, zone: ZoneInfo, now: datetime) -> bool:
    return now >= end_of_day(promised + timedelta(days=product.compensation.claim_window_days), zone)


def days_over(review_: UnkeptReview, product: Product, now: datetime) -> dict[int, float]:
    taken = {stage: float(s) for stage, s in review_.stage_seconds.items()}
    if review_.open_stage is not None and review_.open_since is not None:
        open_for = max(0.0, (now - review_.open_since).total_seconds())
        taken[review_.open_stage] = taken.get(review_.open_stage, 0.0) + open_for
    over = {stage: s / DAY - product.stage_days[stage] for stage, s in taken.items()}
    return {s: d for s, d in over.items() if d > 0}


@dataclass(frozen=True, slots=True)
class UnkeptFixed:
    """What of an unkept promise's figures never moves with the clock, kept beside its review so that storage can
    add the figures of many promises up: once attempted, its days late and what it is owed; the stages it has
    left behind that overran; and, while no attempt is made, the moment from which its current stage counts (its
    time over then grows with the clock: ``open_days_over``)."""

    attempted: bool
    days_late: int | None  # attempted only
    owed: Decimal | None  # attempted only
    days_over: dict[int, float]  # the stages left behind that overran, by how many days
    open_stage: int | None
    open_from: int | None  # epoch seconds: the open stage's start, less any earlier time spent in it


def owed_for(product: Product, excluded: bool, late: int) -> Decimal:
    tier = None if excluded else product.compensation.tier_for(late)
    return tier.amount.quantize(Decimal("0.01")) if tier else Decimal("0.00")


def fixed(
    review_: UnkeptReview, product: Product, promised: date, zone: ZoneInfo, attempt_at: datetime | None
) -> UnkeptFixed:
    closed = {
        stage: s / DAY - product.stage_days[stage]
        for stage, s in review_.stage_seconds.items()
        if stage != review_.open_stage
    }
    open_from = None
    if review_.open_stage is not None and review_.open_since is not None:
        open_from = int(review_.open_since.timestamp()) - review_.stage_seconds.get(review_.open_stage, 0)
    late = days_late(promised, attempt_at, zone) if attempt_at is not None else None
    return UnkeptFixed(
        attempted=attempt_at is not None,
        days_late=late,
        owed=owed_for(product, review_.excluded_by is not None, late) if late is not None else None,
        days_over={stage: over for stage, over in closed.items() if over > 0},
        open_stage=review_.open_stage if open_from is not None else None,
        open_from=open_from,
    )


def open_days_over(open_from: int, now: datetime, typical_days: float) -> float:
    """The open stage's days beyond its typical ones at ``now`` (negative while within them)."""
    return max(0.0, now.timestamp() - open_from) / DAY - typical_days


def first_attempt(events: Iterable[Event]) -> datetime | None:
    return next((e.occurred_at for e in ordered(events) if e.kind in _ATTEMPTS), None)
