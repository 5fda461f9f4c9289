"""The web chat page in real Chromium (Debian's package), talking to the real Rasa server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from notifications.conversation import RasaConversations
from notifications.detect import DetectSettings, detect
from notifications.dispatch import DispatchSettings, dispatch_due
from notifications.quiet_hours import QuietHours
from notifications.senders import SinkSender
from parcels.storage.db import session_scope
from parcels.storage.models import Customer, Notification, Shipment
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.processes import Stack

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
NUMBER = "LP00088800000001"


@pytest.fixture(scope="module")
def parcel(stack: Stack) -> str:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(NUMBER, paid_at=(now - timedelta(days=4)).isoformat(), customer_phone="+34612000003")
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    event = event_record(
        "browser-1", "CC_IM_START", (now - timedelta(hours=6)).isoformat(), NUMBER, location="Madrid-Barajas, ES"
    )
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok
    return NUMBER


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
@pytest.mark.parametrize(
    ("lang", "question", "expected"),
    [
        ("es", f"¿dónde está mi paquete {NUMBER}?", "en la aduana de importación en España"),
        ("en", f"where is my parcel {NUMBER}?", "at import customs in Spain"),
        ("ca", f"on és el meu paquet {NUMBER}?", "a la duana d’importació a Espanya"),
        ("gl", f"onde está o meu paquete {NUMBER}?", "na aduana de importación en España"),
        ("eu", f"non dago nire paketea {NUMBER}?", "Espainiako inportazio-aduanan"),
    ],
)
def test_a_question_typed_in_the_chat_page_is_answered(
    stack: Stack, parcel: str, artifacts: Path, lang: str, question: str, expected: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 520, "height": 760}, locale=f"{lang}-ES")
            page.goto(f"{stack.web_url}/?lang={lang}")
            expect(page.locator("#status")).to_have_class("chat__status chat__status--online", timeout=30_000)
            page.fill("#text", question)
            page.press("#text", "Enter")
            answer = page.locator(".msg--bot").nth(1)
            expect(answer).to_contain_text(parcel, timeout=60_000)
            expect(answer).to_contain_text(expected)
            page.screenshot(path=str(artifacts / f"chat-{lang}.png"))
        finally:
            browser.close()


LATE = "LP00088800000002"


@pytest.fixture(scope="module")
def late_parcel(stack: Stack) -> str:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(
        LATE, order_ref="BROWSER-2", product="STANDARD", paid_at=(now - timedelta(days=40)).isoformat()
    )
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    event = event_record("browser-2", "GTMS_SIGNED", (now - timedelta(days=3)).isoformat(), LATE, location="Madrid, ES")
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok
    return LATE


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_a_shopper_claims_compensation_in_the_chat_page(stack: Stack, late_parcel: str, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    turns = [
        (f"mi paquete {late_parcel} ha llegado tarde, ¿me corresponde alguna compensación?", "Te corresponde"),
        ("quiero reclamarla", "código postal"),
        ("28013", "¿Lo confirmas?"),
        ("sí", "Tu reclamación C-"),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 520, "height": 1000}, locale="es-ES")
            page.goto(f"{stack.web_url}/?lang=es")
            expect(page.locator("#status")).to_have_class("chat__status chat__status--online", timeout=30_000)
            for n, (text, expected) in enumerate(turns, start=1):
                page.fill("#text", text)
                page.press("#text", "Enter")
                expect(page.locator(".msg--bot").nth(n)).to_contain_text(expected, timeout=60_000)
            page.screenshot(path=str(artifacts / "chat-claim-es.png"), full_page=True)
        finally:
            browser.close()


INBOX_PARCEL = "LP00088800000003"


@pytest.fixture(scope="module")
def inbox_key(stack: Stack) -> str:
    """A shopper who reads us in their web chat inbox, told by the notifier that their promise broke."""
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(
        INBOX_PARCEL,
        order_ref="BROWSER-3",
        paid_at=(now - timedelta(days=15)).isoformat(),
        customer_phone="+34612000004",
        customer_channel="web",
    )
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    event = event_record("browser-3", "EDD", (now - timedelta(days=3)).isoformat(), INBOX_PARCEL, location="Madrid, ES")
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok
    detect(UOW, now, settings=DetectSettings(quiet_hours=QuietHours.parse("03:00-03:01")))

    async def dispatch() -> None:
        conversations = RasaConversations(stack.rasa_url, stack.token)
        try:
            await dispatch_due(
                UOW, SinkSender(), lambda: datetime.now(UTC), settings=DispatchSettings(conversations=conversations)
            )
        finally:
            await conversations.close()
        assert conversations.failures == 0

    asyncio.run(dispatch())
    with session_scope() as session:
        row = session.execute(
            select(Notification.channel, Notification.status, Customer.inbox_key)
            .join(Shipment, Shipment.id == Notification.shipment_id)
            .join(Customer, Customer.id == Shipment.customer_id)
            .where(Shipment.tracking_number == INBOX_PARCEL)
        ).one()
    assert row[:2] == ("web", "sent")
    return row.inbox_key


def _inbox_status() -> str:
    with session_scope() as session:
        return session.scalars(
            select(Notification.status)
            .join(Shipment, Shipment.id == Notification.shipment_id)
            .where(Shipment.tracking_number == INBOX_PARCEL)
        ).one()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_a_shopper_opens_their_inbox_on_a_phone_and_replies_about_the_parcel(
    stack: Stack, inbox_key: str, artifacts: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 740}, locale="es-ES")
            online = page.locator("#status")
            page.goto(f"{stack.web_url}/?lang=es")
            expect(online).to_have_class("chat__status chat__status--online", timeout=30_000)
            own_session = page.evaluate("localStorage.getItem('delivery-assistant-session')")

            page.goto(f"{stack.web_url}/?lang=es&inbox={inbox_key}")
            notice = page.locator(".msg--notice")
            expect(notice).to_have_count(1, timeout=30_000)
            expect(notice).to_contain_text("Aviso")
            expect(notice).to_contain_text(INBOX_PARCEL)
            expect(page.locator("#welcome")).to_contain_text("Estos son los avisos")
            assert _inbox_status() == "read"
            expect(online).to_have_class("chat__status chat__status--online", timeout=30_000)
            page.fill("#text", "¿dónde está?")
            page.press("#text", "Enter")
            answer = page.locator(".msg--bot").nth(2)
            expect(answer).to_contain_text(INBOX_PARCEL, timeout=60_000)
            expect(answer).to_contain_text("Madrid, ES")
            page.screenshot(path=str(artifacts / "chat-inbox-es.png"))
            assert page.evaluate("localStorage.getItem('delivery-assistant-session')") == own_session

            page.goto(f"{stack.web_url}/?lang=es&inbox={'0' * 32}")
            expect(page.locator(".msg--bot").nth(1)).to_contain_text("No encuentro los avisos de este enlace")
            expect(page.locator(".msg--notice")).to_have_count(0)
            expect(online).to_have_class("chat__status chat__status--online", timeout=30_000)
            assert page.evaluate("localStorage.getItem('delivery-assistant-session')") == own_session
        finally:
            browser.close()
