"""The consent hook the WhatsApp/SMS connector posts opt-outs and opt-ins to; the notifier then honours them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from parcels.storage.db import session_scope
from parcels.storage.models import Consent
from parcels.storage.unit_of_work import SqlUnitOfWork
from web.app import create_app
from web.settings import Settings

SECRET = "hook-secret"
UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)


def settings(secret: str | None = SECRET) -> Settings:
    vendor = Settings.from_environment().vendor_dir
    return Settings(rasa_public_url="http://rasa", tracking_api_key=None, vendor_dir=vendor, consent_hook_secret=secret)


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings()))


def record(action: str = "opt_out", at: str = "2026-12-07T08:00:00+00:00") -> dict[str, str]:
    return {"phone": "+34600000007", "channel": "whatsapp", "action": action, "text": "BAJA", "at": at}


async def test_an_opt_out_is_recorded_and_silences_the_customer(client) -> None:  # type: ignore[no-untyped-def]
    headers = {"X-Hook-Secret": SECRET}
    assert (await client.post("/api/consent", json=record(), headers=headers)).status == 201
    with UOW.begin() as repos:
        assert repos.consents.opted_out(["+34600000007"]) == {"+34600000007"}
    with session_scope() as session:
        [stored] = session.scalars(select(Consent)).all()
        assert (stored.channel, stored.purpose, stored.text) == ("whatsapp", "service", "BAJA")
    later = record("opt_in", "2026-12-08T08:00:00+00:00")
    assert (await client.post("/api/consent", json=later, headers=headers)).status == 201
    with UOW.begin() as repos:
        assert repos.consents.opted_out(["+34600000007"]) == set()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": "600000007"}, "E.164"),
        ({"channel": "fax"}, "channel must be"),
        ({"action": "maybe"}, "action must be"),
        ({"at": "yesterday"}, "ISO 8601"),
        ({"at": "2026-12-07T08:00:00"}, "no UTC offset"),
    ],
)
async def test_bad_records_are_refused_with_the_reason(client, change: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/api/consent", json={**record(), **change}, headers={"X-Hook-Secret": SECRET})
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_the_hook_needs_its_secret(aiohttp_client, client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.post("/api/consent", json=record())).status == 401
    assert (await client.post("/api/consent", json=record(), headers={"X-Hook-Secret": "no"})).status == 401
    off = await aiohttp_client(create_app(settings(None)))
    assert (await off.post("/api/consent", json=record(), headers={"X-Hook-Secret": SECRET})).status == 503
