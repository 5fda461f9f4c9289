"""Each day a shopper wrote to the assistant: one row per conversation and day, counted as messages arrive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from parcels.conversation_records import ConversationDayRow, NotifiedDay
from parcels.outbox_records import Channel, Status
from parcels.storage.models import ConversationDay, Handoff, Notification

SENT = (str(Status.SENT), str(Status.DELIVERED), str(Status.READ))


class ConversationDayRepository(Protocol):
    def touch(self, key: str, day: date, channel: str, language: str | None, at: datetime) -> None:
        """One more message in the conversation ``key`` on ``day``."""
        ...

    def days(self, first: date, last: date) -> list[ConversationDayRow]:
        """The conversations' days from ``first`` to ``last``, both included."""
        ...

    def handed_over(self, start: datetime, end: datetime) -> list[str]:
        """The sender ids of the conversations handed to a person from ``start`` to ``end``."""
        ...

    def notified_days(self, start: datetime, end: datetime, first: date, last: date) -> list[NotifiedDay]:
        """The WhatsApp and SMS notifications written from ``start`` to ``end`` that were sent, each with every day
        from ``first`` to ``last`` its shopper wrote to us."""
        ...


class SqlConversationDays:
    def __init__(self, session: Session) -> None:
        self._session = session

    def touch(self, key: str, day: date, channel: str, language: str | None, at: datetime) -> None:
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        row = {
            "conversation_key": key,
            "day": day,
            "channel": channel,
            "language": language,
            "first_at": at,
            "last_at": at,
            "messages": 1,
        }
        insert = dialect.insert(ConversationDay).values(row)
        table = ConversationDay.__table__.c
        # Two processes may count messages of one conversation at once: each adds one, neither is lost.
        self._session.execute(
            insert.on_conflict_do_update(
                index_elements=["conversation_key", "day"],
                set_={
                    "channel": insert.excluded.channel,
                    "language": func.coalesce(insert.excluded.language, table.language),
                    "first_at": func.min(table.first_at, insert.excluded.first_at)
                    if dialect is sqlite
                    else func.least(table.first_at, insert.excluded.first_at),
                    "last_at": func.max(table.last_at, insert.excluded.last_at)
                    if dialect is sqlite
                    else func.greatest(table.last_at, insert.excluded.last_at),
                    "messages": table.messages + 1,
                },
            )
        )

    def days(self, first: date, last: date) -> list[ConversationDayRow]:
        query = select(ConversationDay).where(ConversationDay.day >= first, ConversationDay.day <= last)
        return [
            ConversationDayRow(r.conversation_key, r.day, r.channel, r.language, r.first_at, r.last_at, r.messages)
            for r in self._session.scalars(query)
        ]

    def handed_over(self, start: datetime, end: datetime) -> list[str]:
        query = select(Handoff.conversation).where(Handoff.requested_at >= start, Handoff.requested_at < end).distinct()
        return list(self._session.scalars(query))

    def notified_days(self, start: datetime, end: datetime, first: date, last: date) -> list[NotifiedDay]:
        n, d = Notification, ConversationDay
        query = (
            select(n.id, n.kind, n.channel, n.locale, n.not_before, d.first_at, d.last_at)
            .join(n, n.conversation_key == d.conversation_key)
            .where(
                d.day >= first,
                d.day <= last,
                n.created_at >= start,
                n.created_at < end,
                n.status.in_(SENT),
                n.channel.in_((str(Channel.WHATSAPP), str(Channel.SMS))),
            )
        )
        return [NotifiedDay(*row) for row in self._session.execute(query)]
