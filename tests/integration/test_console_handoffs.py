"""The agents' console over HTTP, without Rasa: the queue, taking a conversation, who may act on it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from parcels.agent_hours import current_agent_hours
from parcels.handoffs import Reason, request_handoff
from parcels.staff import create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.renderer import set_source_provider
from tests.integration.test_console import AGENT, MARKETER, PASSWORD, csrf_of, settings, sign_in
from web.app import create_app

SHOPPER = "whatsapp:+34612345678"
UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    create_staff(SqlUnitOfWork(), MARKETER, "Marta Marketing", "marketer", PASSWORD)
    create_staff(SqlUnitOfWork(), AGENT, "Ana Agent", "agent", PASSWORD)
    previous = set_source_provider(None)
    # No Rasa at this address: what needs it says so.
    yield await aiohttp_client(create_app(dataclasses.replace(settings(), rasa_url="http://127.0.0.1:9")))
    set_source_provider(previous)


async def csrf(client) -> str:  # type: ignore[no-untyped-def]
    return csrf_of(await (await client.get("/console/conversations")).text())


async def test_agents_see_the_queue_with_numbers_masked(client) -> None:  # type: ignore[no-untyped-def]
    request_handoff(UOW, SHOPPER, "whatsapp", "es", Reason.DISPUTE, ["LP00012345678901"], datetime.now(UTC))
    assert (await client.get("/console/api/conversations")).status == 401
    await sign_in(client, AGENT)
    page = await client.get("/console/conversations")
    assert page.status == 200 and "Conversations waiting for an agent" in await page.text()
    body = await (await client.get("/console/api/conversations")).json()
    [waiting] = body["queue"]
    assert waiting["status"] == "waiting" and waiting["reason"] == "dispute"
    assert "+34612345678" not in waiting["conversation"] and waiting["conversation"].endswith("78")
    assert waiting["name"] == "+346••••••78"  # the masked number, without the channel's prefix
    assert isinstance(body["agents_at_work"], bool)


async def test_a_web_chat_is_named_by_its_parcel_or_its_reference(client) -> None:  # type: ignore[no-untyped-def]
    about, _ = request_handoff(
        UOW, "c0ffee-web-1", "socketio", "es", Reason.ASKED, ["LP00012345678901"], datetime.now(UTC)
    )
    unknown, _ = request_handoff(UOW, "c0ffee-web-2", "socketio", "en", Reason.ASKED, [], datetime.now(UTC))
    await sign_in(client, AGENT)
    names = {
        item["id"]: item["name"] for item in (await (await client.get("/console/api/conversations")).json())["queue"]
    }
    assert names == {about.id: "LP00012345678901", unknown.id: unknown.reference}


async def test_marketers_may_not_answer_shoppers(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, MARKETER)
    assert (await client.get("/console/api/conversations")).status == 403


async def test_taking_is_once_and_only_the_holder_writes(client) -> None:  # type: ignore[no-untyped-def]
    handoff, _ = request_handoff(UOW, SHOPPER, "whatsapp", "es", Reason.ASKED, [], datetime.now(UTC))
    await sign_in(client, AGENT)
    token = await csrf(client)
    headers = {"X-CSRF-Token": token}
    base = f"/console/api/conversations/{handoff.id}"
    assert (await client.post(f"{base}/take")).status == 403  # no CSRF token
    taken = await client.post(f"{base}/take", headers=headers)
    assert taken.status == 200 and (await taken.json())["handoff"]["agent"] == "Ana Agent"
    again = await client.post(f"{base}/take", headers=headers)
    assert again.status == 409 and "already" in (await again.json())["error"]
    empty = await client.post(f"{base}/messages", json={"text": "  "}, headers=headers)
    assert empty.status == 400
    down = await client.post(f"{base}/messages", json={"text": "Hola"}, headers=headers)
    assert down.status == 503  # Rasa cannot be reached: said so, nothing logged as sent
    note = await client.post(f"{base}/notes", json={"text": "Llamar mañana"}, headers=headers)
    assert note.status == 200 and (await note.json())["author"] == "Ana Agent"
    assert (await client.get("/console/api/conversations/999999")).status == 404


async def test_the_queue_shows_the_wait_and_turns_red_past_three_minutes_in_agents_hours(client) -> None:  # type: ignore[no-untyped-def]
    hours = current_agent_hours()
    now = datetime.now(UTC)
    long_ago, _ = request_handoff(UOW, SHOPPER, "whatsapp", "es", Reason.ASKED, [], now - timedelta(minutes=10))
    request_handoff(UOW, "web-just-now", "socketio", "en", Reason.ASKED, [], now)
    await sign_in(client, AGENT)
    body = await (await client.get("/console/api/conversations")).json()
    late = next(item for item in body["queue"] if item["id"] == long_ago.id)
    assert late["reference"] == long_ago.reference and body["attend_within_seconds"] == 180
    fresh = next(item for item in body["queue"] if item["id"] != long_ago.id)
    assert fresh["wait_seconds"] < 60 and not fresh["overdue"]
    if hours.is_open(now) and hours.is_open(now - timedelta(minutes=10)):
        assert late["overdue"] and late["wait_seconds"] >= 600 and body["overdue"] == 1
    elif not hours.is_open(now):
        assert not late["overdue"] and body["overdue"] == 0


async def test_agents_find_a_request_by_the_reference_the_shopper_reads_out(client) -> None:  # type: ignore[no-untyped-def]
    handoff, _ = request_handoff(UOW, SHOPPER, "whatsapp", "es", Reason.ASKED, [], datetime.now(UTC))
    await sign_in(client, AGENT)
    found = await client.get(
        f"/console/conversations/reference?reference={handoff.reference.lower()}", allow_redirects=False
    )
    assert found.status == 303 and found.headers["Location"] == f"/console/conversations/{handoff.id}"
    for wrong in ("H-ZZZZZZZZ", "C-23456789", "x" * 500):
        missing = await client.get(f"/console/conversations/reference?reference={wrong}")
        assert missing.status == 404 and "No request with the reference" in await missing.text()
