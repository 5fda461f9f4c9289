"""The console in a shopper's language, in real Chromium: an agent sees which language a Catalan conversation
is in and answers with Catalan ready-made replies; a marketer moves between the five languages of a message
and previews each with its own dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from parcels.staff import Role, create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.manifest import manifest, samples
from templates.renderer import render_message
from tests.e2e.test_browser_chat import CHROMIUM, CHROMIUM_ARGS
from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NUMBER = "LP00088800000038"
AGENT, MARKETER, PASSWORD = "jordi.agent@example.com", "nerea.marketing@example.com", "five-languages-123"
NAMES = {"es": "Spanish", "ca": "Catalan", "gl": "Galician", "eu": "Basque", "en": "English"}


def _sign_in(page, url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_an_agent_sees_the_conversation_language_and_answers_in_it(stack: Stack, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    now = datetime.now(UTC)
    create_staff(SqlUnitOfWork(), AGENT, "Jordi", Role.AGENT, PASSWORD, update=True)
    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(NUMBER, order_ref="BROWSER-CATALA", paid_at=(now - timedelta(days=15)).isoformat())
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    event = event_record("bl-1", "EDD", (now - timedelta(days=3)).isoformat(), NUMBER, location="Girona, ES")
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok
    greeting = render_message("agent_canned", "web", "ca", {"agent": "Jordi", "reply": "greeting"})

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            shopper = browser.new_context(viewport={"width": 420, "height": 760}, locale="es-ES").new_page()
            agent = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-GB").new_page()

            def say(text: str) -> None:
                shopper.fill("#text", text)
                shopper.press("#text", "Enter")

            shopper.goto(f"{stack.web_url}/")  # a Spanish browser: the words decide, not the page
            expect(shopper.locator("#status")).to_have_class("chat__status chat__status--online", timeout=30_000)
            say(f"on és el meu paquet {NUMBER}? encara no m'ha arribat")
            expect(shopper.locator(".msg--bot").last).to_contain_text(NUMBER, timeout=60_000)
            say("vull parlar amb una persona, si us plau")
            expect(shopper.locator(".msg--bot").last).to_contain_text("atenció al client", timeout=60_000)

            _sign_in(agent, stack.web_url, AGENT)
            agent.goto(f"{stack.web_url}/console/conversations")
            row = agent.locator("#queue tbody tr", has_text=NUMBER)
            expect(row).to_contain_text("Catalan", timeout=30_000)
            row.get_by_role("link").click()
            expect(agent.locator("#state")).to_contain_text("Language: Catalan", timeout=30_000)
            agent.click("#take")
            expect(agent.locator("#compose")).to_be_visible(timeout=30_000)
            expect(agent.locator("#canned option").nth(1)).to_have_text(greeting.strip())
            agent.select_option("#canned", index=1)
            agent.click("#compose button[type=submit]")
            expect(shopper.locator(".msg--bot").last).to_contain_text("Jordi (atenció al client)", timeout=30_000)
            expect(shopper.locator(".msg--bot").last).to_contain_text("Ja tinc la teva conversa al davant")
            expect(agent.locator("#transcript .line--agent").last).to_contain_text(
                "Ja tinc la teva conversa al davant", timeout=30_000
            )
            agent.screenshot(path=str(artifacts / "handoff-agent-catalan.png"), full_page=True)
        finally:
            browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_a_marketer_previews_every_language_of_a_message(stack: Stack, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    message, channel = "promise_broken", "web"
    assert set(manifest()[message]["locales"]) == set(NAMES)
    create_staff(SqlUnitOfWork(), MARKETER, "Nerea", Role.MARKETER, PASSWORD, update=True)
    sample = samples(message)[0]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 1000})
            _sign_in(page, stack.web_url, MARKETER)
            page.goto(f"{stack.web_url}/console/templates/{message}/{channel}/es")
            for locale, name in NAMES.items():
                if locale != "es":
                    page.locator("#languages a", has_text=name).click()
                current = page.locator("#languages [aria-current=page]")
                expect(current).to_have_text(name)
                expect(page.locator("#languages a")).to_have_count(len(NAMES) - 1)
                expected = render_message(message, channel, locale, sample)
                first_line = next(line for line in expected.splitlines() if line.strip())
                expect(page.locator("#preview-text")).to_contain_text(first_line.strip()[:60])
                expect(page.locator("#preview-state")).to_have_text("No problems found.")
                if locale == "ca":
                    page.screenshot(path=str(artifacts / "console-editor-catalan.png"), full_page=True)
        finally:
            browser.close()
