"""The production profile on its real parts: PostgreSQL, Redis, HAProxy, two of every process.

Run in the PostgreSQL pass of ``make test`` (skipped without PostgreSQL, Redis or HAProxy)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import requests

from parcels.handoffs import open_handoff
from parcels.staff import Role, create_staff
from tests.factories import event_record, shipment_record
from tests.production import Production
from tests.web_chat import web_chat

pytestmark = pytest.mark.e2e

PASSWORD = "agent-password-123"


def turns_of(events: list[dict[str, Any]]) -> list[list[str]]:
    """The conversation's turns: each user message and what followed it, up to the next user message."""
    turns: list[list[str]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([event.get("text") or ""])
        elif turns and event["event"] in ("action", "bot"):
            turns[-1].append(event.get("name") or event["event"])
    return turns


def register(production: Production, numbers: list[str]) -> None:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": production.api_key}
    shipments = [
        shipment_record(n, order_ref=f"PROD-{n}", paid_at=(now - timedelta(days=4)).isoformat()) for n in numbers
    ]
    assert requests.post(f"{production.entry_url}/api/shipments", json=shipments, headers=headers, timeout=60).ok
    events = [event_record(f"prod-{n}", "EMC", (now - timedelta(days=1)).isoformat(), n) for n in numbers]
    assert requests.post(f"{production.entry_url}/api/tracking/events", json=events, headers=headers, timeout=60).ok


def test_every_public_path_is_behind_the_one_entry_point(production: Production) -> None:
    assert requests.get(f"{production.entry_url}/", timeout=10).status_code == 200  # the chat page
    assert requests.get(f"{production.entry_url}/console/login", timeout=10).status_code == 200
    assert requests.get(f"{production.entry_url}/api/openapi.json", timeout=10).status_code == 200
    assert production.chat("entry-1", "hola").status_code == 200  # REST, to a Rasa server
    assert requests.get(f"{production.entry_url}/webhooks/whatsapp/", timeout=10).status_code == 200


def test_two_messages_at_once_on_the_two_rasa_servers_are_processed_one_after_the_other(
    production: Production,
) -> None:
    sender = f"both-{time.time_ns()}"
    answers: list[requests.Response] = []

    def send(base: str, text: str) -> None:
        answers.append(production.chat(sender, text, base=base))

    for round_ in range(6):
        texts = (f"hola {round_}", f"buenas {round_}")
        threads = [threading.Thread(target=send, args=pair) for pair in zip(production.rasa_urls, texts, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [a.status_code for a in answers] == [200] * 12
    turns = turns_of(production.tracker(f"rest:{sender}")["events"])
    assert len(turns) == 12
    for turn in turns:  # each message answered before the next one was read: never two turns interleaved
        assert turn[-1] == "action_listen" and turn.count("action_listen") == 1, turns


class Agent:
    def __init__(self, web_url: str, email: str) -> None:
        self.base = f"{web_url}/console"
        self.http = requests.Session()
        page = self.http.get(f"{self.base}/login", timeout=30).text
        form = {"email": email, "password": PASSWORD, "csrf_token": _csrf(page), "next": ""}
        assert self.http.post(f"{self.base}/login", data=form, timeout=30, allow_redirects=False).status_code == 303
        self.csrf = _csrf(self.http.get(f"{self.base}/notifications", timeout=30).text)

    def post(self, path: str, body: dict[str, str] | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base}/api/{path}", json=body or {}, headers={"X-CSRF-Token": self.csrf}, timeout=30
        )


def _csrf(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, html[:300]
    return match.group(1)


async def test_agents_on_either_web_reach_a_shopper_on_either_rasa(production: Production, db) -> None:  # type: ignore[no-untyped-def]
    create_staff("ana.prod@example.com", "Ana", Role.AGENT, PASSWORD)
    create_staff("bea.prod@example.com", "Bea", Role.AGENT, PASSWORD)
    ana, bea = (
        Agent(production.web_urls[0], "ana.prod@example.com"),
        Agent(production.web_urls[1], "bea.prod@example.com"),
    )
    async with web_chat(production.rasa_urls[1]) as chat:  # the shopper's socket is on the second Rasa server
        session = await chat.session()
        told = await chat.say("quiero hablar con una persona", metadata={"language": "es"})
        assert "atención al cliente" in told["text"]
        handoff = open_handoff(session["session_id"])
        assert handoff is not None
        taken = await asyncio.gather(
            asyncio.to_thread(ana.post, f"conversations/{handoff.id}/take"),
            asyncio.to_thread(bea.post, f"conversations/{handoff.id}/take"),
        )
        assert sorted(r.status_code for r in taken) == [200, 409]  # two agents, two web processes: one wins
        holder = ana if taken[0].status_code == 200 else bea
        for n in range(4):  # Rasa's API is behind the entry point: these go through both Rasa servers
            assert holder.post(f"conversations/{handoff.id}/messages", {"text": f"Hola, soy tu agente ({n})"}).ok
            heard = await asyncio.wait_for(chat.answers.get(), 20)
            assert f"({n})" in heard["text"]


async def _shopper(production: Production, number: str, stop: float, outcome: Counter[str]) -> None:
    sender = f"load-{number}"
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < stop:
            text = f"¿dónde está mi paquete {number}?" if outcome[sender] % 2 == 0 else "¿me corresponde compensación?"
            try:
                async with http.post(
                    f"{production.entry_url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text},
                    headers={"Authorization": f"Bearer {production.rest_token}"},
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as answer:
                    body = await answer.json() if answer.status == 200 else [{"text": await answer.text()}]
                    ok = answer.status == 200 and any(number in (m.get("text") or "") for m in body)
                    why = f"{answer.status} {body}"[:300]
            except (aiohttp.ClientError, TimeoutError) as error:
                ok, why = False, repr(error)
            outcome[sender] += 1
            outcome["ok" if ok else "failed"] += 1
            if not ok:
                outcome[f"failed:{sender}"] += 1
                outcome[f"why:{why}"] += 1
                await asyncio.sleep(1)  # a person reads the error before writing again


def test_fifty_shoppers_through_the_entry_point_and_a_rasa_killed_under_them(production: Production, db) -> None:  # type: ignore[no-untyped-def]
    numbers = [f"LP0007070000{n:04d}" for n in range(50)]
    register(production, numbers)
    outcome: Counter[str] = Counter()

    async def load(seconds: float, kill_after: float | None) -> None:
        stop = time.monotonic() + seconds
        shoppers = [asyncio.create_task(_shopper(production, n, stop, outcome)) for n in numbers]
        if kill_after is not None:
            await asyncio.sleep(kill_after)
            await asyncio.to_thread(production.processes.kill, "rasa1")
        await asyncio.gather(*shoppers)

    asyncio.run(load(60, None))
    assert outcome["failed"] == 0, outcome
    assert outcome["ok"] > 200

    before = outcome["ok"] + outcome["failed"]
    asyncio.run(load(30, kill_after=10))
    lost = {key: count for key, count in outcome.items() if key.startswith("failed:")}
    reasons = {key: count for key, count in outcome.items() if key.startswith("why:")}
    assert all(count <= 1 for count in lost.values()), reasons  # at most the turn in flight on the killed server
    assert outcome["ok"] + outcome["failed"] - before > 100
    for number in numbers[:10]:  # nothing interleaved or doubled in any conversation
        for turn in turns_of(production.tracker(f"rest:load-{number}")["events"]):
            assert turn.count("action_listen") <= 1
    production.processes.start("rasa1")
    production.processes.wait_healthy("rasa1")


async def web_chat_turn(url: str, text: str) -> dict[str, Any]:
    async with web_chat(url) as chat:
        await chat.session()
        return await chat.say(text, metadata={"language": "es"})


def test_redis_stopped_then_started_again(production: Production) -> None:
    sender = f"redis-{time.time_ns()}"
    assert production.chat(sender, "hola").status_code == 200
    production.processes.kill("redis")
    try:
        refused = production.chat(sender, "¿sigues ahí?")
        assert refused.status_code == 503 and "unavailable" in refused.json()["error"]
        told = asyncio.run(web_chat_turn(production.entry_url, "¿dónde está mi paquete?"))
        assert "no está disponible en este momento" in told["text"]  # the chat page says so, in Spanish
    finally:
        production.processes.start("redis")
    deadline = time.monotonic() + 30
    while (answer := production.chat(sender, "hola de nuevo")).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.5)
    texts = [e.get("text") for e in production.tracker(f"rest:{sender}")["events"] if e["event"] == "user"]
    assert texts[0] == "hola" and texts[-1] == "hola de nuevo"


def test_postgresql_stopped_then_started_again(production: Production) -> None:
    sender = f"pg-{time.time_ns()}"
    assert production.chat(sender, "hola").status_code == 200
    version, cluster = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.split()[:2]
    subprocess.run(["pg_ctlcluster", version, cluster, "stop", "-m", "fast"], check=True)
    try:
        refused = production.chat(sender, "¿sigues ahí?")
        assert refused.status_code == 503
        api = requests.get(f"{production.entry_url}/api/claims", headers={"X-Api-Key": production.api_key}, timeout=30)
        assert api.status_code == 503 and api.json()["error"]
    finally:
        subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=True)
    deadline = time.monotonic() + 60
    while (answer := production.chat(sender, "hola de nuevo")).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(1)
    api = requests.get(f"{production.entry_url}/api/claims", headers={"X-Api-Key": production.api_key}, timeout=30)
    assert api.status_code == 200
