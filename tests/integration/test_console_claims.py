"""The console's claims over HTTP: operators list them, read one with its history and move it on, as themselves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from parcels.claims import ClaimStatus, get_claim, make_claim
from parcels.shipments import register_shipments
from parcels.staff import create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.renderer import set_source_provider
from tests.factories import shipment_record
from tests.integration.test_console import AGENT, MARKETER, PASSWORD, csrf_of, settings, sign_in, token
from web.app import create_app

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

NUMBER = "LP00012345678904"  # STANDARD: granted on application, so it waits for the back office


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    create_staff(SqlUnitOfWork(), MARKETER, "Marta Marketing", "marketer", PASSWORD)
    create_staff(SqlUnitOfWork(), AGENT, "Ana Agent", "agent", PASSWORD)
    previous = set_source_provider(None)
    yield await aiohttp_client(create_app(settings()))
    set_source_provider(previous)


@pytest.fixture
def reference(db: Engine) -> str:
    register_shipments(UOW, [shipment_record(NUMBER, product="STANDARD", paid_at="2026-11-02T10:00:00+01:00")])
    claim = make_claim(UOW, NUMBER, datetime(2026, 12, 2, tzinfo=UTC), "whatsapp", postal_code="28013").claim
    assert claim is not None
    return claim.reference


async def test_an_agent_approves_a_claim_and_the_history_names_them(client, reference: str) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, AGENT)
    listing = await client.get("/console/claims?status=requested")
    html = await listing.text()
    assert listing.status == 200 and reference in html and NUMBER in html

    page = f"/console/claims/{reference}"
    form = {"csrf_token": await token(client, page), "status": "approved", "note": "checked the scan <b>log</b>"}
    moved = await client.post(page, data=form, allow_redirects=False)
    assert moved.status == 303 and moved.headers["Location"] == page

    html = await (await client.get(page)).text()
    assert f"Claim {reference} is approved." in html
    assert "agent@example.com" in html and "checked the scan &lt;b&gt;log&lt;/b&gt;" in html  # escaped
    steps = get_claim(UOW, reference).history
    assert [(str(s.actor_kind), s.actor, s.to_status) for s in steps] == [
        ("shopper", "whatsapp", ClaimStatus.REQUESTED),
        ("staff", AGENT, ClaimStatus.APPROVED),
    ]


async def test_a_move_the_claim_cannot_make_changes_nothing(client, reference: str) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, AGENT)
    page = f"/console/claims/{reference}"
    refusals = (
        ("paid", None, "a requested claim cannot become paid"),
        ("lost", None, "Choose what the claim becomes"),
        ("approved", "x" * 501, "longer than 500 characters"),
    )
    form = {"csrf_token": await token(client, page)}
    for status, note, said in refusals:
        form |= {"status": status, **({"note": note} if note else {})}
        assert (await client.post(page, data=form, allow_redirects=False)).status == 303
        html = await (await client.get(page)).text()
        assert said in html and ("Nothing was changed" in html or "Not changed" in html)
    detail = get_claim(UOW, reference)
    assert detail.claim.status is ClaimStatus.REQUESTED and len(detail.history) == 1


async def test_claims_are_for_operators_only(client, reference: str) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/console/claims", allow_redirects=False)).status == 303  # to the sign-in page
    await sign_in(client, MARKETER)
    assert (await client.get("/console/claims")).status == 403
    html = await (await client.get("/console/")).text()
    forbidden = await client.post(
        f"/console/claims/{reference}", data={"csrf_token": csrf_of(html), "status": "approved"}
    )
    assert forbidden.status == 403
    assert get_claim(UOW, reference).claim.status is ClaimStatus.REQUESTED


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/console/claims/C-NOPE", 404),
        ("/console/claims/C-22222222", 404),
        ("/console/claims?status=lost", 400),
        ("/console/claims?page=0", 400),
        ("/console/claims?page=x", 400),
    ],
)
async def test_unknown_claims_and_bad_queries_are_refused(client, path: str, status: int) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client, AGENT)
    assert (await client.get(path)).status == status
