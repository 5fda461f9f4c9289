"""The marketers' template editor in real Chromium (Debian's package), against the real web process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from parcels.staff import create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.manifest import manifest, samples
from templates.renderer import render_message, set_source_provider
from templates.validation import validate
from templates.versions import history, shipped_source, source_provider
from tests.processes import Stack

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
EMAIL, PASSWORD = "marketer@example.com", "browser test password"


def _key() -> tuple[str, str, str]:
    """promise_broken/whatsapp/es while its shipped text passes validation (it can be published), else parcel_status."""
    key = ("promise_broken", "whatsapp", "es")
    if "whatsapp" in manifest().get(key[0], {}).get("channels", []) and not validate(*key, shipped_source(*key)):
        return key
    return ("parcel_status", "web", "es")


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    previous = set_source_provider(source_provider(SqlUnitOfWork()))
    yield
    set_source_provider(previous)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_a_marketer_edits_previews_and_publishes_a_template(
    stack: Stack, db: Engine, artifacts: Path, provider: None
) -> None:
    from playwright.sync_api import expect, sync_playwright

    message, channel, locale = key = _key()
    create_staff(SqlUnitOfWork(), EMAIL, "Marta Marketing", "marketer", PASSWORD, update=True)
    shipped = shipped_source(*key)
    first_line = next(line for line in shipped.splitlines() if "{{ number }}" in line and not line.startswith("{%"))
    edited_line = first_line.replace("{{ number }}", "{{ number }} (editado en el navegador)", 1)
    edited = shipped.replace(first_line, edited_line, 1)
    sample = samples(message)[0]
    assert "editado en el navegador" not in render_message(*key, sample)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 1000})
            page.goto(f"{stack.web_url}/console/templates/{message}/{channel}/{locale}")
            expect(page.locator("h1")).to_have_text("Sign in")
            page.fill("#email", EMAIL)
            page.fill("#password", "not my password")
            page.click("#sign-in")
            expect(page.locator("#login-error")).to_have_text("wrong email or password")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")

            preview = page.locator("#preview-text")
            expect(page.locator("#editor")).to_be_visible()
            expect(preview).to_contain_text(str(sample["number"]))
            expect(page.locator("#preview-state")).to_have_text("No problems found.")

            page.fill("#source", edited)
            expect(preview).to_contain_text("editado en el navegador", timeout=10_000)
            page.screenshot(path=str(artifacts / "console-editor-preview.png"), full_page=True)

            broken = edited + "\nTe debemos {{ owed_amount }} y {{ numero }}"
            page.fill("#source", broken)
            problems = page.locator("#problems")
            expect(problems).to_contain_text("numero", timeout=10_000)
            expect(problems).to_contain_text(f"line {len(broken.splitlines())}")
            page.screenshot(path=str(artifacts / "console-editor-validation-error.png"), full_page=True)

            page.click("#publish")  # refused: the problems are shown and the draft stays
            expect(page.locator("#publish-problems")).to_contain_text("Not published")
            assert history(SqlUnitOfWork(), *key)[0].status == "draft"
            assert "editado en el navegador" not in render_message(*key, sample)

            page.fill("#source", edited)
            page.fill("#comment", "probado en el navegador")
            page.click("#publish")
            expect(page.locator(".flash--ok")).to_contain_text("published")
            expect(page.locator(".row--in-use")).to_contain_text("probado en el navegador")

            page.goto(f"{stack.web_url}/console/templates/{message}/{channel}/{locale}?a=shipped&b=current#diff")
            expect(page.locator(".diff__add").first).to_contain_text("editado en el navegador")
            page.screenshot(path=str(artifacts / "console-editor-diff.png"), full_page=True)
            page.goto(f"{stack.web_url}/console/templates")
            page.screenshot(path=str(artifacts / "console-catalogue.png"), full_page=True)
        finally:
            browser.close()

    assert "editado en el navegador" in render_message(*key, sample)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_an_agent_approves_a_claim_and_reads_its_history(stack: Stack, db: Engine, artifacts: Path) -> None:
    from datetime import UTC, datetime

    from playwright.sync_api import expect, sync_playwright

    from parcels.claims import make_claim
    from parcels.shipments import register_shipments
    from tests.factories import shipment_record

    number = "LP00012345678904"
    register_shipments(UOW, [shipment_record(number, product="STANDARD", paid_at="2026-11-02T10:00:00+01:00")])
    claim = make_claim(UOW, number, datetime(2026, 12, 2, tzinfo=UTC), "whatsapp", postal_code="28013").claim
    assert claim is not None
    create_staff(SqlUnitOfWork(), "agent@example.com", "Ana Agent", "agent", PASSWORD, update=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"{stack.web_url}/console/claims")
            page.fill("#email", "agent@example.com")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.click(f"text={claim.reference}")
            expect(page.locator("h1")).to_contain_text("Requested")
            page.select_option("select[name=status]", "approved")
            page.fill("textarea[name=note]", "Scan log checked: delivered 3 days late")
            page.click("text=Save")
            expect(page.locator(".flash")).to_have_text(f"Claim {claim.reference} is approved.")
            history = page.locator("#history tbody tr")
            expect(history).to_have_count(2)
            expect(history.nth(1)).to_contain_text("agent@example.com")
            expect(history.nth(1)).to_contain_text("Scan log checked")
            page.screenshot(path=str(artifacts / "console-claim.png"), full_page=True)
        finally:
            browser.close()
