"""Handing the conversation to customer-service agents: record it, tell the shopper, pause the assistant.

While the conversation is paused Rasa still logs what the shopper writes (the agent reads it
in the console) but predicts nothing; the agent's hand-back resumes it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.replies import language_of, say
from actions.storage import UNIT_OF_WORK
from parcels.agent_hours import current_agent_hours
from parcels.handoffs import Reason, request_handoff

log = logging.getLogger(__name__)

REASON_OF_INTENT = {"human_handoff": Reason.ASKED, "dispute_claim": Reason.DISPUTE}


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: Reason) -> list[EventType]:
    now = datetime.now(UTC)
    try:
        handoff, _ = await asyncio.to_thread(
            request_handoff,
            UNIT_OF_WORK,
            tracker.sender_id,
            tracker.get_latest_input_channel() or "rest",
            language_of(tracker),
            reason,
            tracker.get_slot("tracking_numbers") or [],
            now,
        )
    except SQLAlchemyError:
        # Nobody could be told: the assistant keeps answering rather than fall silent.
        log.exception("could not record a handoff for %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return []
    hours = current_agent_hours()
    variables = {
        "reason": str(reason),
        "open": hours.is_open(now),
        "back_at": None if hours.is_open(now) else hours.next_opening(now),
        "time_zone": hours.time_zone.key,
        "reference": handoff.reference,
        "answer_due_on": handoff.answer_due_on,
    }
    say(dispatcher, tracker, "handoff", variables)
    return [ConversationPaused()]


class ActionHandoff(Action):
    """The shopper asked for a person, or disputes a claim's decision."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return await hand_over(dispatcher, tracker, REASON_OF_INTENT.get(intent or "", Reason.ASKED))


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the shopper's latest messages in a row the assistant could not place in any intent
    (since any hand-back). An off-topic message was understood, and answered with what the assistant
    can do: it neither counts nor breaks the run."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "resume":
            break
        if event.get("event") != "user" or (event.get("metadata") or {}).get("refused"):
            continue  # a message the channel refused (too long, media) was neither understood nor not
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "out_of_scope":
            continue
        if intent != "nlu_fallback":
            break
        count += 1
    return count
