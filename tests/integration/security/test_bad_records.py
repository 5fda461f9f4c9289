"""Class 5: one bad record is refused alone, with its reason; the valid records of its batch are kept, and no
input reaches a 500 (nor a 503 that would make a client send it again forever).

Bodies are written as raw JSON text: a lone surrogate escape, a 5,000-digit integer or NaN cannot be made
with ``json.dumps`` of Python values."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from parcels.storage.db import session_scope
from parcels.storage.models import Consent, Shipment, TrackingEvent
from tests.factories import event_record, shipment_record
from web.app import create_app
from web.settings import Settings

KEY = "test-key"
SECRET = "hook-secret"
HUGE_INTEGER = "1" * 5000

# Each: what the field's value is written as, in raw JSON.
BAD_VALUES = {
    "year 1 with an offset": '"0001-01-01T00:30:00+05:00"',
    "year 9999 with a negative offset": '"9999-12-31T23:00:00-05:00"',
    "a lone surrogate": '"\\ud800"',
    "a NUL": '"Madrid\\u0000"',
    "a thousands-of-digits integer": HUGE_INTEGER,
    "NaN": "NaN",
    "deep nesting": "[" * 60 + "]" * 60,
    "nesting deeper than the parser goes": "[" * 5000 + "]" * 5000,
    "a list where a string belongs": '["LP00012345678901"]',
    "an object where a string belongs": '{"a": "b"}',
}
BAD_DATES = {"year 1 with an offset", "year 9999 with a negative offset"}
DATE_FIELDS = {"paid_at", "occurred_at", "at"}


def cases(*fields: str) -> list[tuple[str, str]]:
    """(field, bad value) pairs: bad dates only where a date belongs (elsewhere they are fine text)."""
    return [(f, bad) for f in fields for bad in BAD_VALUES if bad not in BAD_DATES or f in DATE_FIELDS]


def settings() -> Settings:
    return Settings(
        rasa_public_url="http://rasa.example:5005",
        tracking_api_key=KEY,
        back_office_api_key=KEY,
        consent_hook_secret=SECRET,
        vendor_dir=Settings.from_environment().vendor_dir,
    )


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings()))


def with_raw(record: dict[str, object], field: str, raw: str) -> str:
    """``record`` as JSON text with ``field`` set to the raw JSON ``raw``."""
    placeholder = "__RAW__"
    return json.dumps({**record, field: placeholder}).replace(f'"{placeholder}"', raw)


def refused_only(body: dict[str, object], index: int) -> bool:
    return [r["index"] for r in body["rejected"]] == [index]  # type: ignore[union-attr]


def count(model: type) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("field", "bad"), cases("tracking_number", "paid_at", "customer_name", "destination_postal_code", "product")
)
async def test_a_bad_shipment_is_refused_alone(client, field: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    good = json.dumps(shipment_record("LP00012345678901"))
    worse = with_raw(shipment_record("LP00012345678902"), field, BAD_VALUES[bad])
    response = await client.post(
        "/api/shipments", data=f"[{good}, {worse}]", headers={"X-Api-Key": KEY, "Content-Type": "application/json"}
    )
    body = await response.json()
    assert response.status == 207, body
    assert body["accepted"] == 1 and refused_only(body, 1)
    assert body["rejected"][0]["error"]
    assert count(Shipment) == 1


@pytest.mark.parametrize(("field", "bad"), cases("event_id", "occurred_at", "code", "tracking_number", "location"))
async def test_a_bad_event_is_refused_alone(client, field: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Api-Key": KEY, "Content-Type": "application/json"}
    assert (await client.post("/api/shipments", json=[shipment_record()], headers=headers)).status == 200
    good = json.dumps(event_record("ok-1", "EMA", "2026-11-27T20:00:00+08:00"))
    worse = with_raw(event_record("bad-1", "EMB", "2026-11-28T20:00:00+08:00"), field, BAD_VALUES[bad])
    response = await client.post("/api/tracking/events", data=f'{{"events": [{worse}, {good}]}}', headers=headers)
    body = await response.json()
    assert response.status == 207, body
    assert body["accepted"] == 1 and refused_only(body, 0)
    assert count(TrackingEvent) == 1


@pytest.mark.parametrize(("field", "bad"), cases("phone", "channel", "action", "text", "at"))
async def test_a_bad_consent_record_is_refused_and_never_asked_again(  # type: ignore[no-untyped-def]
    client, field: str, bad: str
) -> None:
    record = {"phone": "+34600000007", "channel": "whatsapp", "action": "opt_out", "text": "BAJA"}
    record["at"] = "2026-12-07T08:00:00+00:00"
    response = await client.post(
        "/api/consent", data=with_raw(record, field, BAD_VALUES[bad]), headers={"X-Hook-Secret": SECRET}
    )
    assert response.status == 400, await response.text()
    assert "error" in await response.json()
    assert count(Consent) == 0


@pytest.mark.parametrize(("field", "bad"), cases("tracking_number"))
async def test_a_bad_inbox_link_request_is_refused(client, field: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/inbox-links", data=with_raw({}, field, BAD_VALUES[bad]), headers={"X-Api-Key": KEY}
    )
    assert response.status == 400, await response.text()


@pytest.mark.parametrize(("field", "bad"), cases("status", "note"))
async def test_a_bad_claim_decision_is_refused(client, field: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    body = with_raw({"status": "approved", "note": "checked"}, field, BAD_VALUES[bad])
    response = await client.patch("/api/claims/C-7K3M9Q2X", data=body, headers={"X-Api-Key": KEY})
    assert response.status == 400, await response.text()


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b"\xff\xfe not utf-8", b'"just a string"', b"12" + b"3" * 10_000, b"", b"{" * 100_000],
    ids=["unclosed", "not-utf8", "string", "huge-number", "empty", "unclosed-object"],
)
@pytest.mark.parametrize("path", ["/api/shipments", "/api/tracking/events", "/api/inbox-links", "/api/consent"])
async def test_a_body_that_cannot_be_read_is_refused_whole(client, body: bytes, path: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(path, data=body, headers={"X-Api-Key": KEY, "X-Hook-Secret": SECRET})
    assert response.status == 400, await response.text()
    assert (await response.json())["error"]


@pytest.mark.parametrize("wrapped", [False, True], ids=["list", "object"])
@pytest.mark.parametrize(("path", "field"), [("/api/shipments", "shipments"), ("/api/tracking/events", "events")])
async def test_a_batch_whose_record_is_nested_without_end_refuses_that_record(  # type: ignore[no-untyped-def]
    client, path: str, field: str, wrapped: bool
) -> None:
    body = "[" + "[" * 50_000 + "]" * 50_000 + "]"
    if wrapped:
        body = f'{{"{field}": {body}}}'
    response = await client.post(path, data=body, headers={"X-Api-Key": KEY})
    assert response.status == 422, await response.text()
    [rejected] = (await response.json())["rejected"]
    assert rejected["index"] == 0 and "JSON object" in rejected["error"]


@pytest.mark.parametrize("reference", ["C-NOPE", "%00", "%ED%A0%80", "C-" + "2" * 5000, "C-7K3M9Q2X%00"])
async def test_odd_claim_references_are_not_found(client, reference: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/claims/{reference}", headers={"X-Api-Key": KEY})
    assert response.status == 404
