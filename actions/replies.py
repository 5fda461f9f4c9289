"""How an action speaks: in the conversation's language, in the shape of its channel."""

from __future__ import annotations

from rasa_sdk import Tracker

from templates.manifest import catalogue_channel
from templates.renderer import DEFAULT_LOCALE


def language_of(tracker: Tracker) -> str:
    return tracker.get_slot("language") or DEFAULT_LOCALE


def channel_of(tracker: Tracker) -> str:
    return catalogue_channel(tracker.get_latest_input_channel())


def verified_phone_of(tracker: Tracker) -> str | None:
    """The sender's phone number when the channel itself vouches for it (WhatsApp), else None."""
    if channel_of(tracker) != "whatsapp":
        return None
    return tracker.sender_id.removeprefix("whatsapp:") or None
