"""Claims on the real database: verified, idempotent per order, moved on by the back office."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from parcels.check import check_candidates
from parcels.claims import (
    Actor,
    ActorKind,
    ClaimNotFound,
    ClaimOutcome,
    ClaimStatus,
    InvalidTransition,
    get_claim,
    list_claims,
    make_claim,
    same_phone,
    update_claim,
)
from parcels.ingest import ingest_events
from parcels.promise import Outcome
from parcels.shipments import register_shipments
from parcels.storage.unit_of_work import SqlUnitOfWork
from parcels.tracking_numbers import find_tracking_numbers
from tests.factories import event_record, shipment_record

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

PAID = datetime(2026, 11, 2, 10, tzinfo=UTC)  # CHOICE_9: promised 11 November, Madrid
LATE = "LP00012345678901"
ON_TIME = "LP00012345678902"
SAME_ORDER = "LP00012345678903"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)
BACK_OFFICE = Actor(ActorKind.API_KEY, "BACK_OFFICE_API_KEY")
ANA = Actor(ActorKind.STAFF, "ana@example.com")


@pytest.fixture
def parcels(db: Engine) -> None:
    register_shipments(
        UOW,
        [
            shipment_record(LATE, order_ref="ORD-1", product="CHOICE_9", paid_at=PAID.isoformat()),
            shipment_record(SAME_ORDER, order_ref="ORD-1", product="CHOICE_9", paid_at=PAID.isoformat()),
            shipment_record(ON_TIME, order_ref="ORD-2", paid_at=PAID.isoformat()),
        ],
    )
    ingest_events(
        UOW,
        [
            event_record("c-1", "GTMS_SIGNED", "2026-11-16T10:00:00+01:00", LATE),  # 5 days late
            event_record("c-2", "GTMS_SIGNED", "2026-11-16T10:00:00+01:00", SAME_ORDER),
            event_record("c-3", "GTMS_SIGNED", "2026-11-08T10:00:00+01:00", ON_TIME),
        ],
        received_at=NOW,
    )


def test_a_broken_promise_is_claimed_once_per_order(parcels: None) -> None:
    first = make_claim(UOW, LATE, NOW, "web", postal_code="28013")
    assert first.outcome is ClaimOutcome.CREATED
    assert first.claim is not None
    assert first.claim.amount == Decimal("3.00") and first.claim.currency == "EUR"
    assert first.claim.status is ClaimStatus.APPROVED  # CHOICE_9 grants automatically
    assert first.claim.policy_version == "2026-11-01"
    assert first.claim.reference.startswith("C-") and len(first.claim.reference) == 10

    again = make_claim(UOW, LATE, NOW + timedelta(hours=1), "web", postal_code="28013")
    assert again.outcome is ClaimOutcome.EXISTING
    assert again.claim == first.claim

    other_parcel_same_order = make_claim(UOW, SAME_ORDER, NOW, "web", postal_code="28013")
    assert other_parcel_same_order.outcome is ClaimOutcome.EXISTING
    assert other_parcel_same_order.claim is not None
    assert other_parcel_same_order.claim.reference == first.claim.reference
    assert list_claims(UOW)[1] == 1


def test_only_the_addressee_may_claim(parcels: None) -> None:
    assert make_claim(UOW, LATE, NOW, "web").outcome is ClaimOutcome.NOT_VERIFIED
    assert make_claim(UOW, LATE, NOW, "web", postal_code="08001").outcome is ClaimOutcome.NOT_VERIFIED
    # A number typed into the chat proves nothing; WhatsApp's sender number does.
    assert make_claim(UOW, LATE, NOW, "whatsapp", verified_phone="+34 600 000 000").outcome is (
        ClaimOutcome.NOT_VERIFIED
    )
    result = make_claim(UOW, LATE, NOW, "whatsapp", verified_phone="whatsapp:+34612345678")
    assert result.outcome is ClaimOutcome.CREATED
    assert result.claim is not None and result.claim.verified_by == "phone"
    assert list_claims(UOW)[1] == 1


def test_nothing_to_claim_says_why(parcels: None) -> None:
    result = make_claim(UOW, ON_TIME, NOW, "web", postal_code="28013")
    assert result.outcome is ClaimOutcome.NOT_OWED
    assert result.decision is not None and result.decision.outcome is Outcome.KEPT
    assert make_claim(UOW, "LP99999999999999", NOW, "web", postal_code="28013").outcome is ClaimOutcome.UNKNOWN
    assert list_claims(UOW)[1] == 0


def test_the_claim_window_closes(parcels: None) -> None:
    after_window = datetime(2026, 12, 12, tzinfo=UTC)  # promised 11 November + 30 days, then midnight in Madrid
    result = make_claim(UOW, LATE, after_window, "web", postal_code="28013")
    assert result.outcome is ClaimOutcome.WINDOW_CLOSED
    assert list_claims(UOW)[1] == 0


def test_the_check_shows_an_existing_claim(parcels: None) -> None:
    make_claim(UOW, LATE, NOW, "web", postal_code="28013")
    answers = check_candidates(SqlUnitOfWork(), find_tracking_numbers(f"{LATE} {SAME_ORDER} {ON_TIME}"), NOW)
    assert [a.claim is not None for a in answers] == [True, True, False]


def test_the_back_office_moves_claims_forward_only(parcels: None) -> None:
    standard = "LP00012345678904"
    register_shipments(
        UOW, [shipment_record(standard, order_ref="ORD-3", product="STANDARD", paid_at=PAID.isoformat())]
    )
    ingest_events(UOW, [event_record("c-4", "GTMS_SIGNED", "2026-12-01T10:00:00+01:00", standard)], received_at=NOW)
    claim = make_claim(UOW, standard, datetime(2026, 12, 2, tzinfo=UTC), "web", postal_code="28013").claim
    assert claim is not None and claim.status is ClaimStatus.REQUESTED  # STANDARD is on application

    approved = update_claim(UOW, claim.reference, ClaimStatus.APPROVED, NOW, BACK_OFFICE, note="checked").claim
    assert approved.status is ClaimStatus.APPROVED and approved.note == "checked"
    again = update_claim(UOW, claim.reference, ClaimStatus.APPROVED, NOW, BACK_OFFICE)  # no-op
    assert again.claim.status is ClaimStatus.APPROVED and len(again.history) == 2
    paid = update_claim(UOW, claim.reference, ClaimStatus.PAID, LATER, ANA).claim
    assert paid.status is ClaimStatus.PAID
    with pytest.raises(InvalidTransition, match="a paid claim cannot become rejected"):
        update_claim(UOW, claim.reference, ClaimStatus.REJECTED, NOW, ANA)
    with pytest.raises(ClaimNotFound):
        update_claim(UOW, "C-NOPE", ClaimStatus.PAID, NOW, ANA)
    claims, total = list_claims(UOW, ClaimStatus.PAID)
    assert total == 1 and claims[0].reference == claim.reference

    history = get_claim(UOW, claim.reference).history
    assert [(step.actor_kind, step.actor, step.from_status, step.to_status, step.note) for step in history] == [
        (ActorKind.SHOPPER, "web", None, ClaimStatus.REQUESTED, None),
        (ActorKind.API_KEY, "BACK_OFFICE_API_KEY", ClaimStatus.REQUESTED, ClaimStatus.APPROVED, "checked"),
        (ActorKind.STAFF, "ana@example.com", ClaimStatus.APPROVED, ClaimStatus.PAID, None),
    ]
    assert history[-1].at == LATER


def test_a_note_without_a_change_of_status_is_a_step_of_its_own(parcels: None) -> None:
    claim = make_claim(UOW, LATE, NOW, "whatsapp", postal_code="28013").claim
    assert claim is not None and claim.status is ClaimStatus.APPROVED  # CHOICE_9 grants automatically
    detail = update_claim(UOW, claim.reference, ClaimStatus.APPROVED, LATER, ANA, note="called the shopper")
    assert [(step.actor_kind, step.from_status, step.to_status) for step in detail.history] == [
        (ActorKind.SHOPPER, None, ClaimStatus.REQUESTED),
        (ActorKind.SYSTEM, ClaimStatus.REQUESTED, ClaimStatus.APPROVED),
        (ActorKind.STAFF, ClaimStatus.APPROVED, ClaimStatus.APPROVED),
    ]
    assert detail.history[1].actor.startswith("policy ") and detail.history[2].note == "called the shopper"
    assert detail.as_dict()["history"][2] == {
        "at": LATER.isoformat(),
        "actor_kind": "staff",
        "actor": "ana@example.com",
        "from": "approved",
        "to": "approved",
        "note": "called the shopper",
    }


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("whatsapp:+34612345678", "+34 612 34 56 78", True),
        ("+34612345678", "+34612345679", False),
        ("", "", False),
        (None, "+34612345678", False),
    ],
)
def test_phone_numbers_are_compared_by_their_digits(a: str | None, b: str | None, same: bool) -> None:
    assert same_phone(a, b) is same
