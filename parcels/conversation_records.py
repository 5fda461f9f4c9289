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


@dataclass(frozen=True, slots=True)
class Notified:
    """A notification sent on WhatsApp or SMS: enough to tell whether its shopper wrote back."""

    kind: str
    channel: str
    locale: str
    recipient: str
    sent_from: datetime  # not before this moment

    @property
    def sender_id(self) -> str:
        """The conversation a reply arrives in: the WhatsApp connector's ``whatsapp:+34…``, SMS's ``+34…``."""
        return f"whatsapp:{self.recipient}" if self.channel == "whatsapp" else self.recipient
