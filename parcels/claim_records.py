"""What a compensation claim is, as plain values: its statuses and the moves between them, who moves it,
the claim as it stands and each step of its history. Storage hands these out; no ORM row leaves it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from parcels.status import Event, ShipmentFacts


class ClaimStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"


# The back office moves a claim forward only; paid and rejected are final.
TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.REQUESTED: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.PAID, ClaimStatus.REJECTED}),
    ClaimStatus.PAID: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
}


class ActorKind(enum.StrEnum):
    SHOPPER = "shopper"  # named by the channel they wrote on
    STAFF = "staff"  # named by their email
    API_KEY = "api_key"  # named by the key's variable
    SYSTEM = "system"  # the policy, or a migration


@dataclass(frozen=True, slots=True)
class Actor:
    """Who moves a claim on, as the channel proved it: never as a request says."""

    kind: ActorKind
    name: str


class Verification(enum.StrEnum):
    POSTAL_CODE = "postal_code"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Parcel:
    """A shipment as the claims need it: its facts and events, whose it is, and the order it belongs to."""

    id: int
    facts: ShipmentFacts
    events: list[Event]
    order_key: str  # the order's reference, or the tracking number when the shop gave none
    customer_phone: str | None


@dataclass(frozen=True, slots=True)
class ClaimView:
    reference: str
    tracking_number: str
    order_key: str
    status: ClaimStatus
    amount: Decimal
    currency: str
    form: str
    grant: str
    days_late: int
    policy_version: str
    channel: str
    verified_by: str
    note: str | None
    requested_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "tracking_number": self.tracking_number,
            "order_key": self.order_key,
            "status": str(self.status),
            "amount": str(self.amount),
            "currency": self.currency,
            "form": self.form,
            "grant": self.grant,
            "days_late": self.days_late,
            "policy_version": self.policy_version,
            "channel": self.channel,
            "verified_by": self.verified_by,
            "note": self.note,
            "requested_at": self.requested_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class TransitionView:
    at: datetime
    actor_kind: ActorKind
    actor: str
    from_status: ClaimStatus | None  # None: the claim being made
    to_status: ClaimStatus
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor_kind": str(self.actor_kind),
            "actor": self.actor,
            "from": None if self.from_status is None else str(self.from_status),
            "to": str(self.to_status),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ClaimDetail:
    """A claim with its history, oldest step first: what the back office and the console show."""

    claim: ClaimView
    history: tuple[TransitionView, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.claim.as_dict(), "history": [step.as_dict() for step in self.history]}
