"""What a handoff is, as plain values: why it was asked for, where it stands, its notes and the agents'
actions on it. Storage hands these out; no ORM row leaves it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple


class Reason(enum.StrEnum):
    ASKED = "asked"  # the shopper asked for a person
    NOT_UNDERSTOOD = "not_understood"  # the assistant failed to understand twice in a row
    DISPUTE = "dispute"  # the shopper disputes a claim's decision


class HandoffStatus(enum.StrEnum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class HandoffView:
    id: int
    conversation: str
    channel: str
    language: str
    reason: Reason
    status: HandoffStatus
    agent_id: int | None
    agent_name: str | None
    tracking_numbers: list[str]
    requested_at: datetime
    assigned_at: datetime | None
    resolved_at: datetime | None
    reference: str  # the shopper's reference for their request (H-...)
    answer_due_on: date  # the last day to answer it
    first_reply_at: datetime | None  # an agent's first message to the shopper

    @property
    def open(self) -> bool:
        return self.status is not HandoffStatus.RESOLVED

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation": self.conversation,
            "channel": self.channel,
            "language": self.language,
            "reason": str(self.reason),
            "status": str(self.status),
            "agent": self.agent_name,
            "tracking_numbers": self.tracking_numbers,
            "requested_at": self.requested_at.isoformat(),
            "assigned_at": self.assigned_at.isoformat() if self.assigned_at else None,
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "reference": self.reference,
            "answer_due_on": self.answer_due_on.isoformat(),
            "first_reply_at": self.first_reply_at.isoformat() if self.first_reply_at else None,
        }


@dataclass(frozen=True, slots=True)
class NoteView:
    author: str
    text: str
    at: datetime


class ActionView(NamedTuple):
    """One thing an agent did: who (by name), what, its detail (a message's text), when."""

    who: str
    action: str
    detail: str | None
    at: datetime
