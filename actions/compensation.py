"""Am I owed compensation? Explains each parcel's promise; files a claim once the shopper is verified."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.replies import REFUSAL_RESPONSES, channel_of, refusal_of, say, verified_phone_of
from actions.storage import UNIT_OF_WORK
from parcels.check import PromiseAnswer, check_candidates, promise_message
from parcels.claims import ClaimOutcome, claim_message, claimant_verification, make_claim
from parcels.track import Finding
from parcels.tracking_numbers import Candidate, find_tracking_numbers

log = logging.getLogger(__name__)

MAX_POSTAL_CODE_ATTEMPTS = 3
_POSTAL_CODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


def parcels_in_question(tracker: Tracker) -> list[Candidate]:
    """The numbers in the latest message, or else the ones the conversation is about."""
    candidates = find_tracking_numbers(tracker.latest_message.get("text") or "")
    return candidates or [Candidate(number) for number in tracker.get_slot("tracking_numbers") or []]


async def _check(candidates: list[Candidate]) -> list[PromiseAnswer]:
    return await asyncio.to_thread(check_candidates, UNIT_OF_WORK, candidates, datetime.now(UTC))


async def explain_promises(
    dispatcher: CollectingDispatcher, tracker: Tracker, candidates: list[Candidate]
) -> list[EventType]:
    try:
        answers = await _check(candidates)
    except SQLAlchemyError:
        log.exception("promise lookup failed")
        dispatcher.utter_message(response="utter_tracking_unavailable")
        return []
    for answer in answers:
        say(dispatcher, tracker, *promise_message(answer))
    events: list[EventType] = [SlotSet("pending_request", None)]
    found = [answer.number for answer in answers if answer.finding is Finding.FOUND]
    if found and found != tracker.get_slot("tracking_numbers"):
        events.append(SlotSet("tracking_numbers", found))
    return events


class ActionExplainPromise(Action):
    def name(self) -> str:
        return "action_explain_promise"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        candidates = parcels_in_question(tracker)
        if not candidates:
            dispatcher.utter_message(response="utter_ask_tracking_number")
            return [SlotSet("pending_request", "compensation")]
        return await explain_promises(dispatcher, tracker, candidates)


class ActionStartClaim(Action):
    """Find the one parcel to claim for; set ``claim_ready`` so the rules start the claim form, or say why not."""

    def name(self) -> str:
        return "action_start_claim"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        not_ready: list[EventType] = [SlotSet("claim_ready", False)]
        candidates = parcels_in_question(tracker)
        if not candidates:
            dispatcher.utter_message(response="utter_ask_tracking_number")
            return [*not_ready, SlotSet("pending_request", "claim")]
        try:
            answers = await _check(candidates)
        except SQLAlchemyError:
            log.exception("promise lookup failed")
            dispatcher.utter_message(response="utter_tracking_unavailable")
            return not_ready
        found = [answer.number for answer in answers if answer.finding is Finding.FOUND]
        slots: list[EventType] = [SlotSet("pending_request", None)]
        if found and found != tracker.get_slot("tracking_numbers"):
            slots.append(SlotSet("tracking_numbers", found))
        claimable = [a for a in answers if a.decision is not None and a.decision.claimable and a.claim is None]
        if len(claimable) > 1:
            dispatcher.utter_message(response="utter_ask_which_parcel")
            return [*not_ready, *slots, SlotSet("pending_request", "claim")]
        if not claimable:
            for answer in answers:  # nothing to claim: each parcel's promise says why (or its existing claim)
                say(dispatcher, tracker, *promise_message(answer))
            return [*not_ready, *slots]
        return [
            *slots,
            SlotSet("claim_number", claimable[0].number),
            SlotSet("claim_ready", True),
            SlotSet("postal_code", None),
            SlotSet("claim_confirmed", None),
            SlotSet("postal_code_attempts", 0.0),
        ]


class ValidateClaimForm(FormValidationAction):
    def name(self) -> str:
        return "validate_claim_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("claim_confirmed") is False:
            return []  # the shopper said no: the submit action says nothing was filed
        if (tracker.get_slot("postal_code_attempts") or 0) >= MAX_POSTAL_CODE_ATTEMPTS:
            return []  # the submit action says the claim could not be verified
        phone = verified_phone_of(tracker)
        number = tracker.get_slot("claim_number")
        if phone and number and await asyncio.to_thread(claimant_verification, UNIT_OF_WORK, number, None, phone):
            return [slot for slot in domain_slots if slot != "postal_code"]
        return domain_slots

    async def validate_postal_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not value:  # the slot was cleared as the claim started: nothing was said yet
            return {"postal_code": None}
        if (refused := refusal_of(tracker)) is not None:  # too long, or media: not a try at the postal code
            dispatcher.utter_message(response=REFUSAL_RESPONSES.get(refused, "utter_default"))
            return {"postal_code": None}
        match = _POSTAL_CODE.search(str(value))
        code = match.group(1) if match else None
        if code is None and (tracker.latest_message.get("intent") or {}).get("name") == "deny":
            return {"postal_code": None, "claim_confirmed": False}  # "no, leave it": the form ends, nothing filed
        number = tracker.get_slot("claim_number")
        if code and number and await asyncio.to_thread(claimant_verification, UNIT_OF_WORK, number, code):
            return {"postal_code": code}
        attempts = (tracker.get_slot("postal_code_attempts") or 0) + 1
        if attempts >= MAX_POSTAL_CODE_ATTEMPTS:
            return {"postal_code": code or str(value)[:16], "postal_code_attempts": float(attempts)}
        dispatcher.utter_message(response="utter_postal_code_mismatch")
        return {"postal_code": None, "postal_code_attempts": float(attempts)}


class ActionAskClaimConfirmed(Action):
    def name(self) -> str:
        return "action_ask_claim_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = tracker.get_slot("claim_number")
        [answer] = await _check([Candidate(number)])
        owed = answer.decision.owed if answer.decision else None
        if owed is None:  # no longer owed (it cannot normally happen between two messages): say why
            say(dispatcher, tracker, *promise_message(answer))
            return []
        variables = {"number": number, "amount": owed.amount, "currency": owed.currency, "form": str(owed.form)}
        say(dispatcher, tracker, "claim_confirmation", variables)
        return []


class ActionSubmitClaim(Action):
    def name(self) -> str:
        return "action_submit_claim"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [
            SlotSet("claim_ready", False),
            SlotSet("claim_confirmed", None),
            SlotSet("postal_code_attempts", 0.0),
        ]
        number = tracker.get_slot("claim_number")
        confirmed = tracker.get_slot("claim_confirmed")
        gave_up = (tracker.get_slot("postal_code_attempts") or 0) >= MAX_POSTAL_CODE_ATTEMPTS
        if confirmed is False or (confirmed is None and not gave_up):
            dispatcher.utter_message(response="utter_claim_cancelled")
            return reset
        try:
            result = await asyncio.to_thread(
                make_claim,
                UNIT_OF_WORK,
                number,
                datetime.now(UTC),
                channel_of(tracker),
                postal_code=tracker.get_slot("postal_code"),
                verified_phone=verified_phone_of(tracker),
            )
        except SQLAlchemyError:
            log.exception("filing a claim failed")
            dispatcher.utter_message(response="utter_tracking_unavailable")
            return reset
        say(dispatcher, tracker, *claim_message(result))
        if result.outcome is ClaimOutcome.NOT_OWED and result.decision is not None:
            say(dispatcher, tracker, *promise_message(PromiseAnswer(number, Finding.FOUND, result.decision)))
        return reset
