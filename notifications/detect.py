"""Find the promises that broke, are about to break or were met late, and write them to the outbox.

Scales by query, not by table size: only shipments whose state could have changed since
the last pass are read (deadline and delivery columns are indexed), and shipments that
already have a notification of that kind are left out in SQL. The outbox's unique dedupe
key (shipment x kind) makes a notification happen at most once, ever, even with several
notifiers running at once: a second insert of the same key does nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from notifications.channels import choose, recipient
from notifications.outbox import Channel, Kind, Status, dedupe_key, enqueue, opted_out
from notifications.quiet_hours import QuietHours
from parcels.check import promise_variables
from parcels.policy import Grant, Policy, current_policy
from parcels.promise import Outcome, PromiseDecision, arrival_horizon, decide, latest_arrival
from parcels.stages import EventKind, Stage, stages_with
from parcels.storage import queries
from parcels.storage.db import session_scope
from parcels.storage.models import Claim, Customer, Notification, Shipment, TrackingEvent

BATCH = 1000
SLACK = timedelta(minutes=10)  # an incremental pass looks this much further back than the previous one


# Facts that, once decided, stay decided: a candidate that calls for no message is not examined again.
FACTS = frozenset({Kind.PROMISE_BROKEN, Kind.DELIVERED_LATE})

# Claims granted after being applied for. An automatic grant is approved in the very
# conversation that files it: the shopper was told there, and gets no second message.
GRANTED = ("approved", "paid")


@dataclass(frozen=True, slots=True)
class DetectSettings:
    at_risk_horizon: timedelta = timedelta(days=3)  # look at open promises due within this
    at_risk_every: timedelta = timedelta(minutes=15)  # how often the forecast is made again
    sweep_every: timedelta = timedelta(hours=1)  # how often the whole lookback is read (late registrations...)
    lookback: timedelta = timedelta(days=60)  # promises that broke longer ago than this are left alone
    quiet_hours: QuietHours = field(default_factory=QuietHours)


@dataclass(slots=True)
class DetectReport:
    examined: int = 0
    settled: int = 0  # candidates that call for no message (excluded promises...), recorded as such
    enqueued: dict[Kind, int] = field(default_factory=dict)
    planned: list[dict[str, Any]] = field(default_factory=list)  # what was (or, in a dry run, would be) written

    def count(self, kind: Kind) -> None:
        self.enqueued[kind] = self.enqueued.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.enqueued.values())


def _not_notified(kind: Kind) -> ColumnElement[bool]:
    return ~exists().where(Notification.shipment_id == Shipment.id, Notification.kind == str(kind))


def candidate_ids(
    session: Session,
    now: datetime,
    settings: DetectSettings,
    at_risk: bool = True,
    since: datetime | None = None,
    policy: Policy | None = None,
) -> Iterator[tuple[int, Kind]]:
    """(shipment id, kind) pairs whose promise may call for a notification of that kind.

    ``since`` None: a sweep over the whole lookback. Else only what changed since then:
    deadlines passed, deliveries learnt of and claims granted (with some slack for
    transactions that committed late). At risk is a forecast that changes with time: its
    candidates are read only when ``at_risk``: the open promises due within the horizon, and of those only the
    ones the parcel could miss (``_could_miss``, then ``_may_be_late``)."""
    # Each condition reads a partial index (ix_shipments_undelivered_deadline,
    # ix_shipments_late_delivered, ix_shipments_late_progress): their WHERE terms appear verbatim.
    start = now - settings.lookback if since is None else since - SLACK
    undelivered = Shipment.delivered_at.is_(None)
    first_attempt_late = Shipment.first_attempt_at >= Shipment.deadline_at
    learnt = Shipment.delivered_at > start if since is None else Shipment.progress_at > start
    queries_by_kind = {
        Kind.PROMISE_BROKEN: and_(
            undelivered,
            Shipment.deadline_at <= now,
            Shipment.deadline_at > start,
            or_(Shipment.first_attempt_at.is_(None), first_attempt_late),
        ),
        Kind.DELIVERED_LATE: and_(first_attempt_late, learnt, Shipment.delivered_at.is_not(None)),
    }
    # No ORDER BY: it would tempt SQLite into walking the whole table in id order.
    for kind, condition in queries_by_kind.items():
        for shipment_id in sorted(session.scalars(select(Shipment.id).where(condition, _not_notified(kind)))):
            yield shipment_id, kind
    if at_risk:
        policy = policy or current_policy()
        open_soon = and_(
            undelivered,
            Shipment.deadline_at > now,
            Shipment.deadline_at <= now + settings.at_risk_horizon,
            Shipment.first_attempt_at.is_(None),
            _could_miss(now, policy),
        )
        forecast = select(*_FORECAST_COLUMNS, _returned().label("returned")).where(
            open_soon, _not_notified(Kind.PROMISE_AT_RISK)
        )
        for row in sorted(session.execute(forecast)):
            if _may_be_late(row, now, policy):
                yield row.id, Kind.PROMISE_AT_RISK
    granted = session.scalars(
        select(Claim.shipment_id).where(
            Claim.status.in_(GRANTED),
            Claim.updated_at > start,
            Claim.grant == str(Grant.ON_APPLICATION),
            ~exists().where(
                Notification.shipment_id == Claim.shipment_id,
                Notification.kind == str(Kind.COMPENSATION_GRANTED),
            ),
        )
    )
    for shipment_id in sorted(granted):
        yield shipment_id, Kind.COMPENSATION_GRANTED


def _could_miss(now: datetime, policy: Policy) -> ColumnElement[bool]:
    """The open promises whose parcel the engine may expect after the deadline: due within the parcel's arrival
    horizon from its latest stage (``parcels.promise.arrival_horizon``), or returned (always at risk), or with
    an event (or payment) later than now, which the horizon does not bound. The others cannot be at risk, so
    the forecast leaves them out instead of deciding each one to learn it."""
    stage = func.coalesce(Shipment.current_stage, int(Stage.COLLECTION))
    within = [
        and_(
            Shipment.product_code == code, stage == int(at), Shipment.deadline_at <= now + arrival_horizon(product, at)
        )
        for code, product in sorted(policy.products.items())
        for at in Stage
    ]
    ahead = func.coalesce(Shipment.last_event_at, Shipment.paid_at) > now
    return or_(*within, _returned(), ahead)


def _returned() -> ColumnElement[bool]:
    return exists().where(TrackingEvent.shipment_id == Shipment.id, TrackingEvent.kind == str(EventKind.RETURNED))


_FORECAST_COLUMNS = (
    Shipment.id,
    Shipment.product_code,
    Shipment.current_stage,
    Shipment.last_event_at,
    Shipment.paid_at,
    Shipment.deadline_at,
)
HOLD_STAGES = stages_with(EventKind.CUSTOMS_HOLD)


def _may_be_late(row: Any, now: datetime, policy: Policy) -> bool:
    """Whether the engine may expect the parcel after its deadline, from what its row says of its latest event
    (``parcels.promise.latest_arrival``). A returned parcel always may; so may one whose latest stage has
    customs holds (a hold counts its whole stage from now, which only the horizon in ``_could_miss`` bounds)
    or whose latest event the clock has not reached."""
    since = row.last_event_at or row.paid_at
    stage = Stage(row.current_stage or Stage.COLLECTION)
    if row.returned or since > now or stage in HOLD_STAGES:
        return True
    return bool(row.deadline_at <= latest_arrival(policy.products[row.product_code], stage, since, now))


def kind_of(decision: PromiseDecision, delivered: bool) -> Kind | None:
    """Which notification a decision calls for; exclusions and kept promises call for none.

    A parcel delivered after its promise broke (even after a first attempt that was itself
    late) is told as delivered late."""
    if decision.outcome is Outcome.OPEN and decision.at_risk:
        return Kind.PROMISE_AT_RISK
    if decision.outcome is Outcome.BROKEN:
        return Kind.DELIVERED_LATE if delivered else Kind.PROMISE_BROKEN
    return None


def _variables(decision: PromiseDecision, policy: Policy, delivered_at: datetime | None) -> dict[str, Any]:
    variables = promise_variables(decision, None, policy)
    variables["delivered_at"] = delivered_at
    variables["tracking_url"] = None
    return dict(_jsonable({str(key): value for key, value in variables.items()}))


def _claim_variables(claim: Claim) -> dict[str, Any]:
    return {
        "number": claim.tracking_number,
        "amount": str(claim.amount),
        "currency": claim.currency,
        "form": claim.form,
        "reference": claim.reference,
    }


def _jsonable(value: Any) -> Any:
    """``value`` as the outbox's JSON column keeps it: dates as ISO text, anything else unusual as its text.
    One round trip through the C encoder: a pass writes tens of thousands of these."""
    return json.loads(json.dumps(value, default=_as_text))


def _as_text(value: Any) -> str:
    return str(value.isoformat()) if hasattr(value, "isoformat") else str(value)


def detect(
    now: datetime,
    engine: Engine | None = None,
    settings: DetectSettings | None = None,
    policy: Policy | None = None,
    dry_run: bool = False,
    at_risk: bool = True,
    since: datetime | None = None,
) -> DetectReport:
    """One pass: decide each candidate's promise and enqueue what it calls for, batch by batch.

    ``dry_run``: decide and report, write nothing. ``at_risk``: forecast open promises too.
    ``since``: only what changed since then (the previous pass); None: sweep the lookback."""
    settings, policy = settings or DetectSettings(), policy or current_policy()
    report = DetectReport()
    with session_scope(engine) as session:
        pairs = list(candidate_ids(session, now, settings, at_risk, since, policy))
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start : start + BATCH]
        with session_scope(engine) as session:
            rows = _decide_batch(session, batch, now, settings, policy, report)
            report.planned.extend(rows)
            if dry_run:
                session.rollback()  # not even a new inbox key
            else:
                enqueue(session, rows)
    return report


@dataclass
class Detector:
    """Passes one after another: each reads what changed since the previous one; the whole
    lookback is swept every ``sweep_every`` and the at-risk forecast made every ``at_risk_every``."""

    settings: DetectSettings = field(default_factory=DetectSettings)
    engine: Engine | None = None
    passed_at: datetime | None = None
    swept_at: datetime | None = None
    forecast_at: datetime | None = None

    def run(self, now: datetime) -> DetectReport:
        sweep = self.swept_at is None or now - self.swept_at >= self.settings.sweep_every
        at_risk = self.forecast_at is None or now - self.forecast_at >= self.settings.at_risk_every
        since = None if sweep else self.passed_at
        report = detect(now, self.engine, self.settings, at_risk=at_risk, since=since)
        self.passed_at = now
        if sweep:
            self.swept_at = now
        if at_risk:
            self.forecast_at = now
        return report


def _decide_batch(
    session: Session,
    batch: list[tuple[int, Kind]],
    now: datetime,
    settings: DetectSettings,
    policy: Policy,
    report: DetectReport,
) -> list[dict[str, Any]]:
    wanted: dict[int, set[Kind]] = {}
    for shipment_id, kind in batch:
        wanted.setdefault(shipment_id, set()).add(kind)
    shipments = {row.id: row for row in session.scalars(select(Shipment).where(Shipment.id.in_(wanted)))}
    found = queries.facts_with_events(session, list(shipments.values()))
    customer_ids = {row.customer_id for row in shipments.values() if row.customer_id is not None}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    silenced = opted_out(session, [c.phone for c in customers.values() if c.phone])
    granted = {
        claim.shipment_id: claim
        for claim in session.scalars(select(Claim).where(Claim.shipment_id.in_(wanted), Claim.status.in_(GRANTED)))
    }
    rows: list[dict[str, Any]] = []
    for shipment_id, kinds in wanted.items():
        shipment = shipments[shipment_id]
        report.examined += 1
        facts, events = found[shipment.tracking_number]
        planned: list[tuple[Kind, dict[str, Any]]] = []
        if Kind.COMPENSATION_GRANTED in kinds and shipment_id in granted:
            planned.append((Kind.COMPENSATION_GRANTED, _claim_variables(granted[shipment_id])))
        if kinds - {Kind.COMPENSATION_GRANTED}:
            decision = decide(facts, events, policy, now)
            due = kind_of(decision, shipment.delivered_at is not None)
            if due is not None and due in kinds:
                planned.append((due, _variables(decision, policy, shipment.delivered_at)))
            for fact in (kinds & FACTS) - {due}:
                rows.append(_settled_row(shipment, fact, decision, now))
                report.settled += 1
        for kind, variables in planned:
            rows.append(_outbox_row(shipment, kind, variables, customers, silenced, facts.time_zone, now, settings))
            report.count(kind)
    return rows


def _settled_row(shipment: Shipment, kind: Kind, decision: PromiseDecision, now: datetime) -> dict[str, Any]:
    """A fact that calls for no message (an excluded promise...): kept, so that it is not examined again."""
    codes = ", ".join(str(reason.code) for reason in decision.reasons)
    return {
        "dedupe_key": dedupe_key(shipment.id, kind),
        "shipment_id": shipment.id,
        "kind": str(kind),
        "channel": str(Channel.NONE),
        "recipient": None,
        "reason": f"nothing to tell: {decision.outcome} ({codes})"[:300],
        "locale": "es",
        "variables": {"number": shipment.tracking_number},
        "status": str(Status.SKIPPED),
        "not_before": now,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _outbox_row(
    shipment: Shipment,
    kind: Kind,
    variables: dict[str, Any],
    customers: dict[int, Customer],
    silenced: set[str],
    time_zone: str,
    now: datetime,
    settings: DetectSettings,
) -> dict[str, Any]:
    customer = customers.get(shipment.customer_id) if shipment.customer_id else None
    route = choose(customer, customer is not None and customer.phone in silenced)
    return {
        "dedupe_key": dedupe_key(shipment.id, kind),
        "shipment_id": shipment.id,
        "kind": str(kind),
        "channel": route.channel or str(Channel.NONE),
        "recipient": recipient(customer, route.channel) if customer and route.channel else None,
        "reason": route.reason,
        "locale": customer.locale if customer else "es",
        "variables": variables,
        "status": str(Status.PENDING if route.sendable else Status.SKIPPED),
        "not_before": settings.quiet_hours.next_allowed(now, ZoneInfo(time_zone)),
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
