"""Actions against tracker fixtures, on the real test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.conversation import ActionReadMessage
from actions.handoff import fallbacks_in_a_row
from actions.tracking import ActionFallback, ActionTrackParcel
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.trackers import shopper_says

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)


def tracker(
    text: str, slots: dict[str, Any] | None = None, channel: str = "rest", metadata: dict | None = None
) -> Tracker:
    return shopper_says("track_parcel", text, slots, channel, metadata)


@pytest.fixture
def parcel(db: Engine) -> str:
    paid = datetime.now(UTC) - timedelta(days=3)
    register_shipments(UOW, [shipment_record(paid_at=paid.isoformat())])
    ingest_events(
        UOW, [event_record("a-1", "EMC", (paid + timedelta(days=2)).isoformat())], received_at=datetime.now(UTC)
    )
    return "LP00012345678901"


async def run(action: Any, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, events


async def test_a_known_parcel_is_answered_in_the_conversations_language(parcel: str) -> None:
    messages, events = await run(ActionTrackParcel(), tracker(f"where is {parcel}", {"language": "en"}))
    [message] = messages
    assert "in international transit (stage 4 of 7)" in message["text"]
    assert "It is on track" in message["text"]
    assert events == [SlotSet("tracking_numbers", [parcel])]

    messages, _ = await run(ActionTrackParcel(), tracker(f"dónde está {parcel}", {"language": "es"}))
    assert "en tránsito internacional (etapa 4 de 7)" in messages[0]["text"]


async def test_several_numbers_are_all_answered(parcel: str) -> None:
    messages, events = await run(ActionTrackParcel(), tracker(f"{parcel} y LP99999999999999 y RR123456784CN"))
    texts = [m["text"] for m in messages]
    assert len(texts) == 3
    assert parcel in texts[0]
    assert "No encuentro ningún envío con el número LP99999999999999" in texts[1]
    assert "RR123456784CN no es válido" in texts[2]
    assert events == [SlotSet("tracking_numbers", [parcel])]


async def test_without_a_number_it_asks_or_uses_the_one_given_before(parcel: str) -> None:
    messages, events = await run(ActionTrackParcel(), tracker("¿cuándo llega?"))
    assert [m["response"] for m in messages] == ["utter_ask_tracking_number"]
    assert events == []
    messages, _ = await run(ActionTrackParcel(), tracker("¿cuándo llega?", {"tracking_numbers": [parcel]}))
    assert parcel in messages[0]["text"]


async def test_the_fallback_still_answers_a_number(parcel: str) -> None:
    messages, _ = await run(ActionFallback(), tracker(f"mmm {parcel} ???"))
    assert parcel in messages[0]["text"]
    messages, _ = await run(ActionFallback(), tracker("asdfgh"))
    assert messages[0]["response"] == "utter_default"


def conversation_of(*intents: str) -> Tracker:
    """A conversation whose shopper messages were placed in these intents, the last one being answered."""
    events = [
        {"event": "user", "text": f"message {i}", "parse_data": {"intent": {"name": name}}}
        for i, name in enumerate(intents)
    ]
    return Tracker(
        sender_id="shopper-1",
        slots={"language": "en"},
        latest_message={"text": events[-1]["text"], "intent": {"name": intents[-1]}, "entities": [], "metadata": {}},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_off_topic_is_answered_with_what_the_assistant_does_and_never_brings_a_person() -> None:
    for intents in (["out_of_scope"], ["out_of_scope", "out_of_scope"], ["nlu_fallback", "out_of_scope"]):
        messages, events = await run(ActionFallback(), conversation_of(*intents))
        assert [m["response"] for m in messages] == ["utter_out_of_scope"] and events == [], intents


async def test_two_messages_in_a_row_placed_nowhere_bring_a_person() -> None:
    messages, _ = await run(ActionFallback(), conversation_of("track_parcel", "nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_default"]
    assert fallbacks_in_a_row(conversation_of("nlu_fallback", "nlu_fallback")) == 2
    assert fallbacks_in_a_row(conversation_of("nlu_fallback", "out_of_scope", "nlu_fallback")) == 2
    assert fallbacks_in_a_row(conversation_of("nlu_fallback", "greet", "nlu_fallback")) == 1


async def test_a_database_that_is_down_gets_a_clear_answer(parcel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*_: Any, **__: Any) -> None:
        raise OperationalError("select", {}, Exception("connection refused"))

    monkeypatch.setattr("actions.tracking.track_candidates", down)
    messages, events = await run(ActionTrackParcel(), tracker(parcel))
    assert messages[0]["response"] == "utter_tracking_unavailable"
    assert events == []


@pytest.mark.parametrize(
    ("text", "slots", "metadata", "expected"),
    [
        (
            "where is my parcel LP00012345678901",
            {},
            {},
            [SlotSet("language", "en"), SlotSet("tracking_numbers", ["LP00012345678901"])],
        ),
        ("hola", {"language": "es"}, {}, []),
        ("ok", {}, {"language": "en-GB"}, [SlotSet("language", "en")]),
        ("ok", {"language": "es"}, {"language": "en-GB"}, []),
        ("RR123456784CN", {}, {}, [SlotSet("language", "es")]),  # a first message that does not tell: the market's
        ("RR123456784CN", {"language": "gl"}, {}, []),
        ("bon dia, on és el meu paquet?", {"language": "es"}, {}, [SlotSet("language", "ca")]),
        ("vale", {"language": "eu"}, {}, []),  # one word several languages share switches nothing
    ],
)
async def test_every_message_is_read_for_its_language_and_numbers(text, slots, metadata, expected) -> None:  # type: ignore[no-untyped-def]
    _, events = await run(ActionReadMessage(), tracker(text, slots, metadata=metadata))
    assert events == expected
