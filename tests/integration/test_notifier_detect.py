"""Detection on the real database: what is enqueued, once, at a decent hour, never to those who opted out."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from notifications.detect import Detector, DetectSettings, detect
from notifications.outbox import Kind, Status
from parcels.claims import Actor, ActorKind, ClaimStatus, make_claim, update_claim
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Consent, Customer, Notification
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

MADRID = ZoneInfo("Europe/Madrid")
PAID = datetime(2026, 11, 27, 11, tzinfo=MADRID)  # CHOICE_9: promised 6 December, deadline 00:00 on the 7th
NOW = datetime(2026, 12, 7, 0, 30, tzinfo=MADRID)  # half an hour after the deadline: quiet hours

BROKEN = "LP00012345678901"
JUST_IN_TIME = "LP00012345678902"
ON_TIME = "LP00012345678903"
AT_RISK = "LP00012345678904"
EXCLUDED = "LP00012345678905"
SILENT = "LP00012345678906"
BACK_OFFICE = Actor(ActorKind.API_KEY, "BACK_OFFICE_API_KEY")


@pytest.fixture
def parcels(db: Engine) -> None:
    at_risk_paid = (NOW - timedelta(days=7)).isoformat()
    register_shipments(
        UOW,
        [
            shipment_record(BROKEN, order_ref="1", paid_at=PAID.isoformat(), customer_phone="+34600000001"),
            shipment_record(JUST_IN_TIME, order_ref="2", paid_at=PAID.isoformat(), customer_phone="+34600000002"),
            shipment_record(ON_TIME, order_ref="3", paid_at=PAID.isoformat(), customer_phone="+34600000003"),
            shipment_record(AT_RISK, order_ref="4", paid_at=at_risk_paid, customer_phone="+34600000004"),
            shipment_record(EXCLUDED, order_ref="5", paid_at=PAID.isoformat(), customer_phone="+34600000005"),
            shipment_record(SILENT, order_ref="6", paid_at=PAID.isoformat(), customer_phone="+34600000006"),
        ],
    )
    ingest_events(
        UOW,
        [
            event_record("d-1", "EMA", "2026-11-28T10:00:00+01:00", BROKEN),
            event_record("d-2", "GTMS_SIGNED", "2026-12-06T23:30:00+01:00", JUST_IN_TIME),
            event_record("d-3", "GTMS_SIGNED", "2026-12-03T10:00:00+01:00", ON_TIME),
            event_record("d-4", "LH_DEPART", (NOW - timedelta(days=6)).isoformat(), AT_RISK),
            event_record("d-5", "CC_IM_HOLD", "2026-12-02T10:00:00+01:00", EXCLUDED),
            event_record("d-6", "EMA", "2026-11-28T10:00:00+01:00", SILENT),
        ],
        received_at=NOW,
    )
    with session_scope() as session:
        session.add(
            Consent(phone="+34600000006", channel="whatsapp", purpose="service", action="opt_out", text="BAJA", at=PAID)
        )


def outbox() -> dict[str, Notification]:
    with session_scope() as session:
        return {f"{n.shipment_id}:{n.kind}": n for n in session.scalars(select(Notification))}


def by_kind() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for n in outbox().values():
        found.setdefault(n.kind, []).append((n.variables["number"], n.status))
    return found


def test_each_promise_gets_the_notification_it_calls_for_once(parcels: None) -> None:
    report = detect(UOW, NOW)
    kinds = by_kind()
    assert sorted(kinds[Kind.PROMISE_BROKEN]) == [
        (BROKEN, Status.PENDING),
        (EXCLUDED, Status.SKIPPED),  # decided once, never examined again
        (SILENT, Status.SKIPPED),
    ]
    [excluded] = [n for n in outbox().values() if n.variables["number"] == EXCLUDED]
    assert excluded.reason.startswith("nothing to tell: excluded") and "customs" in excluded.reason
    assert kinds[Kind.PROMISE_AT_RISK] == [(AT_RISK, Status.PENDING)]
    assert Kind.DELIVERED_LATE not in kinds  # delivered 30 minutes before its deadline: kept
    assert report.total == 3
    assert detect(UOW, NOW).total == 0  # a second pass finds nothing new
    assert detect(UOW, NOW + timedelta(hours=5)).total == 0


def test_a_late_delivery_is_its_own_notification(parcels: None) -> None:
    detect(UOW, NOW)
    ingest_events(UOW, [event_record("d-7", "GTMS_SIGNED", "2026-12-08T12:00:00+01:00", BROKEN)], NOW)
    report = detect(UOW, datetime(2026, 12, 8, 13, tzinfo=MADRID))
    assert report.enqueued == {Kind.DELIVERED_LATE: 1}
    [late] = by_kind()[Kind.DELIVERED_LATE]
    assert late == (BROKEN, Status.PENDING)


def test_messages_wait_for_the_morning(parcels: None) -> None:
    detect(UOW, NOW)
    for notification in outbox().values():
        if notification.channel != "none":
            assert notification.not_before == datetime(2026, 12, 7, 9, tzinfo=MADRID)


def test_the_variables_are_those_the_templates_need(parcels: None) -> None:
    detect(UOW, NOW)
    [broken] = [n for n in outbox().values() if n.variables["number"] == BROKEN]
    assert broken.variables["owed_amount"] == "1.00"  # at 00:30 on the 7th it is a day late
    assert broken.variables["days_late"] == 1
    assert broken.variables["promised_date"] == "2026-12-06"


def test_two_notifiers_at_once_never_enqueue_twice(parcels: None) -> None:
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(detect(UOW, NOW).total)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outbox()) == 4  # three to tell and the excluded promise, settled


def test_the_channel_follows_the_customers_preference(db: Engine) -> None:
    paid = PAID.isoformat()
    register_shipments(
        UOW,
        [
            shipment_record("LP00012345678911", order_ref="c1", paid_at=paid, customer_phone="+34600000011"),
            shipment_record(
                "LP00012345678912", order_ref="c2", paid_at=paid, customer_phone="+34600000012", customer_channel="sms"
            ),
            shipment_record(
                "LP00012345678913", order_ref="c3", paid_at=paid, customer_phone="+34600000013", customer_channel="web"
            ),
            shipment_record("LP00012345678914", order_ref="c4", paid_at=paid, customer_phone=None),
        ],
    )
    ingest_events(
        UOW,
        [event_record(f"ch-{n}", "EMA", "2026-11-28T10:00:00+01:00", f"LP0001234567891{n}") for n in range(1, 5)],
        received_at=NOW,
    )
    dry = detect(UOW, NOW, dry_run=True)
    assert dry.total == 4
    with session_scope() as session:
        assert session.scalars(select(Customer.inbox_key).where(Customer.inbox_key.is_not(None))).all() == []

    detect(UOW, NOW)
    routes = {n.variables["number"][-2:]: (n.channel, n.recipient, n.status) for n in outbox().values()}
    with session_scope() as session:
        keys = {c.phone: c.inbox_key for c in session.scalars(select(Customer))}
    assert routes["11"] == ("whatsapp", "+34600000011", Status.PENDING)
    assert routes["12"] == ("sms", "+34600000012", Status.PENDING)
    assert routes["13"] == ("web", f"inbox-{keys['+34600000013']}", Status.PENDING)
    assert routes["14"] == ("web", f"inbox-{keys[None]}", Status.PENDING)  # no phone: their web chat inbox
    assert len(keys[None] or "") == 32 and keys["+34600000011"] is None  # keys only where an inbox is used


def test_opting_out_silences_every_channel(db: Engine) -> None:
    register_shipments(
        UOW, [shipment_record(BROKEN, paid_at=PAID.isoformat(), customer_phone="+34600000021", customer_channel="sms")]
    )
    ingest_events(UOW, [event_record("o-1", "EMA", "2026-11-28T10:00:00+01:00", BROKEN)], received_at=NOW)
    with session_scope() as session:
        session.add(
            Consent(phone="+34600000021", channel="whatsapp", purpose="service", action="opt_out", text="STOP", at=PAID)
        )
    detect(UOW, NOW)
    [notification] = outbox().values()
    assert (notification.channel, notification.status) == ("none", Status.SKIPPED)
    assert notification.reason == "the customer opted out"


def test_a_claim_granted_on_application_is_told_once(db: Engine) -> None:
    register_shipments(
        UOW,
        [
            shipment_record(BROKEN, order_ref="s1", product="STANDARD", paid_at=PAID.isoformat()),
            shipment_record(ON_TIME, order_ref="a1", paid_at=PAID.isoformat(), customer_phone="+34600000031"),
        ],
    )
    events = [event_record(f"g-{n}", "EMA", "2026-11-28T10:00:00+01:00", n) for n in (BROKEN, ON_TIME)]
    ingest_events(UOW, events, received_at=NOW)
    later = datetime(2026, 12, 30, 12, tzinfo=MADRID)
    requested = make_claim(UOW, BROKEN, later, "web", postal_code="28013")
    automatic = make_claim(UOW, ON_TIME, later, "web", postal_code="28013")
    assert requested.claim is not None and requested.claim.status == ClaimStatus.REQUESTED
    assert automatic.claim is not None and automatic.claim.status == ClaimStatus.APPROVED  # told in the chat
    detect(UOW, later)
    assert Kind.COMPENSATION_GRANTED not in by_kind()

    update_claim(UOW, requested.claim.reference, ClaimStatus.APPROVED, later + timedelta(hours=1), BACK_OFFICE)
    report = detect(UOW, later + timedelta(hours=2))
    assert report.enqueued == {Kind.COMPENSATION_GRANTED: 1}
    [granted] = [n for n in outbox().values() if n.kind == Kind.COMPENSATION_GRANTED]
    assert granted.variables == {
        "number": BROKEN,
        "amount": str(requested.claim.amount),
        "currency": "EUR",
        "form": "coupon",
        "reference": requested.claim.reference,
    }
    update_claim(UOW, requested.claim.reference, ClaimStatus.PAID, later + timedelta(hours=3), BACK_OFFICE)
    assert detect(UOW, later + timedelta(hours=4)).total == 0  # paid later: still the one message


def test_the_at_risk_forecast_is_made_again_only_every_so_often(parcels: None) -> None:
    detector = Detector(UOW, DetectSettings(at_risk_every=timedelta(minutes=15)))
    assert detector.run(NOW).enqueued == {Kind.PROMISE_BROKEN: 2, Kind.PROMISE_AT_RISK: 1}
    late_comer = "LP00012345678907"
    register_shipments(UOW, [shipment_record(late_comer, order_ref="7", paid_at=(NOW - timedelta(days=7)).isoformat())])
    ingest_events(UOW, [event_record("d-7", "LH_DEPART", (NOW - timedelta(days=6)).isoformat(), late_comer)], NOW)
    assert detector.run(NOW + timedelta(minutes=1)).total == 0  # facts only: nothing broke meanwhile
    assert detector.run(NOW + timedelta(minutes=16)).enqueued == {Kind.PROMISE_AT_RISK: 1}


def test_passes_read_what_changed_and_a_sweep_catches_the_rest(parcels: None) -> None:
    detector = Detector(UOW, DetectSettings(sweep_every=timedelta(hours=1)))
    assert detector.run(NOW).total == 3  # the first pass sweeps
    # Delivered ten minutes after the deadline; we learn of it forty minutes later.
    delivered = event_record("late-1", "GTMS_SIGNED", "2026-12-07T00:10:00+01:00", BROKEN)
    ingest_events(UOW, [delivered], NOW + timedelta(minutes=20))
    # Registered after its promise had already broken (an import of old orders).
    register_shipments(UOW, [shipment_record("LP00012345678908", order_ref="8", paid_at=PAID.isoformat())])
    ingest_events(UOW, [event_record("old-1", "EMA", "2026-11-28T10:00:00+01:00", "LP00012345678908")], NOW)

    incremental = detector.run(NOW + timedelta(minutes=30))
    assert incremental.enqueued == {Kind.DELIVERED_LATE: 1}
    assert detector.run(NOW + timedelta(minutes=31)).total == 0
    sweep = detector.run(NOW + timedelta(hours=1, minutes=1))
    assert sweep.enqueued == {Kind.PROMISE_BROKEN: 1}
    assert ("LP00012345678908", Status.PENDING) in by_kind()[Kind.PROMISE_BROKEN]
