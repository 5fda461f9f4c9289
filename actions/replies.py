"""How an action speaks: in the conversation's language, in the shape of its channel."""

from __future__ import annotations

import logging
import os
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from parcels.signatures import WHATSAPP_SENDER, verify
from templates.manifest import catalogue_channel
from templates.renderer import DEFAULT_LOCALE, render_message

log = logging.getLogger(__name__)

# What the shopper is told of a message the channel did not let through (bot/screening.py).
REFUSAL_RESPONSES = {"too_long": "utter_message_too_long", "media": "utter_media_not_read"}


def language_of(tracker: Tracker) -> str:
    return tracker.get_slot("language") or DEFAULT_LOCALE


def channel_of(tracker: Tracker) -> str:
    return catalogue_channel(tracker.get_latest_input_channel())


def verified_phone_of(tracker: Tracker) -> str | None:
    """The sender's phone number when the WhatsApp connector vouches for it, else None.

    Only the connector can make the proof (``parcels.signatures``): a conversation named ``whatsapp:+34…``
    and a latest message whose metadata carries an HMAC of that sender and its MessageSid. A channel's name,
    a sender id or metadata a caller wrote prove nothing."""
    sender = tracker.sender_id or ""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    sid = metadata.get("message_sid")
    if not sender.startswith("whatsapp:") or not isinstance(sid, str):
        return None
    if not verify(identity_secret(), metadata.get("identity"), WHATSAPP_SENDER, sender, sid):
        return None
    return sender.removeprefix("whatsapp:") or None


def identity_secret() -> str | None:
    return os.environ.get("CHANNEL_IDENTITY_SECRET") or None


def refusal_of(tracker: Tracker) -> str | None:
    """Why the channel did not let the assistant read the latest message (too_long, media), if it did not."""
    message = tracker.latest_message or {}
    refused = (message.get("metadata") or {}).get("refused")
    return refused if isinstance(refused, str) and (message.get("text") or "").startswith("/") else None


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
