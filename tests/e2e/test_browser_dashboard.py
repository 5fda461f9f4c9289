"""The operations dashboard in real Chromium (Debian's package), against the real web process: an admin reads it,
changes the period, clicks a stage's bar and sees its parcels; a marketer sees the messages only; an agent is
refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.staff import create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.processes import Stack

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
PASSWORD = "dashboard test password"
LATE, ON_TIME = "LP00000000000102", "LP00000000000101"


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _known_parcels() -> None:
    """Two Choice 9 parcels paid 20 days ago: one delivered in two days, one whose line haul took ten."""
    paid = (datetime.now(UTC) - timedelta(days=20)).replace(hour=10, minute=0, second=0, microsecond=0)
    records = [shipment_record(number, order_ref=f"ORD-{number}", paid_at=_stamp(paid)) for number in (ON_TIME, LATE)]
    assert len(register_shipments(UOW, records).accepted) == 2
    history = [
        event_record("dash-1", "GTMS_SIGNED", _stamp(paid + timedelta(days=2)), ON_TIME),
        event_record("dash-2", "EMA", _stamp(paid + timedelta(hours=5)), LATE),
        event_record("dash-3", "EMC", _stamp(paid + timedelta(days=1)), LATE),
        event_record("dash-4", "EMD", _stamp(paid + timedelta(days=11)), LATE),
        event_record("dash-5", "GTMS_SIGNED", _stamp(paid + timedelta(days=13)), LATE),
    ]
    ingest_events(UOW, history, datetime.now(UTC))


def _sign_in(page, url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():  # the form's redirect must land before the page is used again
        page.click("#sign-in")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/system-deps.sh)")
def test_an_admin_reads_the_dashboard_changes_the_period_and_opens_a_stage(
    stack: Stack, db: Engine, artifacts: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _known_parcels()
    create_staff(UOW, "admin@example.com", "Adela Admin", "admin", PASSWORD, update=True)
    create_staff(UOW, "agent@example.com", "Ana Agent", "agent", PASSWORD, update=True)
    create_staff(UOW, "marketer@example.com", "Marta Marketing", "marketer", PASSWORD, update=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            admin = browser.new_page(viewport={"width": 1360, "height": 1000}, locale="es-ES")
            problems: list[str] = []
            # The page's own requests that failed, and its scripts' errors (the browser's favicon.ico is neither).
            admin.on("response", lambda response: response.status >= 400 and problems.append(response.url))
            admin.on("console", lambda message: message.type == "error" and problems.append(message.text))
            admin.on("pageerror", lambda error: problems.append(str(error)))
            _sign_in(admin, f"{stack.web_url}/console/", "admin@example.com")
            expect(admin.locator(".figure").first).to_be_visible()
            expect(admin.locator(".figures")).to_contain_text("3,00 €")  # 4 days late, in Spain's words
            expect(admin.locator(".figures")).to_contain_text("50 %")
            admin.screenshot(path=str(artifacts / "console-home-headline.png"), full_page=True)

            admin.click("text=Open the dashboard")
            promises = admin.locator("[data-section=promises]")
            expect(promises).to_have_attribute("data-loaded", "true", timeout=15_000)
            expect(promises.locator(".figures")).to_contain_text("50 %")
            expect(admin.locator("[data-section=compensation] .figures")).to_contain_text("3,00 €")
            expect(admin.locator("[data-section=messages]")).to_have_attribute("data-loaded", "true")
            expect(admin.locator("[data-section=conversations]")).to_have_attribute("data-loaded", "true")

            admin.select_option("#picker-days", "90")
            admin.wait_for_url("**/console/dashboard?days=90*")
            expect(admin.locator("#picker-days")).to_have_value("90")
            stages = admin.locator("[data-section=stages]")
            expect(stages).to_have_attribute("data-loaded", "true", timeout=15_000)
            expect(stages.locator("table")).to_contain_text("Line haul")

            bar = admin.evaluate(
                """() => {
                    const canvas = document.querySelector('[data-section=stages] canvas');
                    canvas.scrollIntoView({block: 'center'});
                    const chart = Chart.getChart(canvas);
                    const index = chart.data.datasets.findIndex((set) => set.stage === 4);
                    const box = canvas.getBoundingClientRect();
                    const element = chart.getDatasetMeta(index).data[0];
                    return {x: box.left + element.x, y: box.top + (element.y + element.base) / 2};
                }"""
            )
            admin.mouse.click(bar["x"], bar["y"])
            parcels = admin.locator("#stage-parcels")
            expect(parcels).to_be_visible()
            expect(parcels.locator("h3").first).to_contain_text("Line haul")
            expect(parcels.locator("tbody tr")).to_have_count(1)
            expect(parcels.locator("tbody")).to_contain_text(LATE)
            csv = parcels.locator("a[download]").get_attribute("href")
            assert csv is not None and "format=csv" in csv and "stage=4" in csv
            assert LATE in admin.request.get(f"{stack.web_url}{csv}").text()
            admin.screenshot(path=str(artifacts / "console-dashboard.png"), full_page=True)
            assert [p for p in problems if not p.startswith("Failed to load resource")] == []

            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            _sign_in(phone, f"{stack.web_url}/console/dashboard", "admin@example.com")
            expect(phone.locator("[data-section=promises]")).to_have_attribute("data-loaded", "true", timeout=15_000)
            width = phone.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"the dashboard is {width}px wide on a phone"
            phone.screenshot(path=str(artifacts / "console-dashboard-phone.png"), full_page=True)

            marketer = browser.new_page()
            _sign_in(marketer, f"{stack.web_url}/console/dashboard", "marketer@example.com")
            expect(marketer.locator("[data-section=messages]")).to_have_attribute("data-loaded", "true")
            expect(marketer.locator("[data-section]")).to_have_count(1)
            assert marketer.request.get(f"{stack.web_url}/console/api/metrics/summary").status == 403

            agent = browser.new_page()
            _sign_in(agent, f"{stack.web_url}/console/dashboard", "agent@example.com")
            response = agent.goto(f"{stack.web_url}/console/dashboard")
            assert response is not None and response.status == 403
            expect(agent.locator("[data-section]")).to_have_count(0)
            assert agent.request.get(f"{stack.web_url}/console/api/metrics/messages").status == 403
        finally:
            browser.close()
