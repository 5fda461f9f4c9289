"""A day a shopper wrote to the assistant, as a plain value (``conversation_days``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime


def conversation_key(sender_id: str) -> str:
    """The conversation as it is stored: the SHA-256 of its sender id, never the id (often a phone number)."""
    return hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class ConversationDayRow:
    conversation_key: str
    day: date
    channel: str
    language: str | None
    first_at: datetime
    last_at: datetime
    messages: int


def notified_conversation(channel: str, recipient: str | None) -> str | None:
    """The stored key of the conversation a reply to a notification arrives in: the WhatsApp connector's
    ``whatsapp:+34…``, SMS's ``+34…``; None for the web inbox, which is read, not answered."""
    if not recipient or channel not in ("whatsapp", "sms"):
        return None
    return conversation_key(f"whatsapp:{recipient}" if channel == "whatsapp" else recipient)


@dataclass(frozen=True, slots=True)
class NotifiedDay:
    """A WhatsApp or SMS notification that was sent, and a day its shopper wrote to us."""

    notification_id: int
    kind: str
    channel: str
    locale: str
    sent_from: datetime  # not before this moment
    first_at: datetime  # the day's first and last message
    last_at: datetime
