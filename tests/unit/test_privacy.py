"""A shopper's data request on the in-memory fakes: keys read as we store them, or refused; find, erase and the
audit log, with the conversations of a fake tracker store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from parcels import privacy
from parcels.errors import Refused
from parcels.outbox_records import ConsentRecord
from parcels.privacy_records import KeyKind, RequestKind, SubjectKey, mask
from parcels.retention import Retention
from parcels.shipments import register_shipments
from parcels.storage.memory import MemoryConversationArchive, MemoryUnitOfWork

NOW = datetime(2026, 12, 12, 12, tzinfo=UTC)
ANA, BEA = "+34612345678", "+34699000111"


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        ("phone", "+34 612 34 56 78", ANA),
        ("phone", "0034612345678", ANA),
        ("phone", f"whatsapp:{ANA}", ANA),
        ("email", " Ana@Example.COM ", "ana@example.com"),
        ("tracking_number", "lp 0000 0000 0000 01", "LP00000000000001"),
        ("order", "ORD-77", "ORD-77"),
        ("conversation", "inbox-0123", "inbox-0123"),
    ],
)
def test_keys_are_read_as_they_are_stored(kind: str, given: str, stored: str) -> None:
    assert SubjectKey.parse(kind, given) == SubjectKey(KeyKind(kind), stored)


@pytest.mark.parametrize(
    ("kind", "given", "why"),
    [
        ("phone", "612345678", "international form"),
        ("email", "ana.example.com", "not an email"),
        ("tracking_number", "LP-1", "8 to 32"),
        ("order", "x" * 129, "1 to 128"),
        ("name", "Ana", "a key is one of"),
        ("conversation", "  ", "1 to 128"),
    ],
)
def test_a_key_that_cannot_be_is_refused_with_why(kind: str, given: str, why: str) -> None:
    with pytest.raises(Refused, match=why):
        SubjectKey.parse(kind, given)


def test_a_masked_key_tells_requests_apart_and_reaches_nobody() -> None:
    assert mask(ANA) == "+346•••••678"
    assert mask("ana@example.com") == "a•••@example.com"
    assert SubjectKey.parse("phone", ANA).digest != SubjectKey.parse("email", "a@b.es").digest


def _shopper(number: str, name: str, phone: str) -> dict[str, object]:
    return {
        "tracking_number": number, "order_ref": f"ORD-{number[-2:]}", "product": "CHOICE_9",
        "paid_at": "2026-11-27T11:00:00+01:00", "destination_postal_code": "28013", "destination_city": "Madrid",
        "customer_name": name, "customer_phone": phone, "customer_locale": "es",
    }  # fmt: skip


def test_erasing_one_shopper_leaves_nothing_of_theirs_and_the_other_as_she_was() -> None:
    uow = MemoryUnitOfWork()
    register_shipments(uow, [_shopper("LP00000000000001", "Ana", ANA), _shopper("LP00000000000002", "Bea", BEA)])
    with uow.begin() as repos:
        for phone in (ANA, BEA):
            repos.consents.add(ConsentRecord(phone, "whatsapp", "service", "opt_in", "ALTA", NOW))
    said = json.dumps({"text": "donde esta LP00000000000001"})
    archive = MemoryConversationArchive(
        {"web-1": [("user", 1.0, None, None, said)], f"whatsapp:{BEA}": [("user", 2.0, None, None, "{}")]}
    )
    key = SubjectKey.parse("tracking_number", "LP00000000000001")
    found = privacy.find(uow, archive, key, "dpo", "email of 11 December", NOW)
    assert found.holdings.counts == {"customers": 1, "shipments": 1, "consents": 1, "conversations": 1}
    bea = privacy.find(uow, archive, SubjectKey.parse("phone", BEA), "dpo", "check", NOW).holdings.records

    erased = privacy.erase(uow, archive, key, "dpo", "email of 11 December", NOW)

    assert erased.erased == {
        "shipments_kept_without_the_person": 1, "consents_kept_without_the_person": 1, "conversation_events": 1
    }  # fmt: skip
    for kind, value in (("phone", ANA), ("order", "ORD-01"), ("conversation", "web-1"), ("tracking_number", key.value)):
        assert privacy.find(uow, archive, SubjectKey.parse(kind, value), "dpo", "after", NOW).holdings.empty
    assert privacy.find(uow, archive, SubjectKey.parse("phone", BEA), "dpo", "check", NOW).holdings.records == bea
    assert archive.existing(["web-1", f"whatsapp:{BEA}"]) == {f"whatsapp:{BEA}"}
    kinds = [r.kind for r in privacy.audit_log(uow)]
    assert kinds.count(RequestKind.ERASE) == 1 and len(kinds) == 8


def test_who_asks_and_why_are_required_and_bounded() -> None:
    uow, archive, key = MemoryUnitOfWork(), MemoryConversationArchive(), SubjectKey.parse("phone", ANA)
    with pytest.raises(Refused, match="who asks"):
        privacy.find(uow, archive, key, " ", "a request", NOW)
    with pytest.raises(Refused, match="request this answers"):
        privacy.erase(uow, archive, key, "dpo", "x" * 501, NOW)
    assert privacy.audit_log(uow) == []


def test_the_purge_takes_what_is_past_its_time_and_the_day_s_runs_once() -> None:
    uow = MemoryUnitOfWork()
    with uow.begin() as repos:
        repos.consents.add(ConsentRecord(ANA, "whatsapp", "service", "opt_in", "ALTA", NOW))
        repos.consents.add(ConsentRecord(BEA, "whatsapp", "service", "opt_in", "ALTA", NOW + timedelta(days=30)))
    archive = MemoryConversationArchive(
        {"web-1": [("user", NOW.timestamp(), None, None, "{}")], "web-2": [("user", 4e9, None, None, "{}")]}
    )
    retention = Retention.parse({"conversations_days": 90, "consents_days": 1826})
    later = NOW + timedelta(days=1827)
    assert privacy.purge(uow, archive, retention, later, batch=1) == {"conversations": 1, "consents": 1}
    assert archive.existing(["web-1", "web-2"]) == {"web-2"} and len(uow.state.consents) == 1
    assert privacy.daily_purge(uow, archive, retention, later) == {}
    assert privacy.daily_purge(uow, archive, retention, later) is None
    assert [r.kind for r in privacy.audit_log(uow)] == [RequestKind.PURGE]
