"""The handoffs' SQL repository: the queue, who holds each conversation, notes and the agents' actions.

Taking a conversation is one conditional ``UPDATE ... WHERE status = 'waiting'``: of two agents racing for
it, only one changes a row. An open handoff per conversation is kept unique by a partial index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcels.handoff_records import ActionView, HandoffStatus, HandoffView, NoteView, Reason
from parcels.storage.db import rowcount
from parcels.storage.models import AgentAction, Handoff, HandoffNote, StaffUser
from parcels.storage.repositories import DuplicateHandoff


def handoff_view(row: Handoff, agent_name: str | None) -> HandoffView:
    return HandoffView(
        id=row.id,
        conversation=row.conversation,
        channel=row.channel,
        language=row.language,
        reason=Reason(row.reason),
        status=HandoffStatus(row.status),
        agent_id=row.agent_id,
        agent_name=agent_name,
        tracking_numbers=list(row.tracking_numbers or []),
        requested_at=row.requested_at,
        assigned_at=row.assigned_at,
        resolved_at=row.resolved_at,
        reference=row.reference,
        answer_due_on=row.answer_due_on,
        first_reply_at=row.first_reply_at,
    )


class SqlHandoffs:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _views(self, rows: Sequence[Handoff]) -> list[HandoffView]:
        agent_ids = {row.agent_id for row in rows if row.agent_id is not None}
        names: dict[int, str] = {}
        if agent_ids:
            found = self._session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(agent_ids)))
            names = {staff_id: name for staff_id, name in found}
        return [handoff_view(row, names.get(row.agent_id) if row.agent_id is not None else None) for row in rows]

    def get(self, handoff_id: int) -> HandoffView | None:
        row = self._session.get(Handoff, handoff_id)
        return None if row is None else self._views([row])[0]

    def by_reference(self, reference: str) -> HandoffView | None:
        row = self._session.scalars(select(Handoff).where(Handoff.reference == reference)).first()
        return None if row is None else self._views([row])[0]

    def open_for(self, conversation: str) -> HandoffView | None:
        row = self._session.scalars(
            select(Handoff).where(Handoff.conversation == conversation, Handoff.status != str(HandoffStatus.RESOLVED))
        ).first()
        return None if row is None else self._views([row])[0]

    def open_ones(self) -> list[HandoffView]:
        rows = self._session.scalars(
            select(Handoff)
            .where(Handoff.status != str(HandoffStatus.RESOLVED))
            .order_by(Handoff.status.desc(), Handoff.requested_at, Handoff.id)  # "waiting" sorts after "assigned"
        ).all()
        return self._views(rows)

    def add(
        self,
        conversation: str,
        channel: str,
        language: str,
        reason: Reason,
        tracking_numbers: Sequence[str],
        requested_at: datetime,
        reference: str,
        answer_due_on: date,
    ) -> HandoffView:
        row = Handoff(
            conversation=conversation,
            channel=channel,
            language=language,
            reason=str(reason),
            status=str(HandoffStatus.WAITING),
            tracking_numbers=list(tracking_numbers),
            requested_at=requested_at,
            reference=reference,
            answer_due_on=answer_due_on,
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError as error:
            raise DuplicateHandoff(conversation) from error
        return handoff_view(row, None)

    def _move(self, handoff_id: int, only_if: HandoffStatus, to: HandoffStatus, **values: object) -> bool:
        """One conditional update: the row changes only if it is still ``only_if`` when the database sees it.
        The session's copy of the row, if it holds one, changes with it."""
        result = self._session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.status == str(only_if))
            .values(status=str(to), **values)
        )
        return rowcount(result) == 1

    def assign(self, handoff_id: int, agent_id: int, at: datetime) -> bool:
        return self._move(handoff_id, HandoffStatus.WAITING, HandoffStatus.ASSIGNED, agent_id=agent_id, assigned_at=at)

    def replied(self, handoff_id: int, at: datetime) -> bool:
        result = self._session.execute(
            update(Handoff).where(Handoff.id == handoff_id, Handoff.first_reply_at.is_(None)).values(first_reply_at=at)
        )
        return rowcount(result) == 1

    def close(self, handoff_id: int, at: datetime) -> bool:
        return self._move(handoff_id, HandoffStatus.ASSIGNED, HandoffStatus.RESOLVED, resolved_at=at)

    def add_note(self, handoff_id: int, author_id: int, text: str, at: datetime) -> None:
        self._session.add(HandoffNote(handoff_id=handoff_id, author_id=author_id, text=text, at=at))
        self._session.flush()

    def notes(self, handoff_id: int) -> list[NoteView]:
        rows = self._session.execute(
            select(StaffUser.name, HandoffNote.text, HandoffNote.at)
            .join(StaffUser, StaffUser.id == HandoffNote.author_id)
            .where(HandoffNote.handoff_id == handoff_id)
            .order_by(HandoffNote.at, HandoffNote.id)
        )
        return [NoteView(name, text, at) for name, text, at in rows]

    def log(self, staff_id: int, action: str, at: datetime, handoff_id: int | None, detail: str | None) -> None:
        self._session.add(AgentAction(staff_id=staff_id, handoff_id=handoff_id, action=action, detail=detail, at=at))
        self._session.flush()

    def actions(self, handoff_id: int) -> list[ActionView]:
        rows = self._session.execute(
            select(StaffUser.name, AgentAction.action, AgentAction.detail, AgentAction.at)
            .join(StaffUser, StaffUser.id == AgentAction.staff_id)
            .where(AgentAction.handoff_id == handoff_id)
            .order_by(AgentAction.at, AgentAction.id)
        )
        return [ActionView(name, action, detail, at) for name, action, detail, at in rows]
