"""Class 4: every parcel state has an answer. For any shipment and any event history (none, out of order,
every stage, exclusions, holidays, any moment), "where is my parcel?" and "am I owed compensation?" are
answered in both languages on every channel, and so is every notification and claim message it can lead to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.compensation import ActionExplainPromise
from actions.tracking import ActionTrackParcel
from notifications.detect import _claim_variables, _variables, kind_of
from parcels.check import PromiseAnswer, promise_message
from parcels.claims import ClaimOutcome, ClaimResult, ClaimStatus, ClaimView, claim_message
from parcels.promise import PromiseDecision, decide
from parcels.shipments import register_shipments
from parcels.status import Event, ShipmentFacts, summarize
from parcels.storage.models import Claim
from parcels.storage.unit_of_work import SqlUnitOfWork
from parcels.track import Finding, TrackAnswer, answer_message
from templates.manifest import manifest, typed
from templates.renderer import render_message, set_source_provider
from tests.factories import shipment_record
from tests.strategies import DAY, POLICY, PROPERTY, facts, histories, shipments
from tests.trackers import shopper_says

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

LOCALES = ("es", "en")


def rendered_everywhere(message: str, variables: dict[str, object]) -> None:
    """The message renders, non-empty, on each of its channels in each language."""
    for channel in manifest()[message]["channels"]:
        for locale in LOCALES:
            text = render_message(message, channel, locale, variables)
            assert text.strip(), f"{message}/{channel}/{locale} rendered nothing for {variables}"


def a_claim(number: str, status: ClaimStatus, amount: Decimal, form: str, at: datetime) -> ClaimView:
    return ClaimView(
        reference="C-7K3M9Q2X",
        tracking_number=number,
        order_key=number,
        status=status,
        amount=amount,
        currency="EUR",
        form=form,
        grant="automatic",
        days_late=3,
        policy_version="1",
        channel="web",
        verified_by="postal_code",
        note=None,
        requested_at=at,
        updated_at=at,
    )


def claim_views(shipment: ShipmentFacts) -> st.SearchStrategy[ClaimView | None]:
    return st.none() | st.builds(
        a_claim,
        st.just(shipment.tracking_number),
        st.sampled_from(list(ClaimStatus)),
        st.sampled_from([Decimal("1.00"), Decimal("10.00"), Decimal("2.50")]),
        st.sampled_from(["coupon", "refund"]),
        st.just(shipment.paid_at + timedelta(days=20)),
    )


def claim_result(decision: PromiseDecision, claim: ClaimView | None, verified: bool) -> ClaimResult:
    """What a claim for this decision comes to, as ``parcels.claims.make_claim`` decides it."""
    number = decision.tracking_number
    if not verified:
        return ClaimResult(ClaimOutcome.NOT_VERIFIED, number)
    if claim is not None:
        return ClaimResult(ClaimOutcome.EXISTING, number, decision, claim)
    if decision.owed is None:
        return ClaimResult(ClaimOutcome.NOT_OWED, number, decision)
    if not decision.claimable:
        return ClaimResult(ClaimOutcome.WINDOW_CLOSED, number, decision)
    owed = decision.owed
    created = a_claim(number, ClaimStatus.REQUESTED, owed.amount, str(owed.form), decision.deadline_at)
    return ClaimResult(ClaimOutcome.CREATED, number, decision, created)


@PROPERTY
@given(data=st.data(), shipment=shipments(), now_minutes=st.integers(-1 * DAY, 80 * DAY))
def test_both_questions_are_answered_in_both_languages_on_every_channel(
    data: st.DataObject, shipment: ShipmentFacts, now_minutes: int
) -> None:
    events: list[Event] = data.draw(st.one_of(st.just([]), histories(shipment)))
    now = max(shipment.paid_at, shipment.paid_at + timedelta(minutes=now_minutes))

    status = summarize(shipment, list(reversed(events)), now)
    message, variables = answer_message(TrackAnswer(shipment.tracking_number, Finding.FOUND, status))
    rendered_everywhere(message, variables)

    decision = decide(shipment, events, POLICY, now)
    claim = data.draw(claim_views(shipment))
    message, variables = promise_message(PromiseAnswer(shipment.tracking_number, Finding.FOUND, decision, claim))
    rendered_everywhere(message, variables)

    rendered_everywhere(*claim_message(claim_result(decision, claim, verified=data.draw(st.booleans()))))

    kind = kind_of(decision, status.delivered_at is not None)
    if kind is not None:  # what the notifier stores (JSON) and renders back, as the dispatcher does
        rendered_everywhere(str(kind), typed(_variables(decision, POLICY, status.delivered_at)))


@PROPERTY
@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
    form=st.sampled_from(["coupon", "refund"]),
)
def test_a_granted_compensation_is_told_in_both_languages_on_every_channel(amount: Decimal, form: str) -> None:
    claim = Claim(tracking_number="LP00012345678901", amount=amount, currency="EUR", form=form, reference="C-7K3M9Q2X")
    rendered_everywhere("compensation_granted", typed(_claim_variables(claim)))


def test_a_late_parcel_never_handed_over_is_answered() -> None:
    """The case that answered nothing: late, and not a single tracking event."""
    shipment = facts(datetime(2026, 11, 1, 10, tzinfo=UTC))
    status = summarize(shipment, [], shipment.deadline_at + timedelta(days=3))
    message, variables = answer_message(TrackAnswer(shipment.tracking_number, Finding.FOUND, status))
    assert variables["progress"] == "late" and variables["stage"] is None
    for locale, word in (("es", "retraso"), ("en", "late")):
        for channel in ("web", "whatsapp", "sms"):
            assert word in render_message(message, channel, locale, variables)


async def test_the_assistant_answers_about_a_late_parcel_never_handed_over(db: Engine) -> None:
    paid = datetime.now(UTC) - timedelta(days=30)
    register_shipments(UOW, [shipment_record(paid_at=paid.isoformat())])
    for language, late in (("es", "retraso"), ("en", "late")):
        answers = {}
        for action in (ActionTrackParcel(), ActionExplainPromise()):
            dispatcher = CollectingDispatcher()
            await action.run(dispatcher, tracker("LP00012345678901", {"language": language}), {})
            [message] = dispatcher.messages
            answers[action.name()] = message["text"]
        assert late in answers["action_track_parcel"]
        assert "LP00012345678901" in answers["action_explain_promise"]
        assert "€" in answers["action_explain_promise"]  # 30 days late: the top tier is owed


def test_a_published_version_that_breaks_on_a_case_falls_back_to_the_shipped_file() -> None:
    broken = "{{ words_that_do_not_exist.stage }}"
    previous = set_source_provider(lambda message, channel, locale: broken)
    try:
        shipment = facts(datetime(2026, 11, 1, 10, tzinfo=UTC))
        status = summarize(shipment, [], shipment.deadline_at + timedelta(days=3))
        _, variables = answer_message(TrackAnswer(shipment.tracking_number, Finding.FOUND, status))
        assert "late" in render_message("parcel_status", "web", "en", variables)
    finally:
        set_source_provider(previous)


async def test_a_message_that_cannot_be_rendered_still_gets_an_answer(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_shipments(UOW, [shipment_record()])

    def failing(*_: object) -> str:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("actions.replies.render_message", failing)
    dispatcher = CollectingDispatcher()
    await ActionTrackParcel().run(dispatcher, tracker("LP00012345678901", {"language": "en"}), {})
    assert dispatcher.messages[0]["response"] == "utter_answer_unavailable"


def tracker(text: str, slots: dict[str, object]) -> Tracker:
    return shopper_says("track_parcel", text, dict(slots), sender="rest:shopper-1")
