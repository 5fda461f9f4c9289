"""What the dashboard reads of storage, as plain values: promises counted by day, product and province, the
unkept promises' reviews and their figures added up, claims' timings, the outbox's counts and the handoffs' clocks.
Storage hands these out; the figures are worked out from them in ``parcels.dashboard``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from parcels.unkept import UnkeptFixed, UnkeptReview


@dataclass(frozen=True, slots=True)
class PromiseCount:
    """The promises of one promised day, product and destination province: kept in time, still open, not kept."""

    promised_date: date
    product_code: str
    province: str
    kept: int
    open: int
    unkept: int


@dataclass(frozen=True, slots=True)
class PromiseTotals:
    """The promises of a period: kept in time, still open, not kept."""

    kept: int
    open: int
    unkept: int


@dataclass(frozen=True, slots=True)
class ReviewedPromise:
    """An unkept promise's review as it is stored: what of its figures never moves with the clock, and the
    shipment's facts the dashboard groups it by."""

    review: UnkeptReview
    fixed: UnkeptFixed
    promised_date: date
    product_code: str
    market_code: str
    province: str
    deadline_at: datetime


@dataclass(frozen=True, slots=True)
class UnkeptGroup:
    """The unkept promises of one promised day, product and province, broken or excluded, attempted or not:
    how many, and what the attempted ones are owed (the others' grows with the clock)."""

    promised_date: date
    product_code: str
    market_code: str
    province: str
    excluded: bool
    attempted: bool
    count: int
    owed: Decimal


@dataclass(frozen=True, slots=True)
class StageOverrun:
    """The broken promises of one promised day and product whose ``stage``, left behind, overran its typical
    days: how many, and by how many days in all."""

    promised_date: date
    product_code: str
    stage: int
    promises: int
    days_over: float


@dataclass(frozen=True, slots=True)
class OpenOverrun:
    """The broken promises of one promised day and product still at ``stage`` past its typical days at the moment
    asked: how many, and the sum of the moments their stage counts from (epoch seconds)."""

    promised_date: date
    product_code: str
    stage: int
    promises: int
    open_from_sum: int


@dataclass(frozen=True, slots=True)
class StageFigures:
    """Where the broken promises of a period lost time, and how many reviews of unkept promises were read."""

    reviewed: int
    left: list[StageOverrun]
    still: list[OpenOverrun]


@dataclass(frozen=True, slots=True)
class ClaimedPromise:
    """An unkept promise its order's claim was made for."""

    promised_date: date
    product_code: str
    market_code: str
    province: str
    excluded: bool
    owed: Decimal | None  # attempted only
    claim_status: str
    claim_amount: Decimal


@dataclass(frozen=True, slots=True)
class StageParcel:
    """A broken promise behind one stage's bar: the stage's days over if it was left behind, or the moment it
    counts from while the parcel is still at it."""

    tracking_number: str
    product_code: str
    market_code: str
    province: str
    promised_date: date
    days_late: int | None  # attempted only
    owed: Decimal | None  # attempted only
    days_over: float | None
    open_from: int | None


@dataclass(frozen=True, slots=True)
class ClaimTiming:
    reference: str
    product_code: str
    market_code: str
    postal_code: str
    status: str
    requested_at: datetime
    decided_at: datetime | None  # first approved or rejected


@dataclass(frozen=True, slots=True)
class NotificationCount:
    kind: str
    channel: str
    locale: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class HandoffClock:
    """When a person was asked for on a channel, and when an agent first wrote, in POSIX seconds (read by the
    tens of thousands)."""

    channel: str
    requested_at: float
    first_reply_at: float | None


@dataclass(frozen=True, slots=True)
class HandoffTiming:
    id: int
    reference: str
    channel: str
    language: str
    reason: str
    status: str
    requested_at: datetime
    first_reply_at: datetime | None
    answer_due_on: date
