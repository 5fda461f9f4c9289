"""The purge of what is past its time, on the real app database (SQLite, and PostgreSQL in its run) and a tracker
store with Rasa's table: with the clock moved on step by step, each purge removes exactly what its kind's time
has passed, and nothing else; a second purge at the same moment changes nothing; the day's purge runs once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, insert, select

from parcels import privacy
from parcels.claim_records import Actor, ActorKind, ClaimStatus
from parcels.claims import make_claim, update_claim
from parcels.conversation_days import count_message
from parcels.handoffs import Reason, add_note, request_handoff
from parcels.ingest import ingest_events
from parcels.outbox_records import ConsentRecord
from parcels.retention import Retention, RetentionError, load_retention
from parcels.shipments import register_shipments
from parcels.staff import Role, create_staff
from parcels.storage.conversation_archive import EVENTS, SqlConversationArchive
from parcels.storage.db import make_engine, session_scope
from parcels.storage.models import (
    Claim,
    ClaimTransition,
    Consent,
    ConversationDay,
    Customer,
    Handoff,
    HandoffNote,
    Notification,
    Shipment,
)
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, notification_row, shipment_record

UOW = SqlUnitOfWork()
NOW = datetime(2026, 12, 12, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=2150)  # the other shopper, Bruno: his records are newer than every cutoff below
NUMBER, ANA, BRUNO = "LP00000000000301", "+34612345678", "+34655000222"
RETENTION = load_retention(Path(__file__).resolve().parents[2] / "config" / "retention.yml")


@pytest.fixture
def archive(tmp_path: Path) -> SqlConversationArchive:
    engine = make_engine(f"sqlite:///{tmp_path / 'conversations.db'}")
    EVENTS.metadata.create_all(engine)
    rows = [
        (f"whatsapp:{ANA}", NOW - timedelta(minutes=20)),
        (f"whatsapp:{ANA}", NOW - timedelta(minutes=19)),
        (f"whatsapp:{BRUNO}", LATER),
    ]
    with engine.begin() as connection:
        connection.execute(
            insert(EVENTS),
            [
                {"sender_id": s, "type_name": "user", "timestamp": t.timestamp(), "data": json.dumps({"text": "hola"})}
                for s, t in rows
            ],
        )
    return SqlConversationArchive(engine)


@pytest.fixture
def records(db: Engine) -> None:
    """Ana, a shopper of December 2026 with one of everything; Bruno, years later, without a parcel."""
    register_shipments(UOW, [shipment_record(NUMBER, paid_at="2026-11-27T10:00:00Z")])
    ingest_events(UOW, [event_record("e-1", "GTMS_SIGNED", "2026-12-10T10:00:00Z", NUMBER)], NOW - timedelta(days=1))
    claim = make_claim(UOW, NUMBER, NOW - timedelta(days=2), "whatsapp", postal_code="28013").claim
    assert claim is not None
    update_claim(UOW, claim.reference, ClaimStatus.PAID, NOW - timedelta(days=1), Actor(ActorKind.STAFF, "alba@x.es"))
    with UOW.begin() as repos:
        shipment_id = repos.shipments.ids_of([NUMBER])[NUMBER]
        repos.consents.add(ConsentRecord(ANA, "whatsapp", "service", "opt_in", "ALTA", NOW - timedelta(days=10)))
        repos.consents.add(ConsentRecord(BRUNO, "whatsapp", "service", "opt_out", "BAJA", LATER))
    with session_scope() as session:
        session.add(notification_row(shipment_id, "read", NOW - timedelta(days=4)))
        session.add(notification_row(shipment_id, "read", LATER, dedupe_key="later", recipient=BRUNO))
    madrid = ZoneInfo("Europe/Madrid")
    count_message(UOW, f"whatsapp:{ANA}", "whatsapp", "es", NOW - timedelta(minutes=20), madrid)
    count_message(UOW, f"whatsapp:{BRUNO}", "whatsapp", "es", LATER, madrid)
    agent = create_staff(UOW, "ana@example.com", "Ana", Role.AGENT, "a-long-password-1")
    asked, _ = request_handoff(UOW, f"whatsapp:{ANA}", "whatsapp", "es", Reason.ASKED, [NUMBER], NOW)
    add_note(UOW, asked.id, agent, "Ana, calle Mayor 5", NOW + timedelta(minutes=1))
    later, _ = request_handoff(UOW, f"whatsapp:{BRUNO}", "whatsapp", "es", Reason.ASKED, [], LATER)
    add_note(UOW, later.id, agent, "Bruno's note", LATER + timedelta(minutes=1))


def _held(archive: SqlConversationArchive) -> dict[str, int]:
    def count(query) -> int:  # type: ignore[no-untyped-def]
        with session_scope() as session:
            return int(session.scalar(query) or 0)

    return {
        "customers": count(select(func.count()).select_from(Customer)),
        "shipments_with_a_customer": count(select(func.count()).where(Shipment.customer_id.is_not(None))),
        "notifications": count(select(func.count()).select_from(Notification)),
        "consents": count(select(func.count()).select_from(Consent)),
        "handoffs": count(select(func.count()).select_from(Handoff)),
        "handoffs_with_the_shopper": count(select(func.count()).where(Handoff.erased_at.is_(None))),
        "handoff_notes": count(select(func.count()).select_from(HandoffNote)),
        "conversation_days": count(select(func.count()).select_from(ConversationDay)),
        "claims": count(select(func.count()).select_from(Claim)),
        "claim_steps": count(select(func.count()).select_from(ClaimTransition)),
        "conversations": len(archive.existing([f"whatsapp:{ANA}", f"whatsapp:{BRUNO}"])),
    }


def test_each_purge_removes_exactly_what_is_past_its_time(records, archive) -> None:  # type: ignore[no-untyped-def]
    held = _held(archive)
    assert held == {
        "customers": 1, "shipments_with_a_customer": 1, "notifications": 2, "consents": 2, "handoffs": 2,
        "handoffs_with_the_shopper": 2, "handoff_notes": 2, "conversation_days": 2, "claims": 1, "claim_steps": 3,
        "conversations": 2,
    }  # fmt: skip
    steps = [
        # the moment of the purge, what it reports, and what it changed
        (NOW + timedelta(days=89), {}, {}),  # nothing is 90 days old yet
        (
            NOW + timedelta(days=91),
            {"conversations": 1, "handoffs_without_the_shopper": 1},
            {"conversations": -1, "handoffs_with_the_shopper": -1, "handoff_notes": -1},
        ),
        (NOW + timedelta(days=366), {"notifications": 1}, {"notifications": -1}),
        (NOW + timedelta(days=401), {"conversation_days": 1}, {"conversation_days": -1}),
        (NOW + timedelta(days=731), {"customers": 1}, {"customers": -1, "shipments_with_a_customer": -1}),
        (NOW + timedelta(days=1096), {"handoffs": 1}, {"handoffs": -1}),
        (NOW + timedelta(days=1827), {"consents": 1}, {"consents": -1}),
        (NOW + timedelta(days=2194), {"claims": 1}, {"claims": -1, "claim_steps": -3}),
    ]
    for moment, reported, changed in steps:
        assert privacy.purge(UOW, archive, RETENTION, moment, batch=1) == reported, moment
        now_held = _held(archive)
        assert {k: now_held[k] - held[k] for k in held if now_held[k] != held[k]} == changed, moment
        assert privacy.purge(UOW, archive, RETENTION, moment) == {}, moment  # a second purge changes nothing
        assert _held(archive) == now_held
        held = now_held
    with session_scope() as session:
        bruno = session.scalars(select(Handoff).where(Handoff.conversation == f"whatsapp:{BRUNO}")).one()
        assert bruno.erased_at is None


def test_the_days_purge_runs_once_whoever_asks(records, archive) -> None:  # type: ignore[no-untyped-def]
    moment = NOW + timedelta(days=91)
    assert privacy.daily_purge(UOW, archive, RETENTION, moment) == {
        "conversations": 1,
        "handoffs_without_the_shopper": 1,
    }
    assert privacy.daily_purge(UOW, archive, RETENTION, moment + timedelta(hours=1)) is None
    log = privacy.audit_log(UOW)[0]
    assert (log.reference, log.kind, log.outcome) == (
        f"R-{moment:%Y%m%d}", "purge", {"conversations": 1, "handoffs_without_the_shopper": 1},
    )  # fmt: skip
    assert privacy.daily_purge(UOW, archive, RETENTION, moment + timedelta(days=1)) == {}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"conversations_days": 0}, "from 1 to"),
        ({"conversations_days": "90"}, "whole number"),
        ({"messages_days": 90}, "unknown 'messages_days'"),
        ([90], "a mapping"),
    ],
)
def test_a_wrong_retention_file_says_what_is_wrong(raw: object, why: str) -> None:
    with pytest.raises(RetentionError, match=why):
        Retention.parse(raw)
