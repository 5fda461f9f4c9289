"""What a notification in the outbox is, as plain values: its kind, the channel it goes out on and where it
stands. The outbox's workflows (``notifications.outbox``) and its storage both speak these."""

from __future__ import annotations

import enum


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
