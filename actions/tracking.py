"""Where is my parcel? Answers for every number the shopper gave, or asks for one."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.compensation import explain_promises
from actions.handoff import fallbacks_in_a_row, hand_over
from actions.replies import REFUSAL_RESPONSES, refusal_of, say
from actions.storage import UNIT_OF_WORK
from parcels.handoffs import Reason
from parcels.track import Finding, answer_message, track_candidates
from parcels.tracking_numbers import Candidate, find_tracking_numbers

log = logging.getLogger(__name__)


async def answer_parcels(
    dispatcher: CollectingDispatcher, tracker: Tracker, candidates: list[Candidate]
) -> list[EventType]:
    try:
        answers = await asyncio.to_thread(track_candidates, UNIT_OF_WORK, candidates, datetime.now(UTC))
    except SQLAlchemyError:
        log.exception("tracking lookup failed")
        dispatcher.utter_message(response="utter_tracking_unavailable")
        return []
    for answer in answers:
        say(dispatcher, tracker, *answer_message(answer))
    found = [answer.number for answer in answers if answer.finding is Finding.FOUND]
    if found and found != tracker.get_slot("tracking_numbers"):
        return [SlotSet("tracking_numbers", found)]
    return []


class ActionTrackParcel(Action):
    def name(self) -> str:
        return "action_track_parcel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        candidates = find_tracking_numbers(tracker.latest_message.get("text") or "")
        if not candidates:
            candidates = [Candidate(number) for number in tracker.get_slot("tracking_numbers") or []]
        if not candidates:
            dispatcher.utter_message(response="utter_ask_tracking_number")
            return []
        if tracker.get_slot("pending_request"):  # they asked about compensation first, then gave the number
            return await explain_promises(dispatcher, tracker, candidates)
        return await answer_parcels(dispatcher, tracker, candidates)


class ActionFallback(Action):
    """A message the assistant cannot help with (placed nowhere, or out of scope): still answered if it holds
    a tracking number. Off-topic is answered with what the assistant can do, and the conversation goes on;
    the second message in a row placed nowhere brings a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        refused = refusal_of(tracker)
        if refused is not None:  # too long, or media: the shopper is asked for text that can be read
            dispatcher.utter_message(response=REFUSAL_RESPONSES.get(refused, "utter_default"))
            return []
        candidates = find_tracking_numbers(tracker.latest_message.get("text") or "")
        if candidates and tracker.get_slot("pending_request"):
            return await explain_promises(dispatcher, tracker, candidates)
        if candidates:
            return await answer_parcels(dispatcher, tracker, candidates)
        if (tracker.latest_message.get("intent") or {}).get("name") == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        if fallbacks_in_a_row(tracker) >= 2:  # not understood twice: a person takes over
            return await hand_over(dispatcher, tracker, Reason.NOT_UNDERSTOOD)
        dispatcher.utter_message(response="utter_default")
        return []
