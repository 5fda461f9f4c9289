"""A shopper asking for another language ("en català, si us plau", "in English please"): the conversation is
already in it (``action_read_message`` set it); on WhatsApp, the number the connector vouches for keeps it for
the notifier's later messages too."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.replies import language_of, verified_phone_of
from actions.storage import UNIT_OF_WORK
from parcels.preferences import choose_language

log = logging.getLogger(__name__)


class ActionSwitchLanguage(Action):
    def name(self) -> str:
        return "action_switch_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if phone := verified_phone_of(tracker):
            try:
                await asyncio.to_thread(choose_language, UNIT_OF_WORK, phone, language_of(tracker))
            except SQLAlchemyError as error:  # the conversation has switched; the notifier's language waits
                log.warning("could not store a shopper's language: %s", error.__class__.__name__)
        dispatcher.utter_message(response="utter_language_switched")
        return []
