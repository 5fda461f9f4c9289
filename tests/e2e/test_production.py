"""The production profile on its real parts: PostgreSQL, Redis, HAProxy, two of every process.

Run in the PostgreSQL pass of ``make test`` (skipped without PostgreSQL, Redis or HAProxy)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from parcels.handoffs import open_handoff
from parcels.staff import Role, create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.test_browser_chat import CHROMIUM, CHROMIUM_ARGS
from tests.factories import event_record, shipment_record
from tests.production import Production
from tests.web_chat import web_chat

pytestmark = pytest.mark.e2e

PASSWORD = "agent-password-123"
UOW = SqlUnitOfWork()  # on the tests' database (DATABASE_URL)
REFERENCE = re.compile(r"C-[0-9A-Z]{8}")


def turns_of(events: list[dict[str, Any]]) -> list[list[str]]:
    """The conversation's turns: each user message and what followed it, up to the next user message."""
    turns: list[list[str]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([event.get("text") or ""])
        elif turns and event["event"] in ("action", "bot"):
            turns[-1].append(event.get("name") or event["event"])
    return turns


def register(production: Production, numbers: list[str], paid_days_ago: int = 4) -> None:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": production.api_key}
    paid_at = (now - timedelta(days=paid_days_ago)).isoformat()
    shipments = [shipment_record(n, order_ref=f"PROD-{n}", paid_at=paid_at) for n in numbers]
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


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_an_agent_on_one_web_reaches_a_chromium_shopper_whose_socket_is_on_the_other_rasa(
    production: Production,
    db,
    artifacts: Path,  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect, sync_playwright

    number = "LP00070700009999"
    register(production, [number], paid_days_ago=30)
    create_staff(SqlUnitOfWork(), "carla.prod@example.com", "Carla", Role.AGENT, PASSWORD)
    entry_log = production.processes.logs / "entry.log"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            shopper_context = browser.new_context(viewport={"width": 420, "height": 760}, locale="es-ES")
            # The entry point's sticky cookie, as if it had already pinned this shopper to the second server.
            shopper_context.add_cookies([{"name": "rasa_server", "value": "rasa2", "url": production.entry_url}])
            shopper = shopper_context.new_page()
            agent = browser.new_context(viewport={"width": 1200, "height": 800}, locale="es-ES").new_page()

            def say(text: str) -> None:
                shopper.fill("#text", text)
                shopper.press("#text", "Enter")

            shopper.goto(f"{production.entry_url}/?lang=es")
            expect(shopper.locator("#status")).to_have_class("chat__status chat__status--online", timeout=30_000)
            say(f"¿dónde está mi paquete {number}?")
            expect(shopper.locator(".msg--bot").last).to_contain_text(number, timeout=60_000)
            say("quiero hablar con una persona")
            expect(shopper.locator(".msg--bot").last).to_contain_text("atención al cliente", timeout=60_000)
            session = shopper.evaluate("() => JSON.stringify(localStorage)")
            web1 = production.web_urls[0]  # the agent's console is on the first web process, directly
            agent.goto(f"{web1}/console/login")
            agent.fill("input[name=email]", "carla.prod@example.com")
            agent.fill("input[name=password]", PASSWORD)
            agent.click("button[type=submit]")
            agent.goto(f"{web1}/console/conversations")
            row = agent.locator("#queue tbody tr", has_text=number)
            expect(row).to_contain_text("waiting", timeout=30_000)
            row.get_by_role("link").click()
            expect(agent.locator("#compose")).to_be_hidden()  # until the take is answered
            agent.click("#take")
            expect(agent.locator("#compose")).to_be_visible(timeout=30_000)
            for n in range(4):  # web1 reaches Rasa through the entry point, which takes turns between the servers
                agent.fill("#text", f"Hola, soy Carla ({n})")
                agent.click("#compose button[type=submit]")
                expect(shopper.locator(".msg--bot").last).to_contain_text(f"soy Carla ({n})", timeout=30_000)
            say("gracias, espero")
            expect(agent.locator("#transcript .line--shopper").last).to_contain_text("gracias, espero", timeout=30_000)
            shopper.screenshot(path=str(artifacts / "production-shopper.png"))
            agent.screenshot(path=str(artifacts / "production-agent.png"), full_page=True)
        finally:
            browser.close()
    logged = entry_log.read_text()
    assert production.token not in logged  # web sends Rasa's token in the query string: the log keeps only paths
    through = re.findall(r' rasa/(rasa[12]) .*"POST /conversations/(web-[0-9a-f]+)/tracker/events', logged)
    servers = {server for server, conversation in through if conversation in session}
    assert "rasa1" in servers, through[-8:]  # an agent's message went through the server that does not hold the socket


async def test_agents_on_either_web_reach_a_shopper_on_either_rasa(production: Production, db) -> None:  # type: ignore[no-untyped-def]
    create_staff(SqlUnitOfWork(), "ana.prod@example.com", "Ana", Role.AGENT, PASSWORD)
    create_staff(SqlUnitOfWork(), "bea.prod@example.com", "Bea", Role.AGENT, PASSWORD)
    ana, bea = (
        Agent(production.web_urls[0], "ana.prod@example.com"),
        Agent(production.web_urls[1], "bea.prod@example.com"),
    )
    async with web_chat(production.rasa_urls[1]) as chat:  # the shopper's socket is on the second Rasa server
        session = await chat.session()
        told = await chat.say("quiero hablar con una persona", metadata={"language": "es"})
        assert "atención al cliente" in told["text"]
        handoff = open_handoff(UOW, session["session_id"])
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


Turn = tuple[str, tuple[str, ...]]  # what the shopper writes, and what the answer must say


def tracking_turns(number: str) -> list[Turn]:
    return [(f"¿dónde está mi paquete {number}?", (number,)), ("¿me corresponde compensación?", (number,))]


def claim_turns(number: str, reference: str | None) -> list[Turn]:
    """A late parcel's shopper: asks, starts a claim, gives the postal code and says yes; once it is filed,
    asking to claim again is answered with that claim. A claim cut short (a failed turn, and the "no" that
    follows it) is started again."""
    if reference:
        return [
            *tracking_turns(number),
            ("quiero reclamar la compensación", (f"Ya tienes una reclamación: {reference}",)),
        ]
    return [
        *tracking_turns(number),
        ("quiero reclamarla", ("código postal",)),
        ("es el 28013", ("¿Lo confirmas?", number)),
        ("sí", ("Tu reclamación C-",)),
    ]


async def _shopper(
    production: Production, number: str, references: dict[str, str] | None, stop: float, outcome: Counter[str]
) -> None:
    """One shopper's turns until ``stop``; a claimant (``references`` given) notes there the claim it was told."""
    sender = f"load-{number}"

    async def turn(http: aiohttp.ClientSession, text: str) -> tuple[int, str]:
        async with http.post(
            f"{production.entry_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={"Authorization": f"Bearer {production.rest_token}"},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as answer:
            if answer.status != 200:
                return answer.status, await answer.text()
            return 200, " ".join(m.get("text") or "" for m in await answer.json())

    async with aiohttp.ClientSession() as http:
        while time.monotonic() < stop:
            script = tracking_turns(number) if references is None else claim_turns(number, references.get(number))
            for index, (text, expected) in enumerate(script):  # a script started is finished, even past the stop
                try:
                    status, said = await turn(http, text)
                    ok = status == 200 and all(part in said for part in expected)
                    why = f"{text!r}: {status} {said}"[:900]
                except (aiohttp.ClientError, TimeoutError) as error:
                    ok, why = False, f"{text!r}: {error!r}"
                outcome["ok" if ok else "failed"] += 1
                outcome["claim turns" if index >= len(tracking_turns(number)) else "tracking turns"] += 1
                if ok and references is not None and (told := REFERENCE.search(said)):
                    references.setdefault(number, told.group(0))
                if not ok:
                    outcome[f"failed:{sender}"] += 1
                    outcome[f"why:{why}"] += 1
                    await asyncio.sleep(1)  # a person reads the error, says "no" to whatever was half done...
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        await turn(http, "no")
                    break  # ...and starts again


def test_fifty_shoppers_through_the_entry_point_and_a_rasa_killed_under_them(production: Production, db) -> None:  # type: ignore[no-untyped-def]
    numbers = [f"LP0007070000{n:04d}" for n in range(50)]
    claimants = set(numbers[::5])  # ten of them claim for a late parcel, the rest ask where theirs is
    register(production, [n for n in numbers if n not in claimants])
    register(production, sorted(claimants), paid_days_ago=30)
    outcome: Counter[str] = Counter()
    references: dict[str, str] = {}

    async def load(seconds: float, kill_after: float | None) -> None:
        stop = time.monotonic() + seconds
        shoppers = [
            asyncio.create_task(_shopper(production, n, references if n in claimants else None, stop, outcome))
            for n in numbers
        ]
        if kill_after is not None:
            await asyncio.sleep(kill_after)
            await asyncio.to_thread(production.processes.kill, "rasa1")
        await asyncio.gather(*shoppers)

    asyncio.run(load(60, None))
    assert outcome["failed"] == 0, "\n".join(key for key in outcome if key.startswith("why:"))
    assert outcome["ok"] > 200 and outcome["claim turns"] >= 30, outcome
    print(f"\nfifty shoppers, 60 s: {outcome['ok']} turns answered ({outcome['claim turns']} claim turns), 0 failed")
    claims = requests.get(
        f"{production.entry_url}/api/claims", headers={"X-Api-Key": production.api_key}, timeout=30
    ).json()["claims"]
    ours = [c for c in claims if c["tracking_number"] in numbers]
    assert sorted(c["tracking_number"] for c in ours) == sorted(claimants)  # one claim each, none for the others
    assert {c["tracking_number"]: c["reference"] for c in ours} == references  # the one each was told about

    before = outcome["ok"] + outcome["failed"]
    asyncio.run(load(30, kill_after=10))
    lost = {key: count for key, count in outcome.items() if key.startswith("failed:")}
    reasons = {key: count for key, count in outcome.items() if key.startswith("why:")}
    assert all(count <= 1 for count in lost.values()), reasons  # at most the turn in flight on the killed server
    print(f"rasa1 killed 10 s into 30 s: {outcome['ok'] + outcome['failed'] - before} turns, {len(lost)} lost")
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
