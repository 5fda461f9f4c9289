"""A shopper's chat page and an agent's console, side by side in real Chromium (two browser contexts):
the shopper asks for a person, the agent takes the conversation, they write to each other live, the agent
hands back and the assistant answers again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from parcels.staff import Role, create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.test_browser_chat import CHROMIUM, CHROMIUM_ARGS
from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NUMBER = "LP00088800000021"
EMAIL, PASSWORD = "lucia.agent@example.com", "lucia-password-123"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_shopper_and_agent_talk_live_then_the_assistant_answers_again(stack: Stack, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    now = datetime.now(UTC)
    create_staff(SqlUnitOfWork(), EMAIL, "Lucía", Role.AGENT, PASSWORD)
    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(NUMBER, order_ref="BROWSER-HANDOFF", paid_at=(now - timedelta(days=15)).isoformat())
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    event = event_record("bh-1", "EDD", (now - timedelta(days=3)).isoformat(), NUMBER, location="Madrid, ES")
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            shopper = browser.new_context(viewport={"width": 420, "height": 760}, locale="es-ES").new_page()
            agent = browser.new_context(viewport={"width": 1200, "height": 800}, locale="es-ES").new_page()

            def say(text: str) -> None:
                shopper.fill("#text", text)
                shopper.press("#text", "Enter")

            shopper.goto(f"{stack.web_url}/?lang=es")
            expect(shopper.locator("#status")).to_have_class("chat__status chat__status--online", timeout=30_000)
            say(f"¿dónde está mi paquete {NUMBER}?")
            expect(shopper.locator(".msg--bot").last).to_contain_text(NUMBER, timeout=60_000)
            say("quiero hablar con una persona")
            expect(shopper.locator(".msg--bot").last).to_contain_text("atención al cliente", timeout=60_000)

            agent.goto(f"{stack.web_url}/console/login")
            agent.fill("input[name=email]", EMAIL)
            agent.fill("input[name=password]", PASSWORD)
            agent.click("button[type=submit]")
            agent.goto(f"{stack.web_url}/console/conversations")
            row = agent.locator("#queue tbody tr", has_text=NUMBER)
            expect(row).to_contain_text("waiting", timeout=30_000)
            row.get_by_role("link").click()
            expect(agent.locator("#take")).to_be_visible(timeout=30_000)
            expect(agent.locator("#compose")).to_be_hidden()  # nothing to write with until the agent holds it
            agent.click("#take")
            expect(agent.locator("#compose")).to_be_visible(timeout=30_000)
            expect(agent.locator("#take")).to_be_hidden()
            expect(agent.locator("#parcels")).to_contain_text(NUMBER)
            expect(agent.locator("#parcels")).to_contain_text("Broken")

            agent.select_option("#canned", index=1)  # a ready-made greeting, then edited
            agent.fill("#text", agent.input_value("#text") + " Ya veo tu envío.")
            agent.click("#compose button[type=submit]")
            agent.fill("#text", "Un momento")  # the next message, begun while the first is on its way
            expect(shopper.locator(".msg--bot").last).to_contain_text("Lucía (atención al cliente)", timeout=30_000)
            expect(shopper.locator(".msg--bot").last).to_contain_text("Ya veo tu envío.")
            agent.wait_for_timeout(500)  # the first one's answer has come back to the console
            expect(agent.locator("#text")).to_have_value("Un momento")  # not wiped by that answer
            agent.fill("#text", "")

            say("gracias, espero entonces")
            expect(agent.locator("#transcript .line--shopper").last).to_contain_text(
                "gracias, espero entonces", timeout=30_000
            )
            agent.fill("#note", "Quiere saber cuándo llega; compensación automática.")
            agent.click("#note-form button[type=submit]")
            expect(agent.locator("#notes")).to_contain_text("compensación automática")
            shopper.screenshot(path=str(artifacts / "handoff-shopper.png"))
            agent.screenshot(path=str(artifacts / "handoff-agent.png"), full_page=True)

            agent.click("#hand-back")
            handed_back = shopper.locator(".msg--bot").last
            expect(handed_back).to_contain_text("te deja de nuevo con el asistente", timeout=30_000)
            expect(agent.locator("#state")).to_contain_text("Handed back", timeout=30_000)
            say("¿y dónde está ahora?")
            expect(shopper.locator(".msg--bot").last).to_contain_text(NUMBER, timeout=60_000)
            shopper.screenshot(path=str(artifacts / "handoff-shopper-after.png"))
        finally:
            browser.close()
