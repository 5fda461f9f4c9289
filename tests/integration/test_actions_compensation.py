"""The compensation and claim actions against tracker fixtures, on the real test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.compensation import (
    ActionAskClaimConfirmed,
    ActionExplainPromise,
    ActionStartClaim,
    ActionSubmitClaim,
    ValidateClaimForm,
)
from actions.tracking import ActionTrackParcel
from parcels.claims import list_claims
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.signatures import WHATSAPP_SENDER, sign
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.trackers import shopper_says

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

LATE = "LP00012345678901"  # CHOICE_9 delivered 5 days late: 3,00 € coupon, granted automatically
STANDARD_LATE = "LP00012345678902"  # STANDARD, on application
ON_TIME = "LP00012345678903"


IDENTITY_SECRET = "identity-secret-for-tests"


def tracker(
    text: str,
    slots: dict[str, Any] | None = None,
    channel: str = "rest",
    sender: str = "shopper-1",
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    return shopper_says("claim_compensation", text, slots, channel, metadata, sender)


@pytest.fixture
def parcels(db: Engine) -> None:
    now = datetime.now(UTC)
    register_shipments(
        UOW,
        [
            shipment_record(LATE, order_ref="A", paid_at=(now - timedelta(days=20)).isoformat()),
            shipment_record(
                STANDARD_LATE,
                order_ref="B",
                product="STANDARD",
                paid_at=(now - timedelta(days=40)).isoformat(),
                customer_phone="+34699000111",
            ),
            shipment_record(ON_TIME, order_ref="C", paid_at=(now - timedelta(days=8)).isoformat()),
        ],
    )
    ingest_events(
        UOW,
        [
            event_record("a-1", "GTMS_SIGNED", (now - timedelta(days=6)).isoformat(), LATE),
            event_record("a-2", "GTMS_SIGNED", (now - timedelta(days=2)).isoformat(), STANDARD_LATE),
            event_record("a-3", "GTMS_SIGNED", (now - timedelta(days=1)).isoformat(), ON_TIME),
        ],
        received_at=now,
    )


async def run(action: Any, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, events


async def test_the_promise_is_explained_with_its_outcome_and_amount(parcels: None) -> None:
    messages, events = await run(
        ActionExplainPromise(), tracker(f"me corresponde algo por {LATE}?", {"language": "es"})
    )
    [text] = [m["text"] for m in messages]
    assert "9 días naturales desde tu pago" in text
    assert "Promesa incumplida" in text and "5 días tarde" in text
    assert "3,00\xa0€ en un cupón" in text  # Babel puts a no-break space before the sign
    assert "Se abona automáticamente" in text
    assert SlotSet("tracking_numbers", [LATE]) in events

    messages, _ = await run(
        ActionExplainPromise(), tracker("do I get anything?", {"language": "en", "tracking_numbers": [ON_TIME]})
    )
    assert "Promise kept" in messages[0]["text"]


async def test_asked_without_a_number_it_asks_then_explains_when_the_number_comes(parcels: None) -> None:
    messages, events = await run(ActionExplainPromise(), tracker("me corresponde compensacion?"))
    assert messages[0]["response"] == "utter_ask_tracking_number"
    assert events == [SlotSet("pending_request", "compensation")]
    messages, events = await run(ActionTrackParcel(), tracker(STANDARD_LATE, {"pending_request": "compensation"}))
    assert "Para recibirla tienes que reclamarla" in messages[0]["text"]
    assert SlotSet("pending_request", None) in events


async def test_a_claim_starts_only_when_there_is_something_to_claim(parcels: None) -> None:
    _, events = await run(ActionStartClaim(), tracker(f"quiero reclamar {STANDARD_LATE}"))
    assert SlotSet("claim_ready", True) in events
    assert SlotSet("claim_number", STANDARD_LATE) in events

    messages, events = await run(ActionStartClaim(), tracker("quiero reclamarla", {"tracking_numbers": [ON_TIME]}))
    assert SlotSet("claim_ready", False) in events
    assert "Promesa cumplida" in messages[0]["text"]

    messages, events = await run(ActionStartClaim(), tracker("quiero reclamar"))
    assert messages[0]["response"] == "utter_ask_tracking_number"
    assert SlotSet("pending_request", "claim") in events

    messages, events = await run(ActionStartClaim(), tracker(f"reclamar {LATE} y {STANDARD_LATE}"))
    assert messages[0]["response"] == "utter_ask_which_parcel"
    assert SlotSet("claim_ready", False) in events


async def test_the_postal_code_must_match_with_three_tries(parcels: None) -> None:
    form = ValidateClaimForm()
    slots = {"claim_number": STANDARD_LATE}
    dispatcher = CollectingDispatcher()
    assert await form.validate_postal_code("es el 28013", dispatcher, tracker("28013", slots), {}) == {
        "postal_code": "28013"
    }
    assert dispatcher.messages == []

    wrong = await form.validate_postal_code("08001", dispatcher, tracker("08001", slots), {})
    assert wrong == {"postal_code": None, "postal_code_attempts": 1.0}
    assert dispatcher.messages[0]["response"] == "utter_postal_code_mismatch"
    last = await form.validate_postal_code(
        "08001", dispatcher, tracker("08001", {**slots, "postal_code_attempts": 2.0}), {}
    )
    assert last == {"postal_code": "08001", "postal_code_attempts": 3.0}
    gave_up = tracker("x", {**slots, "postal_code_attempts": 3.0})
    assert await form.required_slots(["postal_code", "claim_confirmed"], dispatcher, gave_up, {}) == []


async def test_saying_no_instead_of_the_postal_code_ends_the_claim(parcels: None) -> None:
    form = ValidateClaimForm()
    said_no = tracker("no, déjalo", {"claim_number": STANDARD_LATE})
    said_no.latest_message["intent"] = {"name": "deny"}
    dispatcher = CollectingDispatcher()
    result = await form.validate_postal_code("no, déjalo", dispatcher, said_no, {})
    assert result == {"postal_code": None, "claim_confirmed": False}
    assert dispatcher.messages == []
    done = tracker("no", {"claim_number": STANDARD_LATE, "claim_confirmed": False})
    assert await form.required_slots(["postal_code", "claim_confirmed"], dispatcher, done, {}) == []


def signed(sender: str, sid: str = "SM" + "1" * 32, secret: str = IDENTITY_SECRET) -> dict[str, Any]:
    """The metadata the WhatsApp connector gives a message it received signed by Twilio."""
    proof = sign(secret, WHATSAPP_SENDER, sender, sid)
    return {"channel": "whatsapp", "phone": sender.removeprefix("whatsapp:"), "message_sid": sid, "identity": proof}


async def test_whatsapps_verified_number_replaces_the_postal_code(
    parcels: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_IDENTITY_SECRET", IDENTITY_SECRET)
    form = ValidateClaimForm()
    slots = ["postal_code", "claim_confirmed"]
    claim = {"claim_number": STANDARD_LATE}

    async def asked(sender: str, metadata: dict[str, Any] | None, channel: str = "whatsapp") -> list[str]:
        return await form.required_slots(
            slots, CollectingDispatcher(), tracker("sí", claim, channel, sender, metadata), {}
        )

    own = "whatsapp:+34699000111"
    assert await asked(own, signed(own)) == ["claim_confirmed"]
    assert await asked("whatsapp:+34600000000", signed("whatsapp:+34600000000")) == slots  # not the customer
    assert await asked(own, None) == slots  # the channel's name proves nothing
    assert await asked(own, signed(own, secret="another secret")) == slots  # a proof we did not make
    assert await asked(own, {**signed(own), "message_sid": "SM" + "2" * 32}) == slots  # another message's
    assert await asked(f"rest:{own}", signed(own), "rest") == slots  # a REST caller copying it
    assert await asked("+34699000111", None, "rest") == slots  # typed on the web
    monkeypatch.delenv("CHANNEL_IDENTITY_SECRET")
    assert await asked(own, signed(own)) == slots  # no secret configured: nobody is verified by phone


async def test_confirmed_claims_are_filed_once(parcels: None) -> None:
    slots = {"claim_number": STANDARD_LATE, "postal_code": "28013", "language": "en"}
    messages, _ = await run(ActionAskClaimConfirmed(), tracker("", slots))
    assert "€5.00 as a coupon" in messages[0]["text"]  # more than 7 days late

    messages, events = await run(ActionSubmitClaim(), tracker("yes", {**slots, "claim_confirmed": True}))
    assert "Done. Your claim C-" in messages[0]["text"]
    assert "We will review it" in messages[0]["text"]
    assert SlotSet("claim_ready", False) in events
    messages, _ = await run(ActionSubmitClaim(), tracker("yes", {**slots, "claim_confirmed": True}))
    assert "There is already a claim for this order" in messages[0]["text"]
    assert list_claims(UOW)[1] == 1


async def test_a_denied_or_unverified_claim_files_nothing(parcels: None) -> None:
    slots = {"claim_number": STANDARD_LATE, "postal_code": "28013"}
    messages, _ = await run(ActionSubmitClaim(), tracker("no", {**slots, "claim_confirmed": False}))
    assert messages[0]["response"] == "utter_claim_cancelled"
    wrong = {"claim_number": STANDARD_LATE, "postal_code": "08001", "postal_code_attempts": 3.0}
    messages, _ = await run(ActionSubmitClaim(), tracker("08001", wrong))
    assert "no coincide con el de la dirección de entrega" in messages[0]["text"]
    assert list_claims(UOW)[1] == 0


async def test_a_database_that_is_down_gets_a_clear_answer(parcels: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*_: Any, **__: Any) -> None:
        raise OperationalError("select", {}, Exception("connection refused"))

    monkeypatch.setattr("actions.compensation.check_candidates", down)
    messages, _ = await run(ActionExplainPromise(), tracker(LATE))
    assert messages[0]["response"] == "utter_tracking_unavailable"
    monkeypatch.setattr("actions.compensation.make_claim", down)
    slots = {"claim_number": STANDARD_LATE, "postal_code": "28013", "claim_confirmed": True}
    messages, _ = await run(ActionSubmitClaim(), tracker("si", slots))
    assert messages[0]["response"] == "utter_tracking_unavailable"
