"""Find the promises that broke, are about to break or were met late, and write them to the outbox.

Scales by query, not by table size: only shipments whose state could have changed since
the last pass are read (deadline and delivery columns are indexed), and shipments that
already have a notification of that kind are left out in SQL. The outbox's unique dedupe
key (shipment x kind) makes a notification happen at most once, ever, even with several
notifiers running at once: a second insert of the same key does nothing.
"""

from __future__ import annotations

import dataclasses
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notifications.channels import Route, choose, new_inbox_key, recipient
from notifications.outbox import Channel, Kind, Status, dedupe_key
from notifications.quiet_hours import QuietHours
from parcels.check import promise_variables
from parcels.detection_records import Contact, DetectedShipment, Forecast, GrantedClaim
from parcels.policy import Policy, current_policy
from parcels.promise import Outcome, PromiseDecision, decide, latest_arrival
from parcels.stages import EventKind, Stage, stages_with
from parcels.storage.unit_of_work import Repositories, UnitOfWork

BATCH = 1000
SLACK = timedelta(minutes=10)  # an incremental pass reads commits this much older than the previous pass


# Facts that, once decided, stay decided: a candidate that calls for no message is not examined again.
FACTS = frozenset({Kind.PROMISE_BROKEN, Kind.DELIVERED_LATE})


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


def candidate_ids(
    repos: Repositories,
    now: datetime,
    settings: DetectSettings,
    at_risk: bool = True,
    since: datetime | None = None,
    policy: Policy | None = None,
) -> Iterator[tuple[int, Kind]]:
    """(shipment id, kind) pairs whose promise may call for a notification of that kind.

    ``since`` None: a sweep over the whole lookback. Else only what changed since then:
    deadlines passed, deliveries learnt of and claims granted (those two with some slack for
    transactions that committed late). At risk is a forecast that changes with time: its
    candidates are read only when ``at_risk``: the open promises due within the horizon, and of those only the
    ones the parcel could miss (the repository's ``forecast``, then ``_may_be_late``)."""
    if since is None:
        deadlines_after = learnt_after = now - settings.lookback
    else:
        # A deadline passes with the clock: the previous pass read every one up to ``since`` (a shipment
        # registered after its deadline is the sweep's). What we learn and grant comes with commits, which can
        # land behind ``since``: that is read with some slack. (Deadlines bunch at local midnight: a slack on
        # them would have every pass for minutes after re-read all the promises that broke at midnight.)
        deadlines_after, learnt_after = since, since - SLACK
    yield from repos.detection.due(now, deadlines_after, learnt_after, by_progress=since is not None)
    if at_risk:
        policy = policy or current_policy()
        for row in repos.detection.forecast(now, now + settings.at_risk_horizon, policy):
            if _may_be_late(row, now, policy):
                yield row.id, Kind.PROMISE_AT_RISK
    for shipment_id in repos.detection.granted(learnt_after):
        yield shipment_id, Kind.COMPENSATION_GRANTED


HOLD_STAGES = stages_with(EventKind.CUSTOMS_HOLD)


def _may_be_late(row: Forecast, now: datetime, policy: Policy) -> bool:
    """Whether the engine may expect the parcel after its deadline, from what its row says of its latest event
    (``parcels.promise.latest_arrival``). A returned parcel always may; so may one whose latest stage has
    customs holds (a hold counts its whole stage from now, which only the forecast's horizon bounds)
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


def _claim_variables(claim: GrantedClaim) -> dict[str, Any]:
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
    uow: UnitOfWork,
    now: datetime,
    settings: DetectSettings | None = None,
    policy: Policy | None = None,
    dry_run: bool = False,
    at_risk: bool = True,
    since: datetime | None = None,
) -> DetectReport:
    """One pass: decide each candidate's promise and enqueue what it calls for, batch by batch (a transaction
    each).

    ``dry_run``: decide and report, write nothing (not even a new inbox key). ``at_risk``: forecast open
    promises too. ``since``: only what changed since then (the previous pass); None: sweep the lookback."""
    settings, policy = settings or DetectSettings(), policy or current_policy()
    report = DetectReport()
    with _cyclic_gc_paused():
        with uow.begin() as repos:
            pairs = list(candidate_ids(repos, now, settings, at_risk, since, policy))
        for start in range(0, len(pairs), BATCH):
            batch = pairs[start : start + BATCH]
            with uow.begin() as repos:
                rows = _decide_batch(repos, batch, now, settings, policy, report, dry_run)
                report.planned.extend(rows)
                if not dry_run:
                    repos.outbox.enqueue(rows)
    return report


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A pass builds hundreds of thousands of short-lived objects (rows, events, decisions) that form no
    cycles: reference counting frees them as each batch ends. Meanwhile the cyclic collector would scan the
    growing heap again and again, a quarter of a large pass's time; it waits for the pass instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Detector:
    """Passes one after another: each reads what changed since the previous one; the whole
    lookback is swept every ``sweep_every`` and the at-risk forecast made every ``at_risk_every``."""

    uow: UnitOfWork
    settings: DetectSettings = field(default_factory=DetectSettings)
    passed_at: datetime | None = None
    swept_at: datetime | None = None
    forecast_at: datetime | None = None

    def run(self, now: datetime) -> DetectReport:
        sweep = self.swept_at is None or now - self.swept_at >= self.settings.sweep_every
        at_risk = self.forecast_at is None or now - self.forecast_at >= self.settings.at_risk_every
        since = None if sweep else self.passed_at
        report = detect(self.uow, now, self.settings, at_risk=at_risk, since=since)
        self.passed_at = now
        if sweep:
            self.swept_at = now
        if at_risk:
            self.forecast_at = now
        return report


def _decide_batch(
    repos: Repositories,
    batch: list[tuple[int, Kind]],
    now: datetime,
    settings: DetectSettings,
    policy: Policy,
    report: DetectReport,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """The outbox rows of one batch of candidates. A customer told in their web inbox who has no inbox key yet
    is given one, stored with the rows (not in a dry run)."""
    wanted: dict[int, set[Kind]] = {}
    for shipment_id, kind in batch:
        wanted.setdefault(shipment_id, set()).add(kind)
    shipments = repos.detection.shipments(wanted)
    contacts = {row.contact.id: row.contact for row in shipments.values() if row.contact is not None}
    silenced = repos.consents.opted_out([c.phone for c in contacts.values() if c.phone])
    granted = repos.detection.granted_claims(wanted)
    rows: list[dict[str, Any]] = []
    told: list[tuple[int, DetectedShipment, Kind, dict[str, Any], Route]] = []  # rows[index] to fill in
    for shipment_id, kinds in wanted.items():
        shipment = shipments[shipment_id]
        report.examined += 1
        planned: list[tuple[Kind, dict[str, Any]]] = []
        if Kind.COMPENSATION_GRANTED in kinds and shipment_id in granted:
            planned.append((Kind.COMPENSATION_GRANTED, _claim_variables(granted[shipment_id])))
        if kinds - {Kind.COMPENSATION_GRANTED}:
            decision = decide(shipment.facts, shipment.events, policy, now)
            due = kind_of(decision, shipment.delivered_at is not None)
            if due is not None and due in kinds:
                planned.append((due, _variables(decision, policy, shipment.delivered_at)))
            for fact in (kinds & FACTS) - {due}:
                rows.append(_settled_row(shipment, fact, decision, now))
                report.settled += 1
        for kind, variables in planned:
            contact = shipment.contact
            route = choose(contact, contact is not None and contact.phone in silenced)
            told.append((len(rows), shipment, kind, variables, route))
            rows.append({})
            report.count(kind)
    reached = {shipment.contact for _, shipment, _, _, route in told if route.channel == Channel.WEB}
    keyed = _with_inbox_keys(repos, contacts, reached, dry_run)
    for index, shipment, kind, variables, route in told:
        contact = keyed.get(shipment.contact.id) if shipment.contact is not None else None
        rows[index] = _outbox_row(shipment, kind, variables, contact, route, now, settings)
    return rows


def _with_inbox_keys(
    repos: Repositories, contacts: dict[int, Contact], reached: set[Contact | None], dry_run: bool
) -> dict[int, Contact]:
    """``contacts``, those reached in their web inbox each with an inbox key: a new one for whoever had none,
    stored where they still have none (another process may have given one meanwhile: that one is read back)."""
    keys = {c.id: new_inbox_key() for c in reached if c is not None and c.inbox_key is None}
    if not keys:
        return contacts
    if not dry_run:
        repos.detection.give_inbox_keys(keys)
        keys = repos.detection.inbox_keys(keys)
    return {**contacts, **{cid: dataclasses.replace(contacts[cid], inbox_key=key) for cid, key in keys.items()}}


def _settled_row(shipment: DetectedShipment, kind: Kind, decision: PromiseDecision, now: datetime) -> dict[str, Any]:
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
        "variables": {"number": shipment.facts.tracking_number},
        "status": str(Status.SKIPPED),
        "not_before": now,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _outbox_row(
    shipment: DetectedShipment,
    kind: Kind,
    variables: dict[str, Any],
    contact: Contact | None,
    route: Route,
    now: datetime,
    settings: DetectSettings,
) -> dict[str, Any]:
    return {
        "dedupe_key": dedupe_key(shipment.id, kind),
        "shipment_id": shipment.id,
        "kind": str(kind),
        "channel": route.channel or str(Channel.NONE),
        "recipient": recipient(contact, route.channel) if contact and route.channel else None,
        "reason": route.reason,
        "locale": contact.locale if contact else "es",
        "variables": variables,
        "status": str(Status.PENDING if route.sendable else Status.SKIPPED),
        "not_before": settings.quiet_hours.next_allowed(now, ZoneInfo(shipment.facts.time_zone)),
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
