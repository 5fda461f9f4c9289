"""What the dashboard reads of storage, as plain values: promises counted by day, product and province, the
unkept promises with their reviews and claims, claims' timings, the outbox's counts and the handoffs' clocks.
Storage hands these out; the figures are worked out from them in ``parcels.dashboard``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from parcels.unkept import UnkeptReview


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
class UnkeptRow:
    """An unkept promise with its review, and its order's claim if one was made for this parcel."""

    shipment_id: int
    tracking_number: str
    product_code: str
    market_code: str
    postal_code: str
    promised_date: date
    attempt_at: datetime | None
    review: UnkeptReview
    claim_status: str | None
    claim_amount: Decimal | None


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
