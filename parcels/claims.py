"""Compensation claims: made once per order by a shopper who proved it is theirs, decided by the back office.

A claim is idempotent: claiming again returns the order's claim as it stands. Who may
claim: whoever gives the destination postal code, or writes from the phone number the
shipment's customer registered (a channel that verifies numbers, like WhatsApp).
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcels.policy import Grant, Policy, current_policy
from parcels.promise import PromiseDecision, decide
from parcels.storage import queries
from parcels.storage.db import session_scope
from parcels.storage.models import Claim, ClaimTransition, Shipment


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


@dataclass(frozen=True, slots=True)
class TransitionView:
    at: datetime
    actor_kind: ActorKind
    actor: str
    from_status: ClaimStatus | None
    to_status: ClaimStatus
    note: str | None

    @classmethod
    def of(cls, row: ClaimTransition) -> TransitionView:
        return cls(
            at=row.at,
            actor_kind=ActorKind(row.actor_kind),
            actor=row.actor,
            from_status=None if row.from_status is None else ClaimStatus(row.from_status),
            to_status=ClaimStatus(row.to_status),
            note=row.note,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor_kind": str(self.actor_kind),
            "actor": self.actor,
            "from": None if self.from_status is None else str(self.from_status),
            "to": str(self.to_status),
            "note": self.note,
        }


class Verification(enum.StrEnum):
    POSTAL_CODE = "postal_code"
    PHONE = "phone"


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

    @classmethod
    def of(cls, row: Claim) -> ClaimView:
        return cls(
            reference=row.reference,
            tracking_number=row.tracking_number,
            order_key=row.order_key,
            status=ClaimStatus(row.status),
            amount=Decimal(row.amount).quantize(Decimal("0.01")),
            currency=row.currency,
            form=row.form,
            grant=row.grant,
            days_late=row.days_late,
            policy_version=row.policy_version,
            channel=row.channel,
            verified_by=row.verified_by,
            note=row.note,
            requested_at=row.requested_at,
            updated_at=row.updated_at,
        )

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
class ClaimDetail:
    """A claim with its history, oldest step first: what the back office and the console show."""

    claim: ClaimView
    history: tuple[TransitionView, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.claim.as_dict(), "history": [step.as_dict() for step in self.history]}


class ClaimOutcome(enum.StrEnum):
    CREATED = "created"
    EXISTING = "existing"  # the order was claimed before: its claim as it stands
    UNKNOWN = "unknown"  # no such shipment
    NOT_VERIFIED = "not_verified"  # the postal code does not match (or none was given)
    NOT_OWED = "not_owed"  # kept, open, excluded or not late enough: the decision says why
    WINDOW_CLOSED = "window_closed"


@dataclass(frozen=True, slots=True)
class ClaimResult:
    outcome: ClaimOutcome
    tracking_number: str
    decision: PromiseDecision | None = None
    claim: ClaimView | None = None


_NOT_DIGITS = re.compile(r"\D")


def same_phone(a: str | None, b: str | None) -> bool:
    """Two phone numbers are the same if their digits are (``whatsapp:+34 600...`` and ``+34600...``)."""
    digits_a, digits_b = _NOT_DIGITS.sub("", a or ""), _NOT_DIGITS.sub("", b or "")
    return len(digits_a) >= 8 and digits_a == digits_b


def same_postal_code(given: str | None, expected: str) -> bool:
    return given is not None and given.replace(" ", "").upper() == expected.replace(" ", "").upper()


def verification(shipment: Shipment, postal_code: str | None, verified_phone: str | None) -> Verification | None:
    customer = shipment.customer
    if verified_phone is not None and customer is not None and same_phone(verified_phone, customer.phone):
        return Verification.PHONE
    if same_postal_code(postal_code, shipment.destination_postal_code):
        return Verification.POSTAL_CODE
    return None


REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE = re.compile(f"C-[{REFERENCE_ALPHABET}]{{8}}")


def new_reference() -> str:
    """``C-`` and eight characters from an alphabet without look-alikes (0/O, 1/I/L)."""
    return "C-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def is_reference(text: str) -> bool:
    """Whether ``text`` has the shape of a claim reference (it may still name no claim)."""
    return REFERENCE.fullmatch(text) is not None


def make_claim(
    tracking_number: str,
    now: datetime,
    channel: str,
    *,
    postal_code: str | None = None,
    verified_phone: str | None = None,
    engine: Engine | None = None,
    policy: Policy | None = None,
) -> ClaimResult:
    """Claim the compensation of one parcel's order, at most once.

    ``verified_phone`` is a number the channel itself vouches for (WhatsApp's sender),
    never one the shopper typed.
    """
    policy = policy or current_policy()
    try:
        return _make_claim(tracking_number, now, channel, postal_code, verified_phone, engine, policy)
    except IntegrityError:
        # Another conversation claimed the same order a moment ago: answer with its claim.
        return _make_claim(tracking_number, now, channel, postal_code, verified_phone, engine, policy)


def _make_claim(
    tracking_number: str,
    now: datetime,
    channel: str,
    postal_code: str | None,
    verified_phone: str | None,
    engine: Engine | None,
    policy: Policy,
) -> ClaimResult:
    with session_scope(engine) as session:
        found = queries.shipment_with_events(session, tracking_number)
        if found is None:
            return ClaimResult(ClaimOutcome.UNKNOWN, tracking_number)
        shipment, facts, events = found
        verified = verification(shipment, postal_code, verified_phone)
        if verified is None:
            return ClaimResult(ClaimOutcome.NOT_VERIFIED, tracking_number)
        decision = decide(facts, events, policy, now)
        key = queries.order_key(shipment.tracking_number, shipment.order_ref)
        existing = queries.claims_for_orders(session, [key]).get(key)
        if existing is not None:
            return ClaimResult(ClaimOutcome.EXISTING, tracking_number, decision, ClaimView.of(existing))
        if decision.owed is None:
            return ClaimResult(ClaimOutcome.NOT_OWED, tracking_number, decision)
        if not decision.claimable:
            return ClaimResult(ClaimOutcome.WINDOW_CLOSED, tracking_number, decision)
        owed = decision.owed
        claim = Claim(
            reference=new_reference(),
            order_key=key,
            shipment_id=shipment.id,
            tracking_number=shipment.tracking_number,
            status=str(ClaimStatus.APPROVED if owed.grant is Grant.AUTOMATIC else ClaimStatus.REQUESTED),
            amount=owed.amount,
            currency=owed.currency,
            form=str(owed.form),
            grant=str(owed.grant),
            days_late=decision.days_late,
            policy_version=decision.policy_version,
            channel=channel,
            verified_by=str(verified),
            requested_at=now,
            updated_at=now,
        )
        session.add(claim)
        session.flush()
        _record(session, claim.id, now, Actor(ActorKind.SHOPPER, channel), None, ClaimStatus.REQUESTED)
        if owed.grant is Grant.AUTOMATIC:
            policy_actor = Actor(ActorKind.SYSTEM, f"policy {decision.policy_version}")
            _record(session, claim.id, now, policy_actor, ClaimStatus.REQUESTED, ClaimStatus.APPROVED)
        return ClaimResult(ClaimOutcome.CREATED, tracking_number, decision, ClaimView.of(claim))


def _record(
    session: Session,
    claim_id: int,
    at: datetime,
    actor: Actor,
    from_status: ClaimStatus | None,
    to_status: ClaimStatus,
    note: str | None = None,
) -> None:
    session.add(
        ClaimTransition(
            claim_id=claim_id,
            at=at,
            actor_kind=str(actor.kind),
            actor=actor.name[:254],
            from_status=None if from_status is None else str(from_status),
            to_status=str(to_status),
            note=note,
        )
    )


class ClaimNotFound(LookupError):
    pass


class InvalidTransition(ValueError):
    pass


def list_claims(
    status: ClaimStatus | None = None, limit: int = 50, offset: int = 0, engine: Engine | None = None
) -> tuple[list[ClaimView], int]:
    with session_scope(engine) as session:
        rows, total = queries.claims_page(session, str(status) if status else None, limit, offset)
        return [ClaimView.of(row) for row in rows], total


def get_claim(reference: str, engine: Engine | None = None) -> ClaimDetail:
    with session_scope(engine) as session:
        row = queries.claim_by_reference(session, reference)
        if row is None:
            raise ClaimNotFound(reference)
        return _detail(session, row)


def _detail(session: Session, row: Claim) -> ClaimDetail:
    history = tuple(TransitionView.of(step) for step in queries.claim_history(session, row.id))
    return ClaimDetail(ClaimView.of(row), history)


def update_claim(
    reference: str,
    status: ClaimStatus,
    now: datetime,
    actor: Actor,
    note: str | None = None,
    engine: Engine | None = None,
) -> ClaimDetail:
    """Move a claim on (requested -> approved -> paid, or -> rejected) and record the step with who took it.

    Setting the same status again changes nothing and records nothing, unless it brings a note.
    """
    with session_scope(engine) as session:
        row = queries.claim_by_reference(session, reference, for_update=True)
        if row is None:
            raise ClaimNotFound(reference)
        current = ClaimStatus(row.status)
        if status is not current and status not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: it is final"
            raise InvalidTransition(f"a {current} claim cannot become {status} (allowed: {allowed})")
        if status is not current or note is not None:
            row.status = str(status)
            row.updated_at = now
            if note is not None:
                row.note = note
            _record(session, row.id, now, actor, current, status, note)
        session.flush()
        return _detail(session, row)


def claim_message(result: ClaimResult) -> tuple[str, dict[str, Any]]:
    """The catalogue message that answers a claim and the variables it needs."""
    claim, decision = result.claim, result.decision
    if result.outcome is ClaimOutcome.UNKNOWN:
        return "tracking_number_problem", {"number": result.tracking_number, "problem": "unknown"}
    window = decision.claim_window if decision else None
    return "claim_result", {
        "number": result.tracking_number,
        "outcome": str(result.outcome),
        "reference": claim.reference if claim else None,
        "status": str(claim.status) if claim else None,
        "amount": claim.amount if claim else None,
        "currency": claim.currency if claim else None,
        "form": claim.form if claim else None,
        "claim_last_day": window.last_day if window else None,
    }


def claimant_verification(
    tracking_number: str,
    postal_code: str | None = None,
    verified_phone: str | None = None,
    engine: Engine | None = None,
) -> Verification | None:
    """How the person in the conversation is shown to be the parcel's addressee, if they are."""
    with session_scope(engine) as session:
        found = queries.shipment_with_events(session, tracking_number)
        return verification(found[0], postal_code, verified_phone) if found else None
