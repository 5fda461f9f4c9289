"""The dashboard's SQL repository: counts and plain rows for a period, each answered from an index.

Promises are counted by promised day, product and province from ``ix_shipments_promised`` alone; the promises
not kept in time are added up from their reviews (``unkept_promises``), which hold what of their figures never
moves with the clock: only the time of the stage an unattempted parcel is still at is worked out at the moment
asked, in the same query. A review is deleted when its shipment's events are recorded, and written again for
the shipments without one (or of another policy) before a period is counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Float, and_, case, cast, extract, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from parcels.claim_records import ClaimStatus
from parcels.handoff_records import HandoffStatus
from parcels.metric_records import (
    ClaimedPromise,
    ClaimTiming,
    HandoffClock,
    HandoffTiming,
    NotificationCount,
    OpenOverrun,
    PromiseCount,
    PromiseTotals,
    ReviewedPromise,
    StageFigures,
    StageOverrun,
    StageParcel,
    UnkeptGroup,
)
from parcels.outbox_records import Status
from parcels.stages import Stage
from parcels.storage.models import (
    Claim,
    ClaimTransition,
    Consent,
    Handoff,
    Notification,
    Shipment,
    UnkeptPromise,
)
from parcels.unkept import DAY

DECIDED = (str(ClaimStatus.APPROVED), str(ClaimStatus.REJECTED))
_UNIX_JULIAN_DAY = 2440587.5  # 1 January 1970, 00:00 UTC, as SQLite's julianday() counts


class MetricsRepository(Protocol):
    def promise_counts(self, first: date, last: date, now: datetime, product: str | None) -> list[PromiseCount]:
        """The promises due on ``first`` to ``last`` (local promised days), counted per day, product, province."""
        ...

    def promise_totals(self, first: date, last: date, now: datetime, product: str | None) -> PromiseTotals:
        """The same promises, counted for the whole period."""
        ...

    def to_review(
        self, first: date, last: date, now: datetime, policy_version: str, limit: int
    ) -> list[tuple[int, datetime | None]]:
        """(shipment id, its events' progress_at) of the unkept promises due in the period whose review is
        missing, or older than their events or the policy; at most ``limit``."""
        ...

    def save_reviews(self, reviews: Sequence[ReviewedPromise]) -> None: ...

    def unkept_groups(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[UnkeptGroup]:
        """The reviewed unkept promises, counted per promised day, product, province, outcome and attempt."""
        ...

    def stage_figures(
        self,
        first: date,
        last: date,
        now: datetime,
        product: str | None,
        policy_version: str,
        typical_days: Mapping[tuple[str, int], float],
    ) -> StageFigures:
        """The broken promises' stages that overran: left behind, per promised day, product and stage; and still at
        a stage longer than its typical days (per product and stage) at ``now``. With how many reviews were read."""
        ...

    def claimed(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[ClaimedPromise]:
        """The reviewed unkept promises a claim was made for, with the claim."""
        ...

    def stage_parcels(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str, stage: int
    ) -> list[StageParcel]:
        """The broken promises that left ``stage`` behind overrun, or are still at it."""
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

    def handoff_clocks(self, start: datetime, end: datetime) -> list[HandoffClock]:
        """The channels and clocks of the handoffs asked for from ``start`` to ``end``."""
        ...

    def handoff_reasons(self, start: datetime, end: datetime) -> list[tuple[str, str, str, int]]:
        """Those handoffs counted by channel, language and reason."""
        ...

    def requests_due(self, by: date, limit: int) -> list[HandoffTiming]:
        """The requests not yet handed back whose answer is due by ``by``, soonest first."""
        ...


def _posix_seconds(dialect: str) -> Callable[[Any], ColumnElement[float]]:
    """A moment as seconds since 1970 in UTC, worked out by the database (to the millisecond on SQLite, which
    keeps UTC times as text)."""
    if dialect == "sqlite":
        return lambda moment: (func.julianday(moment) - _UNIX_JULIAN_DAY) * 86400.0
    return lambda moment: cast(extract("epoch", moment), Float)


def _in_period(first: date, last: date, product: str | None) -> list[ColumnElement[bool]]:
    conditions = [Shipment.promised_date >= first, Shipment.promised_date <= last]
    if product is not None:
        conditions.append(Shipment.product_code == product)
    return conditions


def _kept_and_open(now: datetime) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    kept = func.sum(case((Shipment.first_attempt_at < Shipment.deadline_at, 1), else_=0))
    still_open = func.sum(case((and_(Shipment.first_attempt_at.is_(None), Shipment.deadline_at > now), 1), else_=0))
    return kept, still_open


def _unkept_at(now: datetime) -> ColumnElement[bool]:
    return or_(
        Shipment.first_attempt_at >= Shipment.deadline_at,
        and_(Shipment.first_attempt_at.is_(None), Shipment.deadline_at <= now),
    )


STAGES = tuple(int(stage) for stage in Stage)
_OVER = {stage: getattr(UnkeptPromise, f"over_{stage}") for stage in STAGES}


def _reviewed(
    first: date, last: date, now: datetime, product: str | None, policy_version: str
) -> list[ColumnElement[bool]]:
    """The period's reviews of the current policy whose promise is unkept at ``now``: attempted late, or not
    attempted by a deadline already past (a review made at a later moment may hold promises still open now)."""
    u = UnkeptPromise
    conditions = [
        u.promised_date >= first,
        u.promised_date <= last,
        u.policy_version == policy_version,
        or_(u.attempted.is_(True), u.deadline_at <= now),
    ]
    if product is not None:
        conditions.append(u.product_code == product)
    return conditions


def _stored(reviewed: ReviewedPromise) -> dict[str, Any]:
    r, fixed = reviewed.review, reviewed.fixed
    return {
        "shipment_id": r.shipment_id,
        "policy_version": r.policy_version,
        "progress_at": r.progress_at,
        "promised_date": reviewed.promised_date,
        "product_code": reviewed.product_code,
        "market_code": reviewed.market_code,
        "province": reviewed.province,
        "deadline_at": reviewed.deadline_at,
        "excluded_by": r.excluded_by,
        "attempted": fixed.attempted,
        "days_late": fixed.days_late,
        "owed": fixed.owed,
        **{f"over_{stage}": fixed.days_over.get(stage) for stage in STAGES},
        "open_stage": fixed.open_stage,
        "open_from": fixed.open_from,
    }


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
        province = Shipment.province
        kept, still_open = _kept_and_open(now)
        query = (
            select(Shipment.promised_date, Shipment.product_code, province, kept, still_open, func.count())
            .where(*_in_period(first, last, product))
            .group_by(Shipment.promised_date, Shipment.product_code, province)
        )
        return [
            PromiseCount(day, code, where, int(k or 0), int(o or 0), int(n) - int(k or 0) - int(o or 0))
            for day, code, where, k, o, n in self._session.execute(query)
        ]

    def promise_totals(self, first: date, last: date, now: datetime, product: str | None) -> PromiseTotals:
        kept, still_open = _kept_and_open(now)
        row = self._session.execute(select(kept, still_open, func.count()).where(*_in_period(first, last, product)))
        k, o, n = row.one()
        return PromiseTotals(int(k or 0), int(o or 0), int(n) - int(k or 0) - int(o or 0))

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

    def save_reviews(self, reviews: Sequence[ReviewedPromise]) -> None:
        if not reviews:
            return
        rows = [_stored(r) for r in reviews]
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        insert = dialect.insert(UnkeptPromise)
        changed = {column: insert.excluded[column] for column in rows[0] if column != "shipment_id"}
        # Two web processes may review the same promise at once: the later write wins, and both are the same.
        self._session.execute(insert.on_conflict_do_update(index_elements=["shipment_id"], set_=changed), rows)

    def reviewed_count(self, first: date, last: date, now: datetime, product: str | None, policy_version: str) -> int:
        conditions = _reviewed(first, last, now, product, policy_version)
        return int(self._session.scalar(select(func.count()).select_from(UnkeptPromise).where(*conditions)) or 0)

    def unkept_groups(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[UnkeptGroup]:
        u = UnkeptPromise
        # in the order of ix_unkept_promises_groups, which holds every column read: added up as it is read
        keys = (u.promised_date, u.product_code, u.province, u.market_code, u.excluded_by, u.attempted)
        query = (
            select(*keys, func.count(), func.sum(u.owed))
            .where(*_reviewed(first, last, now, product, policy_version))
            .group_by(*keys)
        )
        groups: dict[tuple[date, str, str, str, bool, bool], list[Any]] = {}
        for day, code, where, market, excluded_by, tried, n, owed in self._session.execute(query):
            tally = groups.setdefault((day, code, market, where, excluded_by is not None, bool(tried)), [0, Decimal(0)])
            tally[0] += int(n)
            tally[1] += Decimal(owed or 0)
        return [UnkeptGroup(*key, n, owed) for key, (n, owed) in groups.items()]

    def stage_figures(
        self,
        first: date,
        last: date,
        now: datetime,
        product: str | None,
        policy_version: str,
        typical_days: Mapping[tuple[str, int], float],
    ) -> StageFigures:
        u = UnkeptPromise
        broken = u.excluded_by.is_(None)
        at = int(now.timestamp())
        counts_from_before = case(
            *(
                (and_(u.product_code == code, u.open_stage == stage), at - int(days * DAY))
                for (code, stage), days in typical_days.items()
            ),
            else_=None,
        )
        overran = and_(broken, u.open_from < counts_from_before)
        # grouped in the order of ix_unkept_promises_stages, which holds every column read
        left = [case((broken, _OVER[stage]), else_=None) for stage in STAGES]
        query = (
            select(
                u.promised_date,
                u.product_code,
                u.open_stage,
                func.count(),
                func.count(case((overran, 1), else_=None)),
                func.sum(case((overran, u.open_from), else_=None)),
                *(func.count(column) for column in left),
                *(func.sum(column) for column in left),
            )
            .where(*_reviewed(first, last, now, product, policy_version))
            .group_by(u.promised_date, u.product_code, u.open_stage)
        )
        reviewed, still = 0, []
        closed: dict[tuple[date, str, int], list[Any]] = {}
        for day, code, stage, n, open_n, open_sum, *figures in self._session.execute(query):
            reviewed += int(n)
            if stage is not None and open_n:
                still.append(OpenOverrun(day, code, int(stage), int(open_n), int(open_sum or 0)))
            for left_stage, count, total in zip(STAGES, figures[: len(STAGES)], figures[len(STAGES) :], strict=True):
                if count:
                    tally = closed.setdefault((day, code, left_stage), [0, 0.0])
                    tally[0] += int(count)
                    tally[1] += float(total or 0)
        return StageFigures(reviewed, [StageOverrun(*key, n, days) for key, (n, days) in closed.items()], still)

    def claimed(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[ClaimedPromise]:
        u = UnkeptPromise
        query = (
            select(
                u.promised_date,
                u.product_code,
                u.market_code,
                u.province,
                u.excluded_by.is_not(None),
                u.owed,
                Claim.status,
                Claim.amount,
            )
            .join(u, u.shipment_id == Claim.shipment_id)
            .where(*_reviewed(first, last, now, product, policy_version))
        )
        return [
            ClaimedPromise(day, code, market, where, bool(out), owed, status, amount)
            for day, code, market, where, out, owed, status, amount in self._session.execute(query)
        ]

    def stage_parcels(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str, stage: int
    ) -> list[StageParcel]:
        u, over = UnkeptPromise, _OVER[stage]
        query = (
            select(
                Shipment.tracking_number,
                u.product_code,
                u.market_code,
                u.province,
                u.promised_date,
                u.days_late,
                u.owed,
                over,
                case((u.open_stage == stage, u.open_from), else_=None),
            )
            .join(Shipment, Shipment.id == u.shipment_id)
            .where(
                *_reviewed(first, last, now, product, policy_version),
                u.excluded_by.is_(None),
                or_(over.is_not(None), u.open_stage == stage),
            )
        )
        return [StageParcel(*row) for row in self._session.execute(query)]

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

    def handoff_clocks(self, start: datetime, end: datetime) -> list[HandoffClock]:
        seconds = _posix_seconds(self._session.get_bind().dialect.name)
        query = select(Handoff.channel, seconds(Handoff.requested_at), seconds(Handoff.first_reply_at)).where(
            Handoff.requested_at >= start, Handoff.requested_at < end
        )
        return [HandoffClock(*row) for row in self._session.connection().execute(query).all()]

    def handoff_reasons(self, start: datetime, end: datetime) -> list[tuple[str, str, str, int]]:
        keys = (Handoff.channel, Handoff.language, Handoff.reason)
        query = (
            select(*keys, func.count()).where(Handoff.requested_at >= start, Handoff.requested_at < end).group_by(*keys)
        )
        return [(channel, language, reason, int(n)) for channel, language, reason, n in self._session.execute(query)]

    def requests_due(self, by: date, limit: int) -> list[HandoffTiming]:
        query = (
            select(*_HANDOFF_COLUMNS)
            .where(Handoff.status != str(HandoffStatus.RESOLVED), Handoff.answer_due_on <= by)
            .order_by(Handoff.answer_due_on, Handoff.id)
            .limit(limit)
        )
        return [HandoffTiming(*row) for row in self._session.connection().execute(query)]
