"""The dashboard's SQL repository: counts and plain rows for a period, each answered from an index.

Promises are counted by promised day, product and province from ``ix_shipments_promised`` alone; only the
promises not kept in time are read one by one, with their reviews (``unkept_promises``), which are written
again only for the shipments whose events (or whose policy) changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from parcels.claim_records import ClaimStatus
from parcels.handoff_records import HandoffStatus
from parcels.metric_records import ClaimTiming, HandoffTiming, NotificationCount, PromiseCount, UnkeptRow
from parcels.outbox_records import Status
from parcels.storage.models import (
    Claim,
    ClaimTransition,
    Consent,
    Handoff,
    Notification,
    Shipment,
    UnkeptPromise,
)
from parcels.unkept import UnkeptReview

DECIDED = (str(ClaimStatus.APPROVED), str(ClaimStatus.REJECTED))


class MetricsRepository(Protocol):
    def promise_counts(self, first: date, last: date, now: datetime, product: str | None) -> list[PromiseCount]:
        """The promises due on ``first`` to ``last`` (local promised days), counted per day, product, province."""
        ...

    def to_review(
        self, first: date, last: date, now: datetime, policy_version: str, limit: int
    ) -> list[tuple[int, datetime | None]]:
        """(shipment id, its events' progress_at) of the unkept promises due in the period whose review is
        missing, or older than their events or the policy; at most ``limit``."""
        ...

    def save_reviews(self, reviews: Sequence[UnkeptReview]) -> None: ...

    def unkept(self, first: date, last: date, now: datetime, product: str | None) -> list[UnkeptRow]:
        """The unkept promises due in the period that have a review, with their claims."""
        ...

    def claim_timings(self, start: datetime, end: datetime, product: str | None) -> list[ClaimTiming]:
        """The claims made from ``start`` (inclusive) to ``end``."""
        ...

    def notification_counts(self, start: datetime, end: datetime) -> list[NotificationCount]:
        """The notifications written from ``start`` to ``end``, counted by kind, channel, locale and status."""
        ...

    def failure_reasons(self, start: datetime, end: datetime, limit: int) -> list[tuple[str, int]]:
        """Why the failed ones among them failed, most frequent first."""
        ...

    def opt_outs(self, start: datetime, end: datetime) -> dict[str, int]:
        """Opt-outs recorded from ``start`` to ``end``, by channel."""
        ...

    def handoff_timings(self, start: datetime, end: datetime) -> list[HandoffTiming]:
        """The handoffs asked for from ``start`` to ``end``, oldest first."""
        ...

    def requests_due(self, by: date, limit: int) -> list[HandoffTiming]:
        """The requests not yet handed back whose answer is due by ``by``, soonest first."""
        ...


def _in_period(first: date, last: date, product: str | None) -> list[ColumnElement[bool]]:
    conditions = [Shipment.promised_date >= first, Shipment.promised_date <= last]
    if product is not None:
        conditions.append(Shipment.product_code == product)
    return conditions


def _unkept_at(now: datetime) -> ColumnElement[bool]:
    return or_(
        Shipment.first_attempt_at >= Shipment.deadline_at,
        and_(Shipment.first_attempt_at.is_(None), Shipment.deadline_at <= now),
    )


def _review(row: Any) -> UnkeptReview:
    return UnkeptReview(
        shipment_id=row.shipment_id,
        policy_version=row.policy_version,
        progress_at=row.progress_at,
        excluded_by=row.excluded_by,
        stage_seconds={int(stage): int(seconds) for stage, seconds in (row.stage_seconds or {}).items()},
        open_stage=row.open_stage,
        open_since=row.open_since,
    )


def _handoff(row: Any) -> HandoffTiming:
    return HandoffTiming(
        row.id,
        row.reference,
        row.channel,
        row.language,
        row.reason,
        row.status,
        row.requested_at,
        row.first_reply_at,
        row.answer_due_on,
    )


_HANDOFF_COLUMNS = (
    Handoff.id,
    Handoff.reference,
    Handoff.channel,
    Handoff.language,
    Handoff.reason,
    Handoff.status,
    Handoff.requested_at,
    Handoff.first_reply_at,
    Handoff.answer_due_on,
)


class SqlMetrics:
    def __init__(self, session: Session) -> None:
        self._session = session

    def promise_counts(self, first: date, last: date, now: datetime, product: str | None) -> list[PromiseCount]:
        province = func.substr(Shipment.destination_postal_code, 1, 2)
        kept = func.sum(case((Shipment.first_attempt_at < Shipment.deadline_at, 1), else_=0))
        still_open = func.sum(case((and_(Shipment.first_attempt_at.is_(None), Shipment.deadline_at > now), 1), else_=0))
        query = (
            select(Shipment.promised_date, Shipment.product_code, province, kept, still_open, func.count())
            .where(*_in_period(first, last, product))
            .group_by(Shipment.promised_date, Shipment.product_code, province)
        )
        return [
            PromiseCount(day, code, where, int(k or 0), int(o or 0), int(n) - int(k or 0) - int(o or 0))
            for day, code, where, k, o, n in self._session.execute(query)
        ]

    def to_review(
        self, first: date, last: date, now: datetime, policy_version: str, limit: int
    ) -> list[tuple[int, datetime | None]]:
        query = (
            select(Shipment.id, Shipment.progress_at)
            .outerjoin(UnkeptPromise, UnkeptPromise.shipment_id == Shipment.id)
            .where(
                *_in_period(first, last, None),
                _unkept_at(now),
                or_(
                    UnkeptPromise.shipment_id.is_(None),
                    UnkeptPromise.policy_version != policy_version,
                    UnkeptPromise.progress_at.is_distinct_from(Shipment.progress_at),
                ),
            )
            .limit(limit)
        )
        return [(shipment_id, progress_at) for shipment_id, progress_at in self._session.execute(query)]

    def save_reviews(self, reviews: Sequence[UnkeptReview]) -> None:
        if not reviews:
            return
        rows = [
            {
                "shipment_id": r.shipment_id,
                "policy_version": r.policy_version,
                "progress_at": r.progress_at,
                "excluded_by": r.excluded_by,
                "stage_seconds": {str(stage): seconds for stage, seconds in r.stage_seconds.items()},
                "open_stage": r.open_stage,
                "open_since": r.open_since,
            }
            for r in reviews
        ]
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(UnkeptPromise)
        changed = {column: insert.excluded[column] for column in rows[0] if column != "shipment_id"}
        # Two web processes may review the same promise at once: the later write wins, and both are the same.
        self._session.execute(insert.on_conflict_do_update(index_elements=["shipment_id"], set_=changed), rows)

    def unkept(self, first: date, last: date, now: datetime, product: str | None) -> list[UnkeptRow]:
        query = (
            select(
                Shipment.id,
                Shipment.tracking_number,
                Shipment.product_code,
                Shipment.market_code,
                Shipment.destination_postal_code,
                Shipment.promised_date,
                Shipment.first_attempt_at,
                UnkeptPromise.shipment_id,
                UnkeptPromise.policy_version,
                UnkeptPromise.progress_at,
                UnkeptPromise.excluded_by,
                UnkeptPromise.stage_seconds,
                UnkeptPromise.open_stage,
                UnkeptPromise.open_since,
                Claim.status,
                Claim.amount,
            )
            .join(UnkeptPromise, UnkeptPromise.shipment_id == Shipment.id)
            .outerjoin(Claim, Claim.shipment_id == Shipment.id)
            .where(*_in_period(first, last, product), _unkept_at(now))
        )
        return [
            UnkeptRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _review(row), row.status, row.amount)
            for row in self._session.execute(query)
        ]

    def claim_timings(self, start: datetime, end: datetime, product: str | None) -> list[ClaimTiming]:
        decided = (
            select(func.min(ClaimTransition.at))
            .where(ClaimTransition.claim_id == Claim.id, ClaimTransition.to_status.in_(DECIDED))
            .scalar_subquery()
        )
        query = (
            select(
                Claim.reference,
                Shipment.product_code,
                Shipment.market_code,
                Shipment.destination_postal_code,
                Claim.status,
                Claim.requested_at,
                decided,
            )
            .join(Shipment, Shipment.id == Claim.shipment_id)
            .where(Claim.requested_at >= start, Claim.requested_at < end)
        )
        if product is not None:
            query = query.where(Shipment.product_code == product)
        return [ClaimTiming(*row) for row in self._session.execute(query)]

    def notification_counts(self, start: datetime, end: datetime) -> list[NotificationCount]:
        query = (
            select(Notification.kind, Notification.channel, Notification.locale, Notification.status, func.count())
            .where(Notification.created_at >= start, Notification.created_at < end)
            .group_by(Notification.kind, Notification.channel, Notification.locale, Notification.status)
        )
        return [NotificationCount(k, c, loc, s, int(n)) for k, c, loc, s, n in self._session.execute(query)]

    def failure_reasons(self, start: datetime, end: datetime, limit: int) -> list[tuple[str, int]]:
        count = func.count()
        query = (
            select(Notification.reason, count)
            .where(
                Notification.created_at >= start,
                Notification.created_at < end,
                Notification.status == str(Status.FAILED),
            )
            .group_by(Notification.reason)
            .order_by(count.desc(), Notification.reason)
            .limit(limit)
        )
        return [(reason or "", int(n)) for reason, n in self._session.execute(query)]

    def opt_outs(self, start: datetime, end: datetime) -> dict[str, int]:
        query = (
            select(Consent.channel, func.count())
            .where(Consent.action == "opt_out", Consent.at >= start, Consent.at < end)
            .group_by(Consent.channel)
        )
        return {channel: int(n) for channel, n in self._session.execute(query)}

    def handoff_timings(self, start: datetime, end: datetime) -> list[HandoffTiming]:
        query = (
            select(*_HANDOFF_COLUMNS)
            .where(Handoff.requested_at >= start, Handoff.requested_at < end)
            .order_by(Handoff.requested_at, Handoff.id)
        )
        return [_handoff(row) for row in self._session.execute(query)]

    def requests_due(self, by: date, limit: int) -> list[HandoffTiming]:
        query = (
            select(*_HANDOFF_COLUMNS)
            .where(Handoff.status != str(HandoffStatus.RESOLVED), Handoff.answer_due_on <= by)
            .order_by(Handoff.answer_due_on, Handoff.id)
            .limit(limit)
        )
        return [_handoff(row) for row in self._session.execute(query)]
