"""Conversations handed to customer-service agents: requested by the assistant, taken by one agent, handed back.

The database keeps the queue and who holds each conversation; the conversation itself
(what the shopper and the agent wrote) lives in Rasa's tracker. Taking a conversation is
one conditional update, so two agents racing for it cannot both get it. Every agent
action is logged with who and when.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcels.errors import Conflict, NotFound
from parcels.staff import Role, StaffMember
from parcels.storage.db import rowcount, session_scope
from parcels.storage.models import AgentAction, Handoff, HandoffNote, StaffUser

MAX_NOTE = 2000


class Reason(enum.StrEnum):
    ASKED = "asked"  # the shopper asked for a person
    NOT_UNDERSTOOD = "not_understood"  # the assistant failed to understand twice in a row
    DISPUTE = "dispute"  # the shopper disputes a claim's decision


class HandoffStatus(enum.StrEnum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class HandoffError(Exception):
    pass


class HandoffNotFound(HandoffError, NotFound):
    pass


class AlreadyTaken(HandoffError, Conflict):
    """Another agent took the conversation first (or it was handed back)."""


class NotYours(HandoffError, Conflict):
    """The conversation is held by another agent."""


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

    @classmethod
    def of(cls, row: Handoff, agent_name: str | None) -> HandoffView:
        return cls(
            row.id,
            row.conversation,
            row.channel,
            row.language,
            Reason(row.reason),
            HandoffStatus(row.status),
            row.agent_id,
            agent_name,
            list(row.tracking_numbers or []),
            row.requested_at,
            row.assigned_at,
            row.resolved_at,
        )

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
        }


@dataclass(frozen=True, slots=True)
class NoteView:
    author: str
    text: str
    at: datetime


def _views(session: Session, rows: Sequence[Handoff]) -> list[HandoffView]:
    agent_ids = {row.agent_id for row in rows if row.agent_id is not None}
    names = dict(session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(agent_ids))).all())
    return [HandoffView.of(row, names.get(row.agent_id) if row.agent_id is not None else None) for row in rows]


def _open_row(session: Session, conversation: str) -> Handoff | None:
    return session.scalars(
        select(Handoff).where(Handoff.conversation == conversation, Handoff.status != str(HandoffStatus.RESOLVED))
    ).first()


def request_handoff(
    conversation: str,
    channel: str,
    language: str,
    reason: Reason,
    tracking_numbers: Sequence[str],
    now: datetime,
    engine: Engine | None = None,
) -> tuple[HandoffView, bool]:
    """The conversation's open handoff, made now if it has none; and whether it was made now."""
    try:
        with session_scope(engine) as session:
            existing = _open_row(session, conversation)
            if existing is not None:
                return _views(session, [existing])[0], False
            row = Handoff(
                conversation=conversation,
                channel=channel,
                language=language,
                reason=str(reason),
                status=str(HandoffStatus.WAITING),
                tracking_numbers=list(tracking_numbers),
                requested_at=now,
            )
            session.add(row)
            session.flush()
            return HandoffView.of(row, None), True
    except IntegrityError:  # the same conversation asked twice at once: the other request made it
        with session_scope(engine) as session:
            existing = _open_row(session, conversation)
            assert existing is not None
            return _views(session, [existing])[0], False


def open_handoff(conversation: str, engine: Engine | None = None) -> HandoffView | None:
    with session_scope(engine) as session:
        row = _open_row(session, conversation)
        return _views(session, [row])[0] if row else None


def queue(engine: Engine | None = None) -> list[HandoffView]:
    """The open handoffs: those waiting first, longest-waiting first; then those being handled."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(Handoff)
            .where(Handoff.status != str(HandoffStatus.RESOLVED))
            .order_by(Handoff.status.desc(), Handoff.requested_at, Handoff.id)  # "waiting" sorts after "assigned"
        ).all()
        return _views(session, rows)


def get_handoff(handoff_id: int, engine: Engine | None = None) -> HandoffView:
    with session_scope(engine) as session:
        row = session.get(Handoff, handoff_id)
        if row is None:
            raise HandoffNotFound(handoff_id)
        return _views(session, [row])[0]


def take(handoff_id: int, agent: StaffMember, now: datetime, engine: Engine | None = None) -> HandoffView:
    """Take a waiting conversation: one conditional update, so of two agents racing only one gets it."""
    with session_scope(engine) as session:
        taken = rowcount(
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == str(HandoffStatus.WAITING))
                .values(status=str(HandoffStatus.ASSIGNED), agent_id=agent.id, assigned_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if taken:
            session.add(AgentAction(staff_id=agent.id, handoff_id=handoff_id, action="take", at=now))
    view = get_handoff(handoff_id, engine)
    if not taken:
        holder = f"by {view.agent_name}" if view.agent_name else str(view.status)
        raise AlreadyTaken(f"conversation {handoff_id} is already {holder}")
    return view


def held_by(view: HandoffView, agent: StaffMember) -> None:
    """Raises unless ``agent`` may act on the conversation: the agent who took it (or an admin)."""
    if view.status is not HandoffStatus.ASSIGNED:
        raise NotYours(f"conversation {view.id} is {view.status}: take it first")
    if view.agent_id != agent.id and agent.role is not Role.ADMIN:
        raise NotYours(f"conversation {view.id} is held by {view.agent_name}")


def resolve(handoff_id: int, agent: StaffMember, now: datetime, engine: Engine | None = None) -> HandoffView:
    """Hand the conversation back to the assistant."""
    held_by(get_handoff(handoff_id, engine), agent)
    with session_scope(engine) as session:
        done = rowcount(
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == str(HandoffStatus.ASSIGNED))
                .values(status=str(HandoffStatus.RESOLVED), resolved_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if done:
            session.add(AgentAction(staff_id=agent.id, handoff_id=handoff_id, action="hand_back", at=now))
    if not done:
        raise AlreadyTaken(f"conversation {handoff_id} was handed back already")
    return get_handoff(handoff_id, engine)


def add_note(handoff_id: int, agent: StaffMember, text: str, now: datetime, engine: Engine | None = None) -> NoteView:
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ValueError(f"a note holds 1 to {MAX_NOTE} characters")
    get_handoff(handoff_id, engine)
    with session_scope(engine) as session:
        session.add(HandoffNote(handoff_id=handoff_id, author_id=agent.id, text=text, at=now))
        session.add(AgentAction(staff_id=agent.id, handoff_id=handoff_id, action="note", at=now))
    return NoteView(agent.name, text, now)


def notes(handoff_id: int, engine: Engine | None = None) -> list[NoteView]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(StaffUser.name, HandoffNote.text, HandoffNote.at)
            .join(StaffUser, StaffUser.id == HandoffNote.author_id)
            .where(HandoffNote.handoff_id == handoff_id)
            .order_by(HandoffNote.at, HandoffNote.id)
        ).all()
        return [NoteView(name, text, at) for name, text, at in rows]


def log_action(
    agent: StaffMember,
    action: str,
    now: datetime,
    handoff_id: int | None = None,
    detail: str | None = None,
    engine: Engine | None = None,
) -> None:
    """Record what an agent did (read a conversation, wrote to the shopper...), with who and when."""
    with session_scope(engine) as session:
        shortened = detail[:500] if detail else None
        session.add(AgentAction(staff_id=agent.id, handoff_id=handoff_id, action=action, detail=shortened, at=now))


def actions(handoff_id: int, engine: Engine | None = None) -> list[tuple[str, str, str | None, datetime]]:
    """(who, action, detail, when) on a handoff, oldest first."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(StaffUser.name, AgentAction.action, AgentAction.detail, AgentAction.at)
            .join(StaffUser, StaffUser.id == AgentAction.staff_id)
            .where(AgentAction.handoff_id == handoff_id)
            .order_by(AgentAction.at, AgentAction.id)
        ).all()
        return [(name, action, detail, at) for name, action, detail, at in rows]
