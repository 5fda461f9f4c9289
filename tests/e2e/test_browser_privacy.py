"""A shopper's data erased for real, in real Chromium: Lucía talks to the assistant on WhatsApp (asks, claims, opts
out and back in) and in the chat page (asks, is handed to an agent who writes a note); Pablo writes on WhatsApp too.
An admin finds Lucía in the console, reads what will go, types the confirmation and erases her. Then nothing of hers
is left in the tracker store rasa runs on or in the app database, by any key; her paid claim keeps its reference and
amount; Pablo's conversation and records are as they were; and rasa starts her next message afresh."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from parcels import privacy
from parcels.claim_records import Actor, ActorKind, ClaimStatus
from parcels.claims import update_claim
from parcels.handoffs import add_note
from parcels.privacy_records import SubjectKey
from parcels.staff import Role, create_staff
from parcels.storage.conversation_archive import SqlConversationArchive
from parcels.storage.db import make_engine, session_scope
from parcels.storage.models import Claim, Handoff
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.test_browser_chat import CHROMIUM, CHROMIUM_ARGS
from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

UOW = SqlUnitOfWork()  # on the tests' database (DATABASE_URL), as the stack's processes are
LUCIA, PABLO = "+34612777061", "+34612777062"
LATE, ASKED, PABLOS = "LP00088800000061", "LP00088800000062", "LP00088800000063"
ADMIN, AGENT, PASSWORD = "alba.privacy@example.com", "ana.privacy@example.com", "privacy-password-123"
WHO, WHY = "dpo@example.com", "a check"
REFERENCE = re.compile(r"C-[0-9A-Z]+")


def twiml(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [message.text or "" for message in ET.fromstring(response.content).iter("Message")]


def load(stack: Stack, now: datetime) -> None:
    headers = {"X-Api-Key": stack.api_key}
    long_ago, lately = (now - timedelta(days=40)).isoformat(), (now - timedelta(days=3)).isoformat()
    shipments = [
        shipment_record(
            LATE, order_ref="PRIV-L1", customer_phone=LUCIA, customer_email="lucia.priv@example.com",
            product="STANDARD", paid_at=long_ago,
        ),
        shipment_record(ASKED, order_ref="PRIV-L2", customer_phone=LUCIA, paid_at=lately),
        shipment_record(PABLOS, order_ref="PRIV-P1", customer_phone=PABLO, customer_name="Pablo Ruiz", paid_at=lately),
    ]  # fmt: skip
    assert requests.post(f"{stack.web_url}/api/shipments", json=shipments, headers=headers, timeout=30).ok
    events = [
        event_record("priv-1", "GTMS_SIGNED", (now - timedelta(days=3)).isoformat(), LATE, location="Madrid, ES"),
        event_record("priv-2", "EMC", (now - timedelta(days=1)).isoformat(), ASKED),
        event_record("priv-3", "EMC", (now - timedelta(days=1)).isoformat(), PABLOS),
    ]
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=events, headers=headers, timeout=30).ok


def lucia_on_whatsapp(stack: Stack) -> str:
    """She asks, claims the late parcel (the number she writes from is the parcel's: no postal code asked), opts
    out and back in; the claim's reference."""
    sender = f"whatsapp:{LUCIA}"
    [answer] = twiml(stack.whatsapp(sender, f"hola donde esta mi paquete {LATE}"))
    assert LATE in answer
    [explained] = twiml(stack.whatsapp(sender, "ha llegado tarde, me corresponde algo?"))
    assert "Te corresponde" in explained
    [confirm] = twiml(stack.whatsapp(sender, "quiero reclamarla"))  # her number proves who she is
    assert "¿Lo confirmas?" in confirm
    [done] = twiml(stack.whatsapp(sender, "sí"))
    reference = REFERENCE.search(done)
    assert reference is not None, done
    assert "ALTA" in twiml(stack.whatsapp(sender, "BAJA"))[0]
    assert twiml(stack.whatsapp(sender, "ALTA"))
    return reference.group(0)


def pay(reference: str, now: datetime) -> None:
    staff = Actor(ActorKind.STAFF, ADMIN)
    update_claim(UOW, reference, ClaimStatus.APPROVED, now, staff)
    update_claim(UOW, reference, ClaimStatus.PAID, now, staff, note="transfer to Lucía Martín")


def transcript_of(stack: Stack, conversation: str) -> list[str]:
    return [e["text"] for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_an_admin_erases_a_shopper_who_talked_on_whatsapp_and_the_web(stack: Stack, db, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    now = datetime.now(UTC)
    create_staff(UOW, ADMIN, "Alba", Role.ADMIN, PASSWORD)
    agent = create_staff(UOW, AGENT, "Ana", Role.AGENT, PASSWORD)
    load(stack, now)
    claim = lucia_on_whatsapp(stack)
    pay(claim, now)
    assert LATE not in " ".join(twiml(stack.whatsapp(f"whatsapp:{PABLO}", f"y el mio? {PABLOS}")))
    archive = SqlConversationArchive(make_engine(stack.tracker_store_url))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            shopper = browser.new_context(viewport={"width": 420, "height": 760}, locale="es-ES").new_page()
            shopper.goto(f"{stack.web_url}/?lang=es")
            expect(shopper.locator("#status")).to_have_class("chat__status chat__status--online", timeout=30_000)
            for text, expected in ((f"¿dónde está mi paquete {ASKED}?", ASKED),
                                   ("quiero hablar con una persona", "atención al cliente")):  # fmt: skip
                shopper.fill("#text", text)
                shopper.press("#text", "Enter")
                expect(shopper.locator(".msg--bot").last).to_contain_text(expected, timeout=60_000)
            with session_scope() as session:
                handoff = session.scalars(select(Handoff).where(Handoff.channel == "socketio")).one()
                web, handoff_id = handoff.conversation, handoff.id
            add_note(UOW, handoff_id, agent, "Lucía Martín, calle Mayor 5: parcel at customs", now)
            pablo = privacy.find(UOW, archive, SubjectKey.parse("phone", PABLO), WHO, WHY, now).holdings.records
            assert archive.existing([f"whatsapp:{LUCIA}", web]) == {f"whatsapp:{LUCIA}", web}

            admin = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB").new_page()
            admin.goto(f"{stack.web_url}/console/login")
            admin.fill("input[name=email]", ADMIN)
            admin.fill("input[name=password]", PASSWORD)
            admin.click("button[type=submit]")
            admin.get_by_role("link", name="Shoppers' data").click()
            admin.select_option("#find select[name=kind]", "phone")
            admin.fill("#find input[name=value]", LUCIA)
            admin.fill("#find input[name=ground]", "email from the shopper of 6 December 2026")
            admin.click("#find button[type=submit]")
            found = admin.locator("#found h2")
            expect(found).to_contain_text("+346•••••061", timeout=30_000)
            for held in ("2 shipments", "2 conversations", "1 claim ", "1 handoff ", "2 consents"):
                expect(found).to_contain_text(held)
            expect(admin.locator("#erase")).to_contain_text("It cannot be undone.")
            admin.screenshot(path=str(artifacts / "console-privacy-find.png"), full_page=True)

            admin.click("#erase button[type=submit]")  # nothing typed: the browser asks for the confirmation
            expect(admin.locator("#erased")).to_have_count(0)
            admin.fill("#erase input[name=confirm]", "ERASE")
            admin.click("#erase button[type=submit]")
            expect(admin.locator("#erased h2")).to_contain_text("Erased: Phone number +346•••••061", timeout=30_000)
            expect(admin.locator("#erased")).to_contain_text("conversation events")
            expect(admin.locator("#log tbody tr").first).to_contain_text("erase")
            admin.screenshot(path=str(artifacts / "console-privacy-erased.png"), full_page=True)
        finally:
            browser.close()

    assert archive.existing([f"whatsapp:{LUCIA}", web]) == set()  # gone from the tracker store rasa runs on
    assert archive.mentioning([LATE, ASKED, LUCIA]) == set()
    keys = [("phone", LUCIA), ("email", "lucia.priv@example.com"), ("tracking_number", ASKED),
            ("tracking_number", LATE), ("order", "PRIV-L1"), ("conversation", web)]  # fmt: skip
    for kind, value in keys:
        assert privacy.find(UOW, archive, SubjectKey.parse(kind, value), WHO, WHY, now).holdings.empty, (kind, value)
    assert privacy.find(UOW, archive, SubjectKey.parse("phone", PABLO), WHO, WHY, now).holdings.records == pablo
    with session_scope() as session:
        paid = session.scalars(select(Claim).where(Claim.reference == claim)).one()
        assert (paid.status, paid.amount is not None, paid.erased_at is not None, paid.note) == (
            "paid",
            True,
            True,
            None,
        )
    assert transcript_of(stack, f"whatsapp:{PABLO}") == [f"y el mio? {PABLOS}"]

    twiml(stack.whatsapp(f"whatsapp:{LUCIA}", "hola"))  # rasa holds nothing of her in memory either
    assert transcript_of(stack, f"whatsapp:{LUCIA}") == ["hola"]
