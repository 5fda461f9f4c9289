"""How an action speaks: in the conversation's language, in the shape of its channel."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from templates.manifest import catalogue_channel
from templates.renderer import DEFAULT_LOCALE, render_message

log = logging.getLogger(__name__)


def language_of(tracker: Tracker) -> str:
    return tracker.get_slot("language") or DEFAULT_LOCALE


def channel_of(tracker: Tracker) -> str:
    return catalogue_channel(tracker.get_latest_input_channel())


def verified_phone_of(tracker: Tracker) -> str | None:
    """The sender's phone number when the channel itself vouches for it (WhatsApp), else None."""
    if channel_of(tracker) != "whatsapp":
        return None
    return tracker.sender_id.removeprefix("whatsapp:") or None


def say(dispatcher: CollectingDispatcher, tracker: Tracker, message: str, variables: dict[str, Any]) -> bool:
    """Send a catalogue message in the conversation's language and channel. A message that cannot be rendered
    (a bug, never the shopper's fault) is logged and the shopper is told to try again, never left in silence."""
    try:
        text = render_message(message, channel_of(tracker), language_of(tracker), variables)
    except Exception:
        log.exception("could not render %s for %s", message, tracker.sender_id)
        dispatcher.utter_message(response="utter_answer_unavailable")
        return False
    dispatcher.utter_message(text=text)
    return True
