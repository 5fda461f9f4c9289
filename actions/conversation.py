"""Reading every shopper message: the language it is written in and the parcels it names; and counting it for
the dashboard (``conversation_days``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.replies import refusal_of
from actions.storage import UNIT_OF_WORK
from parcels.agent_hours import current_agent_hours
from parcels.conversation_days import count_message
from parcels.language import DEFAULT_LANGUAGE, detect_language, language_hint, requested_language
from parcels.tracking_numbers import find_tracking_numbers

log = logging.getLogger(__name__)


async def count_for_dashboard(tracker: Tracker, language: str | None) -> None:
    """Count the message; a database that is down loses the count, never the shopper's answer."""
    channel = tracker.get_latest_input_channel() or "rest"
    try:
        zone = current_agent_hours().time_zone
        await asyncio.to_thread(
            count_message, UNIT_OF_WORK, tracker.sender_id, channel, language, datetime.now(UTC), zone
        )
    except SQLAlchemyError as error:
        log.warning("could not count a message for the dashboard: %s", error.__class__.__name__)


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
        asked = (message.get("intent") or {}).get("name") == "switch_language"
        language = (requested_language(text) if asked else None) or detect_language(text)
        if language is None and tracker.get_slot("language") is None:  # a first message that does not tell
            metadata = message.get("metadata") or {}
            language = language_hint(metadata.get("language")) or DEFAULT_LANGUAGE
        if language is not None and language != tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        numbers = [] if refused else [candidate.number for candidate in find_tracking_numbers(text) if candidate.valid]
        if numbers and numbers != tracker.get_slot("tracking_numbers"):
            events.append(SlotSet("tracking_numbers", numbers))
        await count_for_dashboard(tracker, language or tracker.get_slot("language"))
        return events
