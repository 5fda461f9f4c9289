"""Shoppers' data in the console over HTTP: an admin finds Lucía, downloads her data, is stopped until they type the
confirmation, erases her, and the log names them; an agent is refused."""

from __future__ import annotations

import json

import pytest

from parcels.staff import create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.renderer import set_source_provider
from tests.integration.test_console import ADMIN, AGENT, PASSWORD, settings, sign_in, token
from tests.integration.test_privacy import LUCIA, LUCIA_1, archive, shoppers  # noqa: F401 (fixtures)
from web.app import create_app

PAGE = "/console/privacy"


@pytest.fixture
async def client(aiohttp_client, shoppers, archive):  # type: ignore[no-untyped-def]  # noqa: F811
    create_staff(SqlUnitOfWork(), ADMIN, "Alba Admin", "admin", PASSWORD)
    create_staff(SqlUnitOfWork(), AGENT, "Ana Agent", "agent", PASSWORD)
    previous = set_source_provider(None)
    yield await aiohttp_client(create_app(settings()))  # after archive: its tracker store is TRACKER_STORE_URL
    set_source_provider(previous)


async def test_an_admin_finds_exports_and_erases_a_shopper(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, ADMIN)
    asked = {"csrf_token": await token(client, PAGE), "kind": "phone", "value": LUCIA, "ground": "email of 11 Dec"}

    found = await client.post(f"{PAGE}/find", data=asked)
    html = await found.text()
    assert found.status == 200 and "Phone number +346•••••678: " in html
    assert "2 shipments" in html and "2 conversations" in html and "Type ERASE to confirm" in html

    exported = await client.post(f"{PAGE}/export", data=asked | {"format": "json"})
    assert exported.status == 200 and "attachment" in exported.headers["Content-Disposition"]
    document = json.loads(await exported.text())
    assert document["counts"]["shipments"] == 2 and document["records"]["customers"][0]["phone"] == LUCIA
    page = await client.post(f"{PAGE}/export", data=asked | {"format": "html", "language": "en"})
    assert page.status == 200 and "Your parcels (2 records)" in await page.text()

    unconfirmed = await client.post(f"{PAGE}/erase", data=asked | {"confirm": "yes"})
    assert unconfirmed.status == 422 and "type ERASE to confirm" in await unconfirmed.text()
    assert "2 shipments" in await (await client.post(f"{PAGE}/find", data=asked)).text()

    erased = await client.post(f"{PAGE}/erase", data=asked | {"confirm": "ERASE"})
    html = await erased.text()
    assert erased.status == 200 and "Erased: Phone number +346•••••678" in html and "1 customer " in html
    again = await (await client.post(f"{PAGE}/find", data=asked | {"kind": "tracking_number", "value": LUCIA_1})).text()
    assert "Nothing is held about this shopper." in again
    log = again[again.index('id="log"') :]
    assert log.count(ADMIN) >= 5 and ">erase<" in log and ">export<" in log


async def test_a_wrong_key_is_refused_and_agents_may_not_see_the_page(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, ADMIN)
    form = {"csrf_token": await token(client, PAGE), "kind": "phone", "value": "612345678", "ground": "x"}
    refused = await client.post(f"{PAGE}/find", data=form)
    assert refused.status == 422 and "international form" in await refused.text()
    await client.post("/console/logout", data={"csrf_token": await token(client, PAGE)})
    await sign_in(client, AGENT)
    assert (await client.get(PAGE)).status == 403
    assert "Shoppers&#39; data" not in await (await client.get("/console/claims")).text()
