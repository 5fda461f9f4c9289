"""The claims use cases on the in-memory unit of work: made once per order, verified, moved on, every step kept."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from parcels.check import check_candidates
from parcels.claim_records import Actor, ActorKind, ClaimStatus, Parcel
from parcels.claims import (
    ClaimNotFound,
    ClaimOutcome,
    InvalidTransition,
    claimant_verification,
    get_claim,
    list_claims,
    make_claim,
    update_claim,
)
from parcels.promise import Outcome
from parcels.storage.memory import MemoryUnitOfWork
from parcels.storage.repositories import DuplicateClaim
from parcels.storage.unit_of_work import Repositories
from parcels.track import Finding, track_candidates
from parcels.tracking_numbers import find_tracking_numbers
from tests.strategies import PAID, event, facts

SIGNED = datetime(2026, 12, 10, 10, tzinfo=UTC)  # CHOICE_9 paid 27 November: promised 6 December, 4 days late
NOW = datetime(2026, 12, 11, 9, tzinfo=UTC)
PAID_STANDARD = datetime(2026, 11, 2, 10, tzinfo=UTC)  # STANDARD: long late by 10 December
ANA = Actor(ActorKind.STAFF, "ana@example.com")


def parcel(number: str, product: str = "CHOICE_9", order: str = "ORD-1", shipment_id: int = 1) -> Parcel:
    paid = PAID_STANDARD if product == "STANDARD" else PAID
    shipment = dataclasses.replace(facts(paid, product=product), tracking_number=number)
    return Parcel(shipment_id, shipment, [event("GTMS_SIGNED", SIGNED)], order, "+34612345678")


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    for p in (
        parcel("LP00012345678901"),
        parcel("LP00012345678902", order="ORD-1", shipment_id=2),  # the same order
        parcel("LP00012345678903", product="STANDARD", order="ORD-2", shipment_id=3),
    ):
        uow.state.parcels[p.facts.tracking_number] = p
    return uow


def test_an_automatic_grant_is_made_and_approved_by_the_policy(uow: MemoryUnitOfWork) -> None:
    result = make_claim(uow, "LP00012345678901", NOW, "web", postal_code="28 013")
    assert result.outcome is ClaimOutcome.CREATED and result.claim is not None
    assert result.claim.status is ClaimStatus.APPROVED and result.claim.days_late == 4
    steps = get_claim(uow, result.claim.reference).history
    assert [(s.actor_kind, s.actor, s.from_status, s.to_status) for s in steps] == [
        (ActorKind.SHOPPER, "web", None, ClaimStatus.REQUESTED),
        (ActorKind.SYSTEM, f"policy {result.claim.policy_version}", ClaimStatus.REQUESTED, ClaimStatus.APPROVED),
    ]


def test_one_claim_per_order_whichever_parcel_asks(uow: MemoryUnitOfWork) -> None:
    first = make_claim(uow, "LP00012345678901", NOW, "web", postal_code="28013")
    again = make_claim(uow, "LP00012345678902", NOW, "whatsapp", verified_phone="whatsapp:+34 612 345 678")
    assert again.outcome is ClaimOutcome.EXISTING and again.claim == first.claim
    assert list_claims(uow)[1] == 1


def test_who_is_not_shown_to_be_the_addressee_claims_nothing(uow: MemoryUnitOfWork) -> None:
    assert make_claim(uow, "LP00012345678901", NOW, "web", postal_code="08001").outcome is ClaimOutcome.NOT_VERIFIED
    typed = make_claim(uow, "LP00012345678901", NOW, "web", verified_phone="+34 600 000 000")
    assert typed.outcome is ClaimOutcome.NOT_VERIFIED
    assert make_claim(uow, "LP09999999999999", NOW, "web", postal_code="28013").outcome is ClaimOutcome.UNKNOWN
    assert claimant_verification(uow, "LP00012345678901", "28013") == "postal_code"
    assert claimant_verification(uow, "LP00012345678901", None, "+34612345678") == "phone"
    assert claimant_verification(uow, "LP09999999999999", "28013") is None
    assert list_claims(uow)[1] == 0


def test_the_back_office_moves_a_claim_forward_only_and_each_step_is_kept(uow: MemoryUnitOfWork) -> None:
    claim = make_claim(uow, "LP00012345678903", NOW, "web", postal_code="28013").claim
    assert claim is not None and claim.status is ClaimStatus.REQUESTED  # STANDARD is granted on application
    api = Actor(ActorKind.API_KEY, "BACK_OFFICE_API_KEY")
    update_claim(uow, claim.reference, ClaimStatus.APPROVED, NOW + timedelta(hours=1), api, note="checked")
    unchanged = update_claim(uow, claim.reference, ClaimStatus.APPROVED, NOW + timedelta(hours=2), ANA)
    assert len(unchanged.history) == 2 and unchanged.claim.updated_at == NOW + timedelta(hours=1)
    paid = update_claim(uow, claim.reference, ClaimStatus.PAID, NOW + timedelta(hours=3), ANA)
    assert paid.claim.status is ClaimStatus.PAID and paid.claim.note == "checked"
    assert [(s.actor, s.to_status, s.note) for s in paid.history[1:]] == [
        ("BACK_OFFICE_API_KEY", ClaimStatus.APPROVED, "checked"),
        ("ana@example.com", ClaimStatus.PAID, None),
    ]
    commits = uow.commits
    with pytest.raises(InvalidTransition, match="a paid claim cannot become rejected"):
        update_claim(uow, claim.reference, ClaimStatus.REJECTED, NOW, ANA, note="too late")
    assert uow.commits == commits and get_claim(uow, claim.reference) == paid  # nothing kept
    with pytest.raises(ClaimNotFound):
        update_claim(uow, "C-23456789", ClaimStatus.PAID, NOW, ANA)


class BlindOnce(MemoryUnitOfWork):
    """Its first transaction does not see the claim another conversation is committing at that moment."""

    blind = True

    @contextmanager
    def _transaction(self) -> Iterator[Repositories]:
        with super()._transaction() as repos:
            if self.blind:
                self.blind = False
                repos.claims.for_orders = lambda keys: {}  # type: ignore[method-assign]
            yield repos


def test_a_claim_made_at_the_same_moment_elsewhere_is_answered_with_that_claim(uow: MemoryUnitOfWork) -> None:
    elsewhere = make_claim(uow, "LP00012345678902", NOW, "whatsapp", postal_code="28013").claim
    racing = BlindOnce(uow.state)
    result = make_claim(racing, "LP00012345678901", NOW, "web", postal_code="28013")
    assert result.outcome is ClaimOutcome.EXISTING and result.claim == elsewhere
    assert racing.commits == 1 and len(racing.state.claims) == 1  # the losing attempt kept nothing


def test_the_fake_refuses_a_second_claim_for_an_order(uow: MemoryUnitOfWork) -> None:
    claim = make_claim(uow, "LP00012345678901", NOW, "web", postal_code="28013").claim
    assert claim is not None
    with pytest.raises(DuplicateClaim), uow.begin() as repos:
        repos.claims.add(dataclasses.replace(claim, reference="C-23456789"), 2)
    assert list(uow.state.claims) == [claim.reference]


def test_checking_a_parcel_shows_its_promise_and_the_claim_its_order_already_has(uow: MemoryUnitOfWork) -> None:
    numbers = find_tracking_numbers("LP00012345678902 LP99999999999999 RR123456784CN")
    before = check_candidates(uow, numbers, NOW)
    assert [a.finding for a in before] == [Finding.FOUND, Finding.UNKNOWN, Finding.CHECK_DIGIT]
    assert before[0].decision is not None and before[0].decision.outcome is Outcome.BROKEN
    assert before[0].claim is None
    made = make_claim(uow, "LP00012345678901", NOW, "web", postal_code="28013")
    [after] = check_candidates(uow, find_tracking_numbers("LP00012345678902"), NOW)
    assert after.claim == made.claim  # the same order, claimed through its other parcel


def test_tracking_answers_each_number_from_the_parcels_storage_holds(uow: MemoryUnitOfWork) -> None:
    answers = track_candidates(uow, find_tracking_numbers("LP00012345678903 y LP99999999999999"), NOW)
    assert [(a.number, a.finding) for a in answers] == [
        ("LP00012345678903", Finding.FOUND),
        ("LP99999999999999", Finding.UNKNOWN),
    ]
    assert answers[0].status is not None and answers[1].status is None
