"""Reading every shopper message: the language it is written in and the parcels it names."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import refusal_of
from parcels.language import detect_language, language_hint
from parcels.tracking_numbers import find_tracking_numbers


class ActionReadMessage(Action):
    """The custom slot mapping of ``language`` and ``tracking_numbers``, run on every user turn."""

    def name(self) -> str:
        return "action_read_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        refused = refusal_of(tracker) is not None
        if refused:  # a message the channel did not let through: its language from its excerpt, nothing else
            text = str((message.get("metadata") or {}).get("excerpt") or "")
        events: list[EventType] = []
        language = detect_language(text)
        if language is None and tracker.get_slot("language") is None:
            metadata = message.get("metadata") or {}
            language = language_hint(metadata.get("language"))
        if language is not None and language != tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        numbers = [] if refused else [candidate.number for candidate in find_tracking_numbers(text) if candidate.valid]
        if numbers and numbers != tracker.get_slot("tracking_numbers"):
            events.append(SlotSet("tracking_numbers", numbers))
        return events
