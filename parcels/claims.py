"""Compensation claims: made once per order by a shopper who proved it is theirs, decided by the back office.

A claim is idempotent: claiming again returns the order's claim as it stands. Who may
claim: whoever gives the destination postal code, or writes from the phone number the
shipment's customer registered (a channel that verifies numbers, like WhatsApp). Every
step of a claim is kept with who took it.

The use cases take the process's unit of work as their first argument.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from parcels import references
from parcels.claim_records import (
    TRANSITIONS,
    Actor,
    ActorKind,
    ClaimDetail,
    ClaimStatus,
    ClaimView,
    Parcel,
    TransitionView,
    Verification,
)
from parcels.errors import Conflict, NotFound
from parcels.policy import Grant, Policy, current_policy
from parcels.promise import PromiseDecision, decide
from parcels.storage.repositories import ClaimRepository, DuplicateClaim
from parcels.storage.unit_of_work import UnitOfWork


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


def verification(parcel: Parcel, postal_code: str | None, verified_phone: str | None) -> Verification | None:
    if verified_phone is not None and same_phone(verified_phone, parcel.customer_phone):
        return Verification.PHONE
    if same_postal_code(postal_code, parcel.facts.destination_postal_code):
        return Verification.POSTAL_CODE
    return None


def new_reference() -> str:
    return references.new_reference(references.CLAIM)


def is_reference(text: str) -> bool:
    """Whether ``text`` has the shape of a claim reference (it may still name no claim)."""
    return references.is_reference(text, references.CLAIM)


def make_claim(
    uow: UnitOfWork,
    tracking_number: str,
    now: datetime,
    channel: str,
    *,
    postal_code: str | None = None,
    verified_phone: str | None = None,
    policy: Policy | None = None,
) -> ClaimResult:
    """Claim the compensation of one parcel's order, at most once.

    ``verified_phone`` is a number the channel itself vouches for (WhatsApp's sender),
    never one the shopper typed.
    """
    policy = policy or current_policy()
    try:
        return _make_claim(uow, tracking_number, now, channel, postal_code, verified_phone, policy)
    except DuplicateClaim:
        # Another conversation claimed the same order a moment ago: answer with its claim.
        return _make_claim(uow, tracking_number, now, channel, postal_code, verified_phone, policy)


def _make_claim(
    uow: UnitOfWork,
    tracking_number: str,
    now: datetime,
    channel: str,
    postal_code: str | None,
    verified_phone: str | None,
    policy: Policy,
) -> ClaimResult:
    with uow.begin() as repos:
        parcel = repos.parcels.get(tracking_number)
        if parcel is None:
            return ClaimResult(ClaimOutcome.UNKNOWN, tracking_number)
        verified = verification(parcel, postal_code, verified_phone)
        if verified is None:
            return ClaimResult(ClaimOutcome.NOT_VERIFIED, tracking_number)
        decision = decide(parcel.facts, parcel.events, policy, now)
        existing = repos.claims.for_orders([parcel.order_key]).get(parcel.order_key)
        if existing is not None:
            return ClaimResult(ClaimOutcome.EXISTING, tracking_number, decision, existing)
        if decision.owed is None:
            return ClaimResult(ClaimOutcome.NOT_OWED, tracking_number, decision)
        if not decision.claimable:
            return ClaimResult(ClaimOutcome.WINDOW_CLOSED, tracking_number, decision)
        owed = decision.owed
        automatic = owed.grant is Grant.AUTOMATIC
        claim = ClaimView(
            reference=new_reference(),
            tracking_number=parcel.facts.tracking_number,
            order_key=parcel.order_key,
            status=ClaimStatus.APPROVED if automatic else ClaimStatus.REQUESTED,
            amount=owed.amount,
            currency=owed.currency,
            form=str(owed.form),
            grant=str(owed.grant),
            days_late=decision.days_late,
            policy_version=decision.policy_version,
            channel=channel,
            verified_by=str(verified),
            note=None,
            requested_at=now,
            updated_at=now,
        )
        repos.claims.add(claim, parcel.id)
        _record(repos.claims, claim.reference, now, Actor(ActorKind.SHOPPER, channel), None, ClaimStatus.REQUESTED)
        if automatic:
            policy_actor = Actor(ActorKind.SYSTEM, f"policy {decision.policy_version}")
            _record(repos.claims, claim.reference, now, policy_actor, ClaimStatus.REQUESTED, ClaimStatus.APPROVED)
        return ClaimResult(ClaimOutcome.CREATED, tracking_number, decision, claim)


def _record(
    claims: ClaimRepository,
    reference: str,
    at: datetime,
    actor: Actor,
    from_status: ClaimStatus | None,
    to_status: ClaimStatus,
    note: str | None = None,
) -> None:
    claims.record(reference, TransitionView(at, actor.kind, actor.name, from_status, to_status, note))


class ClaimNotFound(NotFound):
    pass


class InvalidTransition(Conflict):
    pass


def list_claims(
    uow: UnitOfWork, status: ClaimStatus | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[ClaimView], int]:
    with uow.begin() as repos:
        return repos.claims.page(status, limit, offset)


def get_claim(uow: UnitOfWork, reference: str) -> ClaimDetail:
    with uow.begin() as repos:
        claim = repos.claims.get(reference)
        if claim is None:
            raise ClaimNotFound(reference)
        return ClaimDetail(claim, repos.claims.history(reference))


def update_claim(
    uow: UnitOfWork, reference: str, status: ClaimStatus, now: datetime, actor: Actor, note: str | None = None
) -> ClaimDetail:
    """Move a claim on (requested -> approved -> paid, or -> rejected) and record the step with who took it.

    Setting the same status again changes nothing and records nothing, unless it brings a note.
    """
    with uow.begin() as repos:
        claim = repos.claims.get(reference, for_update=True)
        if claim is None:
            raise ClaimNotFound(reference)
        current = claim.status
        if status is not current and status not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: it is final"
            raise InvalidTransition(f"a {current} claim cannot become {status} (allowed: {allowed})")
        if status is not current or note is not None:
            claim = dataclasses.replace(claim, status=status, updated_at=now, note=claim.note if note is None else note)
            repos.claims.update(claim)
            _record(repos.claims, reference, now, actor, current, status, note)
        return ClaimDetail(claim, repos.claims.history(reference))


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
    uow: UnitOfWork, tracking_number: str, postal_code: str | None = None, verified_phone: str | None = None
) -> Verification | None:
    """How the person in the conversation is shown to be the parcel's addressee, if they are."""
    with uow.begin() as repos:
        parcel = repos.parcels.get(tracking_number)
        return verification(parcel, postal_code, verified_phone) if parcel else None
