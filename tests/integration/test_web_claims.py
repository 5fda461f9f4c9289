"""The back office's claims API over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from parcels.claims import make_claim
from parcels.handoffs import Reason, request_handoff
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from web.app import create_app
from web.settings import Settings

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

KEY = "back-office-key"
NUMBER = "LP00012345678901"


def settings(key: str | None = KEY) -> Settings:
    vendor = Settings.from_environment().vendor_dir
    return Settings(
        rasa_public_url="http://rasa.example", tracking_api_key=None, vendor_dir=vendor, back_office_api_key=key
    )


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    register_shipments(UOW, [shipment_record(NUMBER, product="STANDARD", paid_at="2026-11-02T10:00:00+00:00")])
    ingest_events(UOW, [event_record("w-1", "GTMS_SIGNED", "2026-12-01T10:00:00+01:00", NUMBER)], datetime.now(UTC))
    return await aiohttp_client(create_app(settings()))


@pytest.fixture
def reference(client) -> str:  # type: ignore[no-untyped-def]
    claim = make_claim(UOW, NUMBER, datetime(2026, 12, 2, tzinfo=UTC), "web", postal_code="28013").claim
    assert claim is not None
    return claim.reference


async def test_list_read_and_move_a_claim_on(client, reference: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Api-Key": KEY}
    response = await client.get("/api/claims?status=requested", headers=headers)
    assert response.status == 200
    page = await response.json()
    assert page["total"] == 1
    [claim] = page["claims"]
    assert claim["reference"] == reference
    assert claim["amount"] == "5.00" and claim["currency"] == "EUR" and claim["form"] == "coupon"
    assert claim["policy_version"] == "2026-11-01" and claim["verified_by"] == "postal_code"

    response = await client.patch(
        f"/api/claims/{reference}", json={"status": "approved", "note": "ok"}, headers=headers
    )
    assert response.status == 200
    assert (await response.json())["status"] == "approved"

    response = await client.get(f"/api/claims/{reference}", headers={"Authorization": f"Bearer {KEY}"})
    claim = await response.json()
    assert claim["note"] == "ok"
    made, approved = claim["history"]
    assert made["actor_kind"] == "shopper" and made["actor"] == "web" and made["from"] is None
    assert made["to"] == "requested"
    assert approved["actor_kind"] == "api_key" and approved["actor"] == "BACK_OFFICE_API_KEY"
    assert (approved["from"], approved["to"], approved["note"]) == ("requested", "approved", "ok")
    assert (await (await client.get("/api/claims?status=requested", headers=headers)).json())["total"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("get", "/api/claims?status=lost", None, 400, "unknown status 'lost'"),
        ("get", "/api/claims?limit=-1", None, 400, "limit must be a whole number"),
        ("get", "/api/claims/C-NOPE", None, 404, "no such claim"),
        ("get", "/api/claims/C-22222222", None, 404, "no claim C-22222222"),
        ("patch", "/api/claims/{ref}", {"status": "paid"}, 409, "a requested claim cannot become paid"),
        ("patch", "/api/claims/{ref}", {"status": "lost"}, 400, "unknown status 'lost'"),
        ("patch", "/api/claims/{ref}", {"state": "paid"}, 400, 'send {"status"'),
        ("patch", "/api/claims/{ref}", {"status": "approved", "note": 3}, 400, "note must be text"),
    ],
)
async def test_bad_requests_get_a_clear_error_and_change_nothing(  # type: ignore[no-untyped-def]
    client, reference: str, method: str, path: str, body: dict | None, status: int, message: str
) -> None:
    call = getattr(client, method)
    response = await call(path.format(ref=reference), json=body, headers={"X-Api-Key": KEY})
    assert response.status == status
    assert message in (await response.json())["error"]
    claim = await (await client.get(f"/api/claims/{reference}", headers={"X-Api-Key": KEY})).json()
    assert claim["status"] == "requested" and claim["note"] is None
    assert [step["to"] for step in claim["history"]] == ["requested"]  # a refused change leaves no step


async def test_malformed_json_is_refused(client, reference: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.patch(f"/api/claims/{reference}", data=b"{nope", headers={"X-Api-Key": KEY})
    assert response.status == 400
    assert "not valid JSON" in (await response.json())["error"]


async def test_the_api_needs_its_key(aiohttp_client, client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/api/claims")).status == 401
    assert (await client.get("/api/claims", headers={"X-Api-Key": "wrong"})).status == 401
    off = await aiohttp_client(create_app(settings(key=None)))
    response = await off.get("/api/claims", headers={"X-Api-Key": KEY})
    assert response.status == 503
    assert "BACK_OFFICE_API_KEY" in (await response.json())["error"]


async def test_the_back_office_looks_up_a_request_for_a_person_by_its_reference(client) -> None:  # type: ignore[no-untyped-def]
    handoff, _ = request_handoff(
        UOW, "whatsapp:+34612345678", "whatsapp", "es", Reason.ASKED, [NUMBER], datetime.now(UTC)
    )
    path = f"/api/requests/{handoff.reference}"
    assert (await client.get(path)).status == 401
    found = await client.get(path, headers={"X-Api-Key": KEY})
    body = await found.json()
    assert found.status == 200 and body["reference"] == handoff.reference and body["status"] == "waiting"
    assert body["answer_due_on"] == handoff.answer_due_on.isoformat() and "conversation" not in body
    assert "+34612345678" not in await found.text()
    for wrong in ("H-ZZZZZZZZ", "C-23456789", "nonsense"):
        assert (await client.get(f"/api/requests/{wrong}", headers={"X-Api-Key": KEY})).status == 404
