"""What a notification in the outbox is, as plain values: its kind, the channel it goes out on and where it
stands. The outbox's workflows (``notifications.outbox``) and its storage both speak these."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Kind(enum.StrEnum):
    PROMISE_AT_RISK = "promise_at_risk"
    PROMISE_BROKEN = "promise_broken"
    DELIVERED_LATE = "delivered_late"
    COMPENSATION_GRANTED = "compensation_granted"


class Channel(enum.StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"
    WEB = "web"  # the shopper's web chat inbox
    NONE = "none"  # not sent: nobody to tell, opted out, or nothing to tell


class Status(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"  # nobody to tell, or the customer opted out


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One notification in the outbox, as storage hands it out."""

    id: int
    dedupe_key: str
    shipment_id: int
    kind: str
    channel: str
    recipient: str | None  # a phone number, or the web inbox's conversation
    locale: str
    variables: dict[str, Any]
    status: Status
    reason: str | None
    not_before: datetime
    attempts: int
    provider_sid: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EarlyStatus:
    """A provider status that arrived before its notification recorded the message's id."""

    id: int
    provider_sid: str
    status: str  # the provider's word for it
    error_code: str | None


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What a customer agreed to or refused, when, on which channel and for which purpose."""

    phone: str
    channel: str  # whatsapp | sms | web
    purpose: str  # service | marketing
    action: str  # opt_in | opt_out
    text: str  # what the customer wrote or was shown
    at: datetime
