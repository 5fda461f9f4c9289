"""The repositories: what the use cases ask of storage, in plain values, and their SQL implementations
(the handoffs' in ``parcels.storage.handoff_store``).

Each SQL repository works inside one session, the unit of work's (``parcels.storage.unit_of_work``);
``parcels.storage.memory`` holds their in-memory fakes for the unit tests.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcels.claim_records import ActorKind, ClaimStatus, ClaimView, Parcel, TransitionView
from parcels.handoff_records import ActionView, HandoffView, NoteView, Reason
from parcels.status import Event, ShipmentFacts
from parcels.storage import queries
from parcels.storage.models import Claim, ClaimTransition, Shipment


class DuplicateClaim(Exception):
    """The order was claimed by another conversation a moment ago (its order key or reference is taken)."""


class DuplicateHandoff(Exception):
    """The conversation asked for a person twice at once: the other request made its open handoff."""


class ParcelRepository(Protocol):
    def get(self, tracking_number: str) -> Parcel | None: ...

    def find(self, tracking_numbers: Collection[str]) -> dict[str, Parcel]:
        """The parcels among ``tracking_numbers`` that are ours, by number."""
        ...


class ClaimRepository(Protocol):
    def for_orders(self, order_keys: Collection[str]) -> dict[str, ClaimView]: ...

    def get(self, reference: str, for_update: bool = False) -> ClaimView | None: ...

    def page(self, status: ClaimStatus | None, limit: int, offset: int) -> tuple[list[ClaimView], int]:
        """Claims, newest first, optionally of one status, and how many there are in all."""
        ...

    def add(self, claim: ClaimView, shipment_id: int) -> None:
        """Store a new claim; raises DuplicateClaim when its order already has one."""
        ...

    def update(self, claim: ClaimView) -> None:
        """Store the claim's status, note and time of update."""
        ...

    def record(self, reference: str, step: TransitionView) -> None: ...

    def history(self, reference: str) -> tuple[TransitionView, ...]:
        """The claim's steps, in the order they were taken."""
        ...


class HandoffRepository(Protocol):
    def get(self, handoff_id: int) -> HandoffView | None: ...

    def by_reference(self, reference: str) -> HandoffView | None: ...

    def open_for(self, conversation: str) -> HandoffView | None:
        """The conversation's handoff that is not resolved yet (there is at most one)."""
        ...

    def open_ones(self) -> list[HandoffView]:
        """The open handoffs: those waiting first, longest-waiting first; then those being handled."""
        ...

    def add(
        self,
        conversation: str,
        channel: str,
        language: str,
        reason: Reason,
        tracking_numbers: Sequence[str],
        requested_at: datetime,
        reference: str,
        answer_due_on: date,
    ) -> HandoffView:
        """A new waiting handoff; raises DuplicateHandoff when the conversation has an open one (or, once in
        a great while, when its reference is taken)."""
        ...

    def assign(self, handoff_id: int, agent_id: int, at: datetime) -> bool:
        """Give a waiting handoff to the agent, in one conditional update; False if it was not waiting."""
        ...

    def replied(self, handoff_id: int, at: datetime) -> bool:
        """Record an agent's first message to the shopper; False if one was recorded before."""
        ...

    def close(self, handoff_id: int, at: datetime) -> bool:
        """Resolve an assigned handoff, in one conditional update; False if it was not assigned."""
        ...

    def add_note(self, handoff_id: int, author_id: int, text: str, at: datetime) -> None: ...

    def notes(self, handoff_id: int) -> list[NoteView]:
        """The handoff's notes, oldest first."""
        ...

    def log(self, staff_id: int, action: str, at: datetime, handoff_id: int | None, detail: str | None) -> None: ...

    def actions(self, handoff_id: int) -> list[ActionView]:
        """What agents did on the handoff, oldest first."""
        ...


def claim_view(row: Claim) -> ClaimView:
    return ClaimView(
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


def transition_view(row: ClaimTransition) -> TransitionView:
    return TransitionView(
        at=row.at,
        actor_kind=ActorKind(row.actor_kind),
        actor=row.actor,
        from_status=None if row.from_status is None else ClaimStatus(row.from_status),
        to_status=ClaimStatus(row.to_status),
        note=row.note,
    )


class SqlParcels:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, tracking_number: str) -> Parcel | None:
        found = queries.shipment_with_events(self._session, tracking_number)
        return None if found is None else _parcel(*found)

    def find(self, tracking_numbers: Collection[str]) -> dict[str, Parcel]:
        rows = queries.shipments_by_number(self._session, tracking_numbers)
        found = queries.facts_with_events(self._session, rows)
        return {row.tracking_number: _parcel(row, *found[row.tracking_number]) for row in rows}


def _parcel(row: Shipment, facts: ShipmentFacts, events: list[Event]) -> Parcel:
    return Parcel(
        id=row.id,
        facts=facts,
        events=events,
        order_key=queries.order_key(row.tracking_number, row.order_ref),
        customer_phone=row.customer.phone if row.customer is not None else None,
    )


class SqlClaims:
    """The claims of one transaction. A claim's row is read once and kept for the rest of it (a lock, when
    asked for, is still taken by a read of its own)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._rows: dict[str, Claim] = {}

    def _row(self, reference: str, for_update: bool = False) -> Claim | None:
        if for_update or reference not in self._rows:
            row = queries.claim_by_reference(self._session, reference, for_update=for_update)
            if row is None:
                return None
            self._rows[reference] = row
        return self._rows[reference]

    def for_orders(self, order_keys: Collection[str]) -> dict[str, ClaimView]:
        return {key: claim_view(row) for key, row in queries.claims_for_orders(self._session, order_keys).items()}

    def get(self, reference: str, for_update: bool = False) -> ClaimView | None:
        row = self._row(reference, for_update)
        return None if row is None else claim_view(row)

    def page(self, status: ClaimStatus | None, limit: int, offset: int) -> tuple[list[ClaimView], int]:
        rows, total = queries.claims_page(self._session, None if status is None else str(status), limit, offset)
        return [claim_view(row) for row in rows], total

    def add(self, claim: ClaimView, shipment_id: int) -> None:
        row = Claim(
            reference=claim.reference,
            order_key=claim.order_key,
            shipment_id=shipment_id,
            tracking_number=claim.tracking_number,
            status=str(claim.status),
            amount=claim.amount,
            currency=claim.currency,
            form=claim.form,
            grant=claim.grant,
            days_late=claim.days_late,
            policy_version=claim.policy_version,
            channel=claim.channel,
            verified_by=claim.verified_by,
            note=claim.note,
            requested_at=claim.requested_at,
            updated_at=claim.updated_at,
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError as error:
            raise DuplicateClaim(claim.order_key) from error
        self._rows[claim.reference] = row

    def update(self, claim: ClaimView) -> None:
        row = self._row(claim.reference)
        if row is None:
            raise LookupError(claim.reference)
        row.status, row.note, row.updated_at = str(claim.status), claim.note, claim.updated_at
        self._session.flush()

    def record(self, reference: str, step: TransitionView) -> None:
        row = self._row(reference)
        if row is None:
            raise LookupError(reference)
        self._session.add(
            ClaimTransition(
                claim_id=row.id,
                at=step.at,
                actor_kind=str(step.actor_kind),
                actor=step.actor[:254],
                from_status=None if step.from_status is None else str(step.from_status),
                to_status=str(step.to_status),
                note=step.note,
            )
        )
        self._session.flush()

    def history(self, reference: str) -> tuple[TransitionView, ...]:
        row = self._row(reference)
        return (
            () if row is None else tuple(transition_view(step) for step in queries.claim_history(self._session, row.id))
        )
