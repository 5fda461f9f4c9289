"""A shopper's data on request, on the real app database (SQLite, and PostgreSQL in its run) and a tracker store
with Rasa's table: Lucía has two parcels, a claim paid and one requested, notifications, consents, a handoff with
an agent's note, and conversations on WhatsApp and on the web; Pablo is another shopper, who must not change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, insert, select, text

from parcels import privacy
from parcels.claim_records import Actor, ActorKind, ClaimStatus
from parcels.claims import make_claim, update_claim
from parcels.conversation_days import count_message
from parcels.handoffs import Reason, add_note, record_message, request_handoff
from parcels.ingest import ingest_events
from parcels.outbox_records import ConsentRecord
from parcels.privacy_records import KeyKind, RequestKind, SubjectKey
from parcels.shipments import register_shipments
from parcels.staff import Role, create_staff
from parcels.storage.conversation_archive import EVENTS, SqlConversationArchive
from parcels.storage.db import make_engine, session_scope
from parcels.storage.models import Base, Claim, Customer, Shipment
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, notification_row, shipment_record
from tools.cli import main as cli

UOW = SqlUnitOfWork()
NOW = datetime(2026, 12, 12, 12, tzinfo=UTC)
LUCIA, PABLO = "+34612345678", "+34655000111"
LUCIA_1, LUCIA_2, PABLO_1 = "LP00000000000101", "LP00000000000102", "LP00000000000201"
WEB, PABLO_WEB = "5f2b0c1e9a", "77aa00bb11"  # web chat (socket.io) sender ids
WHO, WHY = "dpo@example.com", "email from the shopper of 11 December 2026"


def _event(sender: str, kind: str, said: str, at: float) -> dict[str, object]:
    return {"sender_id": sender, "type_name": kind, "timestamp": at, "data": json.dumps({"event": kind, "text": said})}


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SqlConversationArchive:
    """A tracker store with Rasa's table, the command line's too."""
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    monkeypatch.setenv("TRACKER_STORE_URL", url)
    engine = make_engine(url)
    EVENTS.metadata.create_all(engine)
    t = NOW.timestamp()
    with engine.begin() as connection:
        connection.execute(
            insert(EVENTS),
            [
                _event(f"whatsapp:{LUCIA}", "user", "hola, donde esta mi paquete?", t - 900),
                _event(f"whatsapp:{LUCIA}", "bot", f"Tu paquete {LUCIA_1} está en reparto.", t - 899),
                _event(WEB, "user", f"where is {LUCIA_2}", t - 600),  # found by the parcel written in it
                _event(WEB, "bot", "It is at customs.", t - 599),
                _event(f"whatsapp:{PABLO}", "user", f"y el mio? {PABLO_1}", t - 300),
                _event(PABLO_WEB, "user", "hello", t - 200),
            ],
        )
    return SqlConversationArchive(engine)


@pytest.fixture
def shoppers(db: Engine) -> None:
    records = [
        shipment_record(
            LUCIA_1, order_ref="ORD-L1", customer_email="Lucia@Example.com", paid_at="2026-11-27T10:00:00Z"
        ),
        shipment_record(
            LUCIA_2, order_ref="ORD-L2", customer_email="lucia@example.com", product="STANDARD",
            paid_at="2026-11-12T10:00:00Z",
        ),
        shipment_record(
            PABLO_1, order_ref="ORD-P1", customer_name="Pablo Ruiz", customer_phone=PABLO, destination_city="Sevilla",
            destination_postal_code="41001", paid_at="2026-11-27T10:00:00Z",
        ),
    ]  # fmt: skip
    assert len(register_shipments(UOW, records).accepted) == 3
    signed = [("GTMS_SIGNED", LUCIA_1, "2026-12-10T10:00:00Z"), ("GTMS_SIGNED", LUCIA_2, "2026-12-05T10:00:00Z"),
              ("GTMS_SIGNED", PABLO_1, "2026-12-10T10:00:00Z")]  # fmt: skip
    ingest_events(UOW, [event_record(f"e-{n}", code, when, n) for code, n, when in signed], NOW - timedelta(days=1))
    staff = Actor(ActorKind.STAFF, "alba@example.com")
    paid = make_claim(UOW, LUCIA_1, NOW - timedelta(days=3), "whatsapp", postal_code="28013").claim
    assert paid is not None and paid.status is ClaimStatus.APPROVED
    update_claim(UOW, paid.reference, ClaimStatus.PAID, NOW - timedelta(days=2), staff, note="paid to Lucía")
    requested = make_claim(UOW, LUCIA_2, NOW - timedelta(days=1), "whatsapp", postal_code="28013").claim
    assert requested is not None and requested.status is ClaimStatus.REQUESTED
    pablos = make_claim(UOW, PABLO_1, NOW - timedelta(days=3), "whatsapp", postal_code="41001").claim
    assert pablos is not None
    with UOW.begin() as repos:
        ids = repos.shipments.ids_of([LUCIA_1, LUCIA_2, PABLO_1])
    with session_scope() as session:
        session.add(notification_row(ids[LUCIA_1], "read", NOW - timedelta(days=4), variables={"name": "Lucía"}))
        session.add(notification_row(ids[PABLO_1], "read", NOW - timedelta(days=4), recipient=PABLO))
    with UOW.begin() as repos:
        repos.consents.add(ConsentRecord(LUCIA, "whatsapp", "service", "opt_in", "ALTA", NOW - timedelta(days=9)))
        repos.consents.add(ConsentRecord(PABLO, "whatsapp", "service", "opt_out", "BAJA", NOW - timedelta(days=9)))
    madrid = ZoneInfo("Europe/Madrid")
    for sender, channel in ((f"whatsapp:{LUCIA}", "whatsapp"), (WEB, "socketio"), (f"whatsapp:{PABLO}", "whatsapp")):
        count_message(UOW, sender, channel, "es", NOW - timedelta(minutes=15), madrid)
    ana = create_staff(UOW, "ana@example.com", "Ana", Role.AGENT, "a-long-password-1")
    web, _ = request_handoff(UOW, WEB, "socketio", "en", Reason.ASKED, [LUCIA_2], NOW - timedelta(minutes=9))
    record_message(UOW, web.id, ana, "Hi Lucía, let me look", NOW - timedelta(minutes=8))
    add_note(UOW, web.id, ana, "Lucía Martín, calle Mayor 5: parcel at customs", NOW - timedelta(minutes=7))
    request_handoff(UOW, f"whatsapp:{PABLO}", "whatsapp", "es", Reason.ASKED, [PABLO_1], NOW - timedelta(minutes=5))


def _counts() -> dict[str, int]:
    """Every table's rows."""
    with session_scope() as session:
        return {
            t.name: int(session.scalar(select(func.count()).select_from(t)) or 0) for t in Base.metadata.sorted_tables
        }


def _pablo(archive: SqlConversationArchive) -> dict[str, object]:
    held = privacy.find(UOW, archive, SubjectKey.parse("phone", PABLO), WHO, "a check", NOW).holdings
    return held.records


KEYS = [
    ("phone", LUCIA),
    ("phone", "0034 612 345 678"),
    ("email", "LUCIA@example.com"),
    ("tracking_number", LUCIA_2),
    ("order", "ORD-L1"),
    ("conversation", WEB),
    ("conversation", f"whatsapp:{LUCIA}"),
]


def test_every_key_finds_all_of_lucia_and_nothing_of_pablo(shoppers, archive) -> None:  # type: ignore[no-untyped-def]
    for kind, value in KEYS:
        held = privacy.find(UOW, archive, SubjectKey.parse(kind, value), WHO, WHY, NOW).holdings
        assert held.counts == {
            "customers": 1,
            "shipments": 2,
            "claims": 2,
            "notifications": 1,
            "consents": 1,
            "handoffs": 1,
            "conversation_days": 2,
            "conversations": 2,
        }, (kind, value)
        flat = json.dumps(held.records, ensure_ascii=False)
        assert PABLO not in flat and PABLO_1 not in flat and "Pablo" not in flat
        assert "calle Mayor 5" in flat and "Hi Lucía" in flat and "where is" in flat


def test_the_export_holds_every_record_the_find_listed(shoppers, archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "lucia.json"
    code = cli(["privacy", "export", "--phone", LUCIA, "--ground", WHY, "--by", WHO, "--output", str(out)])
    assert code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    found = privacy.find(UOW, archive, SubjectKey.parse("phone", LUCIA), WHO, WHY, NOW).holdings
    assert document["counts"] == found.counts and document["records"] == json.loads(json.dumps(found.records))
    assert document["asked_by"] == {"kind": "phone", "value": LUCIA} and document["reference"].startswith("P-")
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert '<html lang="es">' in page and "Tus envíos (2 registros)" in page and "Lucía Martín" in page
    assert "calle Mayor 5" in page and "where is LP00000000000102" in page and "Pablo" not in page
    assert "Lo guardamos hasta, como muy tarde," in page and "de 2028" in page  # a customer: 2 years after a parcel

    assert cli(["privacy", "export", "--email", "lucia@example.com", "--ground", WHY, "--output", str(out),
                "--language", "en"]) == 0  # fmt: skip
    page = out.with_suffix(".html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Your parcels (2 records)" in page and "We keep it until" in page


def test_erasure_leaves_nothing_of_lucia_to_find_and_everyone_else_as_they_were(shoppers, archive) -> None:  # type: ignore[no-untyped-def]
    before, pablo = _counts(), _pablo(archive)
    with session_scope() as session:
        paid = session.scalars(select(Claim).where(Claim.tracking_number == LUCIA_1)).one()
        reference, amount = paid.reference, paid.amount

    answer = privacy.erase(UOW, archive, SubjectKey.parse("email", "lucia@example.com"), WHO, WHY, NOW)

    assert answer.erased == {
        "customers": 1,
        "shipments_kept_without_the_person": 2,
        "claims": 1,  # the requested one
        "claims_kept_without_the_person": 1,  # the paid one: accounting
        "notifications": 1,
        "consents_kept_without_the_person": 1,
        "handoffs": 1,
        "handoff_notes": 1,
        "conversation_days": 2,
        "conversation_events": 4,
    }
    for kind, value in KEYS:
        held = privacy.find(UOW, archive, SubjectKey.parse(kind, value), WHO, WHY, NOW).holdings
        assert held.empty, (kind, value, held.counts)
    after = _counts()
    gone = {"customers": 1, "claims": 1, "claim_transitions": 1, "notifications": 1, "handoff_notes": 1,
            "conversation_days": 2}  # fmt: skip
    logged = {"privacy_requests": len(KEYS) + 2}  # the finds before and after, and the erasure
    assert {t: before[t] - after[t] for t in before if before[t] > after[t]} == gone
    assert {t: after[t] - before[t] for t in after if after[t] > before[t]} == logged
    assert _pablo(archive) == pablo
    assert archive.existing([f"whatsapp:{PABLO}", PABLO_WEB]) == {f"whatsapp:{PABLO}", PABLO_WEB}
    with session_scope() as session:
        kept = session.scalars(select(Claim).where(Claim.reference == reference)).one()
        assert (kept.amount, kept.status, kept.note, kept.erased_at is not None) == (amount, "paid", None, True)
        parcel = session.scalars(select(Shipment).where(Shipment.tracking_number == LUCIA_1)).one()
        assert (parcel.customer_id, parcel.order_ref, parcel.destination_city, parcel.destination_postal_code) == (
            None, None, None, "28000",
        )  # fmt: skip
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.name == "Pablo Ruiz")) == 1
        words = " ".join(str(v) for row in session.execute(text("SELECT * FROM handoffs")) for v in row)
        assert LUCIA_2 not in words and WEB not in words
        notes = [v for row in session.execute(text("SELECT detail FROM agent_actions")) for v in row]
        assert "Hi Lucía, let me look" not in notes
    log = next(r for r in privacy.audit_log(UOW, 20) if r.kind is RequestKind.ERASE)
    assert (log.reference, log.kind, log.key_kind, log.actor, log.ground) == (
        answer.reference, RequestKind.ERASE, KeyKind.EMAIL, WHO, WHY,
    )  # fmt: skip
    assert log.outcome == answer.erased and "lucia@" not in log.key_masked

    again = privacy.erase(UOW, archive, SubjectKey.parse("phone", LUCIA), WHO, WHY, NOW)
    assert again.erased == {}


def test_the_command_line_erases_only_when_told_to(shoppers, archive, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli(["privacy", "erase", "--order", "ORD-L1", "--ground", WHY]) == 2  # no terminal and no --yes
    assert "--yes" in capsys.readouterr().err
    assert not privacy.find(UOW, archive, SubjectKey.parse("order", "ORD-L1"), WHO, WHY, NOW).holdings.empty
    assert cli(["privacy", "erase", "--order", "ORD-L1", "--ground", WHY, "--yes", "--by", WHO]) == 0
    assert "erased" in capsys.readouterr().out
    assert privacy.find(UOW, archive, SubjectKey.parse("phone", LUCIA), WHO, WHY, NOW).holdings.empty
    assert cli(["privacy", "log"]) == 0
    assert "erase" in capsys.readouterr().out
    assert cli(["privacy", "find", "--phone", "612345678", "--ground", WHY]) == 2
    assert "international form" in capsys.readouterr().err
