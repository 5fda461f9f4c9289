import logging

import pytest
from sqlalchemy import Engine

from tests.factories import event_record, shipment_record
from web.app import create_app
from web.chat import QuietHealthChecks
from web.settings import Settings

KEY = "test-key"


def settings(key: str | None = KEY) -> Settings:
    vendor = Settings.from_environment().vendor_dir
    return Settings(rasa_public_url="http://rasa.example:5005", tracking_api_key=key, vendor_dir=vendor)


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings()))


async def test_shipments_then_events_over_http(client) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Api-Key": KEY}
    response = await client.post("/api/shipments", json={"shipments": [shipment_record()]}, headers=headers)
    assert response.status == 200
    assert await response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}

    batch = [
        event_record("h-1", "EMA", "2026-11-28T09:00:00+08:00"),
        event_record("h-2", "BOGUS", "2026-11-28T09:00:00+08:00"),
    ]
    response = await client.post(
        "/api/tracking/events", json={"events": batch}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status == 207
    body = await response.json()
    assert body["accepted"] == 1
    assert body["rejected"] == [
        {
            "index": 1,
            "id": "h-2",
            "error": "unknown event code 'BOGUS': add it to the code table (parcels/event_codes.csv)",
        }
    ]

    response = await client.post("/api/tracking/events", json=batch[:1], headers=headers)
    assert response.status == 200
    assert (await response.json())["duplicates"] == 1

    response = await client.post("/api/tracking/events", json=batch[1:], headers=headers)
    assert response.status == 422


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "wrong"}, {"Authorization": "Bearer wrong"}])
async def test_the_api_key_is_required(client, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/tracking/events", json=[], headers=headers)
    assert response.status == 401


async def test_without_a_configured_key_the_api_is_off(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(settings(key=None)))
    response = await client.post("/api/tracking/events", json=[], headers={"X-Api-Key": ""})
    assert response.status == 503
    assert "TRACKING_API_KEY" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "not valid JSON"), (b'{"events": 3}', "send a JSON list"), (b'"text"', "send a JSON list")],
)
async def test_malformed_bodies_get_a_clear_error(client, body: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/tracking/events", data=body, headers={"X-Api-Key": KEY, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_the_chat_page_speaks_the_browsers_language(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = await response.text()
    assert response.status == 200
    assert "Delivery assistant" in html and "http://rasa.example:5005" in html
    response = await client.get("/?lang=es", headers={"Accept-Language": "en-GB"})
    assert "Asistente de envíos" in await response.text()
    response = await client.get("/", headers={"Accept-Language": "fr-FR"})
    assert "Asistente de envíos" in await response.text()


async def test_static_files_are_served_without_a_cdn(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/static/chat.js")).status == 200
    assert (await client.get("/static/vendor/socket.io.min.js")).status == 200


def test_answered_health_checks_stay_out_of_the_access_log() -> None:
    def kept(line: str) -> bool:
        record = logging.LogRecord("aiohttp.access", logging.INFO, __file__, 1, line, None, None)
        return QuietHealthChecks().filter(record)

    assert not kept('127.0.0.1 [02/Dec/2026:14:42:08 +0000] "GET /healthz HTTP/1.0" 200 175 "-" "-"')
    assert kept('127.0.0.1 [02/Dec/2026:14:42:08 +0000] "GET /healthz HTTP/1.0" 503 20 "-" "-"')
    assert kept('127.0.0.1 [02/Dec/2026:14:42:08 +0000] "GET /api/claims?q=/healthz HTTP/1.1" 200 75 "-" "-"')
