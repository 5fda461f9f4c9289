"""The outbox's SQL repositories: notifications (enqueued, leased, finished, shown), the provider statuses that
came early, and consent records.

A dispatcher *leases* due rows (``pending`` -> ``sending``) before it sends them. On PostgreSQL other
dispatchers skip the rows locked here; SQLite reads outside the write lock, so the update itself re-checks
``pending`` and a row another dispatcher took first is simply not returned.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from parcels.conversation_records import notified_conversation
from parcels.outbox_records import Channel, ConsentRecord, EarlyStatus, OutboxMessage, Status
from parcels.storage.db import lock_for_writing, rowcount
from parcels.storage.models import Consent, Customer, Notification, Shipment
from parcels.storage.models import EarlyStatus as EarlyStatusRow

OPTED_OUT = "the customer opted out before it was sent"


class OutboxRepository(Protocol):
    def enqueue(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert the rows in bulk, leaving out any whose dedupe key is already there."""
        ...

    def get(self, notification_id: int) -> OutboxMessage | None: ...

    def lease_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Mark up to ``limit`` due rows ``sending`` for this dispatcher alone, and return them; a row whose
        customer opted out after it was enqueued is skipped instead."""
        ...

    def count_attempt(self, notification_id: int, now: datetime) -> int | None:
        """One attempt more for a row still ``sending``: the attempts so far, None when it is no longer so."""
        ...

    def finish(self, notification_id: int, status: Status, now: datetime, **fields: object) -> str | None:
        """Record how a notification ended (or that it waits again); its provider id, if it has one."""
        ...

    def stale(self, before: datetime) -> list[OutboxMessage]:
        """Rows left ``sending`` since before ``before`` (on PostgreSQL, not those another transaction holds)."""
        ...

    def touch(self, notification_ids: Collection[int], moment: datetime) -> None: ...

    def counts(self) -> dict[Status, int]: ...

    def recent(self, status: Status | None, limit: int) -> list[tuple[OutboxMessage, str]]:
        """The latest changed notifications (of one status, if given), each with its parcel's number."""
        ...

    def web_inbox(self, inbox_key: str, statuses: Collection[Status]) -> tuple[str, list[OutboxMessage]] | None:
        """The locale of the customer with this inbox key and their web notifications at these statuses, oldest
        change first; None: no such customer."""
        ...

    def move(self, notification_ids: Collection[int], from_statuses: Collection[Status], to: Status) -> None: ...

    def lock(self) -> None:
        """Take the write lock now, before reading what decides a write (see ``lock_for_writing``)."""
        ...

    def has_provider_id(self, provider_sid: str) -> bool: ...

    def advance(self, provider_sid: str, to: Status, earlier: Collection[Status], reason: str | None) -> bool:
        """Move the notification with this provider id to ``to`` if it is at one of ``earlier``."""
        ...


class EarlyStatusRepository(Protocol):
    def keep(self, provider_sid: str, status: str, error_code: str | None, at: datetime) -> None: ...

    def of(self, provider_sid: str) -> list[EarlyStatus]:
        """The statuses kept for this id, in the order they came."""
        ...

    def kept_for(self, provider_sids: Collection[str]) -> set[str]:
        """The ids among these that have statuses kept."""
        ...

    def drop(self, ids: Collection[int]) -> None: ...

    def prune(self, before: datetime) -> int: ...


class ConsentRepository(Protocol):
    def add(self, consent: ConsentRecord) -> None: ...

    def opted_out(self, phones: Collection[str]) -> set[str]:
        """The phones whose newest consent record is an opt-out (on any channel: it applies to all)."""
        ...


def outbox_message(row: Notification) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        dedupe_key=row.dedupe_key,
        shipment_id=row.shipment_id,
        kind=row.kind,
        channel=row.channel,
        recipient=row.recipient,
        locale=row.locale,
        variables=dict(row.variables),
        status=Status(row.status),
        reason=row.reason,
        not_before=row.not_before,
        attempts=row.attempts,
        provider_sid=row.provider_sid,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _opted_out(session: Session, phones: Collection[str]) -> set[str]:
    if not phones:
        return set()
    newest: dict[str, str] = {}
    rows = session.execute(
        select(Consent.phone, Consent.action).where(Consent.phone.in_(phones)).order_by(Consent.at, Consent.id)
    )
    for phone, action in rows:
        newest[phone] = action
    return {phone for phone, action in newest.items() if action == "opt_out"}


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement, executed for many rows: SQLAlchemy sends them in batches of multi-row INSERTs
        ("insertmanyvalues") from one compiled form, rather than compiling a statement of thousands of values."""
        if not rows:
            return
        dialect = self._session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(Notification).on_conflict_do_nothing(index_elements=["dedupe_key"])
        # the reply conversation given here rather than by the column's default, which SQLAlchemy would call row by row
        written = [
            {**row, "conversation_key": notified_conversation(row["channel"], row.get("recipient"))} for row in rows
        ]
        self._session.connection().execute(statement, written)

    def get(self, notification_id: int) -> OutboxMessage | None:
        row = self._session.get(Notification, notification_id)
        return None if row is None else outbox_message(row)

    def lease_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        session = self._session
        due = (
            select(Notification.id)
            .where(Notification.status == str(Status.PENDING), Notification.not_before <= now)
            .order_by(Notification.not_before, Notification.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if not ids:
            return []
        lease = (
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == str(Status.PENDING))
            .values(status=str(Status.SENDING), updated_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
        leased = list(session.scalars(lease))
        rows = list(session.scalars(select(Notification).where(Notification.id.in_(leased)).order_by(Notification.id)))
        phones = [row.recipient for row in rows if row.channel != Channel.WEB and row.recipient]
        silenced = _opted_out(session, phones)
        for row in rows:
            if row.recipient in silenced:
                row.status, row.reason = str(Status.SKIPPED), OPTED_OUT
        return [outbox_message(row) for row in rows if row.status == Status.SENDING]

    def count_attempt(self, notification_id: int, now: datetime) -> int | None:
        counted = (
            update(Notification)
            .where(Notification.id == notification_id, Notification.status == str(Status.SENDING))
            .values(attempts=Notification.attempts + 1, updated_at=now)
            .returning(Notification.attempts)
            .execution_options(synchronize_session=False)
        )
        attempts: int | None = self._session.scalar(counted)
        return attempts

    def finish(self, notification_id: int, status: Status, now: datetime, **fields: object) -> str | None:
        """One statement: the dispatcher finishes every message it sends."""
        finished = self._session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(status=str(status), updated_at=now, **fields)
            .returning(Notification.provider_sid)
            .execution_options(synchronize_session=False)
        ).first()
        return None if finished is None else finished.provider_sid

    def stale(self, before: datetime) -> list[OutboxMessage]:
        stale_rows = (
            select(Notification)
            .where(Notification.status == str(Status.SENDING), Notification.updated_at < before)
            .order_by(Notification.id)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stale_rows = stale_rows.with_for_update(skip_locked=True)
        return [outbox_message(row) for row in self._session.scalars(stale_rows)]

    def touch(self, notification_ids: Collection[int], moment: datetime) -> None:
        if notification_ids:
            self._session.execute(
                update(Notification)
                .where(Notification.id.in_(notification_ids))
                .values(updated_at=moment)
                .execution_options(synchronize_session=False)
            )

    def counts(self) -> dict[Status, int]:
        found = self._session.execute(select(Notification.status, func.count()).group_by(Notification.status))
        return {Status(status): count for status, count in found}

    def recent(self, status: Status | None, limit: int) -> list[tuple[OutboxMessage, str]]:
        query = (
            select(Notification, Shipment.tracking_number)
            .join(Shipment, Shipment.id == Notification.shipment_id)
            .order_by(Notification.updated_at.desc(), Notification.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(Notification.status == str(status))
        return [(outbox_message(row), number) for row, number in self._session.execute(query)]

    def web_inbox(self, inbox_key: str, statuses: Collection[Status]) -> tuple[str, list[OutboxMessage]] | None:
        customer = self._session.execute(
            select(Customer.id, Customer.locale).where(Customer.inbox_key == inbox_key)
        ).first()
        if customer is None:
            return None
        rows = self._session.scalars(
            select(Notification)
            .join(Shipment, Shipment.id == Notification.shipment_id)
            .where(
                Shipment.customer_id == customer.id,
                Notification.channel == str(Channel.WEB),
                Notification.status.in_([str(s) for s in statuses]),
            )
            .order_by(Notification.updated_at, Notification.id)
        )
        return customer.locale, [outbox_message(row) for row in rows]

    def move(self, notification_ids: Collection[int], from_statuses: Collection[Status], to: Status) -> None:
        if notification_ids:
            self._session.execute(
                update(Notification)
                .where(Notification.id.in_(notification_ids), Notification.status.in_([str(s) for s in from_statuses]))
                .values(status=str(to))
                .execution_options(synchronize_session=False)
            )

    def lock(self) -> None:
        lock_for_writing(self._session)

    def has_provider_id(self, provider_sid: str) -> bool:
        found = self._session.scalar(select(Notification.id).where(Notification.provider_sid == provider_sid).limit(1))
        return found is not None

    def advance(self, provider_sid: str, to: Status, earlier: Collection[Status], reason: str | None) -> bool:
        values: dict[str, str] = {"status": str(to)}
        if reason is not None:
            values["reason"] = reason
        moved = self._session.execute(
            update(Notification)
            .where(Notification.provider_sid == provider_sid, Notification.status.in_([str(s) for s in earlier]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(rowcount(moved))


class SqlEarlyStatuses:
    def __init__(self, session: Session) -> None:
        self._session = session

    def keep(self, provider_sid: str, status: str, error_code: str | None, at: datetime) -> None:
        kept = EarlyStatusRow(provider_sid=provider_sid, status=status, error_code=error_code, received_at=at)
        self._session.add(kept)

    def of(self, provider_sid: str) -> list[EarlyStatus]:
        rows = self._session.scalars(
            select(EarlyStatusRow).where(EarlyStatusRow.provider_sid == provider_sid).order_by(EarlyStatusRow.id)
        )
        return [EarlyStatus(row.id, row.provider_sid, row.status, row.error_code) for row in rows]

    def kept_for(self, provider_sids: Collection[str]) -> set[str]:
        if not provider_sids:
            return set()
        query = select(EarlyStatusRow.provider_sid).where(EarlyStatusRow.provider_sid.in_(set(provider_sids)))
        return set(self._session.scalars(query))

    def drop(self, ids: Collection[int]) -> None:
        if ids:
            self._session.execute(delete(EarlyStatusRow).where(EarlyStatusRow.id.in_(ids)))

    def prune(self, before: datetime) -> int:
        return rowcount(self._session.execute(delete(EarlyStatusRow).where(EarlyStatusRow.received_at < before)))


class SqlConsents:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, consent: ConsentRecord) -> None:
        self._session.add(
            Consent(
                phone=consent.phone,
                channel=consent.channel,
                purpose=consent.purpose,
                action=consent.action,
                text=consent.text,
                at=consent.at,
            )
        )

    def opted_out(self, phones: Collection[str]) -> set[str]:
        return _opted_out(self._session, phones)
