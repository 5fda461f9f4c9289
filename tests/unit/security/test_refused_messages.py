"""Class 2, in the actions: a message a channel refused (too long, or media without text) is answered in the
conversation's language, is never a try at the postal code, and never counts towards a handoff."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.compensation import ValidateClaimForm
from actions.conversation import ActionReadMessage
from actions.handoff import fallbacks_in_a_row
from actions.tracking import ActionFallback
from bot.screening import MEDIA, TOO_LONG, refused


def conversation(text: str, metadata: dict[str, Any], slots: dict[str, Any] | None = None, past: int = 0) -> Tracker:
    latest = {"text": text, "intent": {"name": "nlu_fallback"}, "entities": [], "metadata": metadata}
    earlier = [{"event": "user", "text": "???", "parse_data": {"intent": {"name": "nlu_fallback"}}}] * past
    return Tracker(
        sender_id="rest:shopper",
        slots=slots or {},
        latest_message=latest,
        events=[*earlier, {"event": "user", "text": text, "metadata": metadata, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_a_too_long_message_is_answered_and_brings_no_person() -> None:
    text, metadata = refused(TOO_LONG, "where is my parcel LP00012345678901 " * 100)
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, conversation(text, metadata, past=1), {})
    assert dispatcher.messages[0]["response"] == "utter_message_too_long" and events == []
    assert fallbacks_in_a_row(conversation(text, metadata, past=1)) == 1  # only the earlier one counts


async def test_media_without_text_is_answered() -> None:
    text, metadata = refused(MEDIA, "", {"media": 1})
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, conversation(text, metadata), {})
    assert dispatcher.messages[0]["response"] == "utter_media_not_read"


async def test_the_language_comes_from_the_excerpt_and_no_number_is_taken_from_it() -> None:
    text, metadata = refused(TOO_LONG, "hello, where is my parcel LP00012345678901? " * 50)
    events = await ActionReadMessage().run(CollectingDispatcher(), conversation(text, metadata), {})
    assert events == [SlotSet("language", "en")]


async def test_a_refused_message_is_not_a_try_at_the_postal_code() -> None:
    text, metadata = refused(TOO_LONG, "1" * 2000)
    dispatcher = CollectingDispatcher()
    slots = {"claim_number": "LP00012345678901", "postal_code_attempts": 1.0}
    result = await ValidateClaimForm().validate_postal_code(text, dispatcher, conversation(text, metadata, slots), {})
    assert result == {"postal_code": None}
    assert dispatcher.messages[0]["response"] == "utter_message_too_long"


async def test_metadata_a_caller_writes_does_not_make_a_message_refused() -> None:
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, conversation("asdfgh", {"refused": TOO_LONG}), {})
    assert dispatcher.messages[0]["response"] != "utter_message_too_long"
