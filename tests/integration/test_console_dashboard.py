"""The dashboard in the console: who may see which part, the figures it draws from, and an admin's home page."""

from __future__ import annotations

import pytest

from tests.integration.test_console import ADMIN, AGENT, MARKETER, no_provider, settings, sign_in, staff

__all__ = ["no_provider", "staff"]  # the fixtures this module shares with test_console
from web.app import create_app


@pytest.fixture
async def client(aiohttp_client, staff, no_provider):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings()))


async def test_the_figures_need_a_signed_in_admin_or_for_the_messages_a_marketer(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/console/api/metrics/summary")).status == 401
    page = await client.get("/console/dashboard", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"].startswith("/console/login")

    await sign_in(client, AGENT)
    assert (await client.get("/console/dashboard")).status == 403
    assert (await client.get("/console/api/metrics/messages")).status == 403

    await sign_in(client, MARKETER)
    html = await (await client.get("/console/dashboard")).text()
    assert 'data-section="messages"' in html and 'data-section="promises"' not in html
    assert (await client.get("/console/api/metrics/messages?days=7")).status == 200
    refused = await client.get("/console/api/metrics/compensation")
    assert refused.status == 403 and "your role" in (await refused.json())["error"]


async def test_an_admin_gets_every_section_its_csv_and_clear_refusals(client) -> None:  # type: ignore[no-untyped-def]
    assert (await sign_in(client, ADMIN)).headers["Location"] == "/console/"
    html = await (await client.get("/console/dashboard?days=90&product=")).text()
    for section in ("promises", "stages", "compensation", "messages", "conversations"):
        assert f'data-section="{section}"' in html
    assert "/static/charts/chart.umd.min.js" in html
    for section in ("summary", "promises", "stages", "compensation", "messages", "conversations"):
        response = await client.get(f"/console/api/metrics/{section}?days=90")
        assert response.status == 200, section
        assert (await response.json())["period"]["product"] is None
    csv = await client.get("/console/api/metrics/promises?days=30&format=csv&table=provinces")
    assert csv.status == 200 and csv.content_type == "text/csv"
    assert (await csv.text()).splitlines()[0] == "province,name,kept,broken,excluded,open,on_time_rate"
    assert (await client.get("/console/api/metrics/promises?days=999")).status == 422
    assert (await client.get("/console/api/metrics/nothing")).status == 404
    assert (await client.get("/console/dashboard?days=999")).status == 400


async def test_an_admins_home_is_the_headline_and_the_charts_are_served_by_us(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, ADMIN)
    home = await (await client.get("/console/", headers={"Accept-Language": "es-ES,es;q=0.9"})).text()
    assert "promises kept on time" in home and "0,00\xa0€" in home and "Open the dashboard" in home
    english = await (await client.get("/console/", headers={"Accept-Language": "en-GB"})).text()
    assert "€0.00" in english
    script = await client.get("/static/charts/chart.umd.min.js")
    assert script.status == 200 and "Chart" in await script.text()
