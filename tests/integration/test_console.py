"""The staff console over HTTP: sign-in, sessions, CSRF, roles, and the marketers' template editor."""

from __future__ import annotations

import re
import shutil

import pytest
from markupsafe import escape
from sqlalchemy import Engine

import templates.manifest as manifest_module
from parcels.staff import create_staff, verify_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.manifest import manifest, samples, typed
from templates.renderer import render_message, set_source_provider, source_provider
from templates.versions import current, history, shipped_source
from templates.versions import source_provider as published_sources
from web.app import create_app
from web.settings import Settings

PASSWORD = "correct horse battery"
MARKETER, AGENT, ADMIN = "marketer@example.com", "agent@example.com", "admin@example.com"
KEY = ("parcel_status", "web", "es")
EDITOR = "/console/templates/parcel_status/web/es"
UOW = SqlUnitOfWork()  # the default engine's: the test database


def settings(secret: str | None = "console-test-secret", secure: bool | None = None) -> Settings:
    vendor = Settings.from_environment().vendor_dir
    return Settings(
        rasa_public_url="http://rasa.example",
        tracking_api_key=None,
        vendor_dir=vendor,
        console_secret=secret,
        console_cookie_secure=secure,
    )


@pytest.fixture
def staff(db: Engine) -> None:
    create_staff(UOW, MARKETER, "Marta Marketing", "marketer", PASSWORD)
    create_staff(UOW, AGENT, "Ana Agent", "agent", PASSWORD)
    create_staff(UOW, ADMIN, "Alba Admin", "admin", PASSWORD)


@pytest.fixture
def no_provider():  # type: ignore[no-untyped-def]
    """The renderer's source provider is process-wide: leave it as it was."""
    previous = set_source_provider(None)
    yield
    set_source_provider(previous)


@pytest.fixture
async def client(aiohttp_client, staff, no_provider):  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(settings()))


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


async def sign_in(client, email: str = MARKETER, password: str = PASSWORD, next: str = ""):  # type: ignore[no-untyped-def]
    token = csrf_of(await (await client.get("/console/login")).text())
    form = {"email": email, "password": password, "csrf_token": token, "next": next}
    return await client.post("/console/login", data=form, allow_redirects=False)


async def token(client, path: str = EDITOR) -> str:  # type: ignore[no-untyped-def]
    response = await client.get(path)
    assert response.status == 200, await response.text()
    return csrf_of(await response.text())


# --------------------------------------------------------------------------- accounts


def test_passwords_are_argon2_hashes_and_verify(staff) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from parcels.storage.db import session_scope
    from parcels.storage.models import StaffUser

    with session_scope() as session:
        stored = session.scalar(select(StaffUser.password_hash).where(StaffUser.email == MARKETER))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_staff(UOW, "  Marketer@Example.com ", PASSWORD).role == "marketer"
    assert verify_staff(UOW, MARKETER, "wrong password!") is None
    assert verify_staff(UOW, "nobody@example.com", PASSWORD) is None


# --------------------------------------------------------------------------- signing in


async def test_unauthenticated_requests_go_to_the_sign_in_page(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/console/templates", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/console/login?next=%2Fconsole%2Ftemplates"
    response = await client.post("/console/api/preview", json={})
    assert response.status in (401, 403)  # no session: refused before anything is read


async def test_sign_in_with_the_right_password_and_out_again(client) -> None:  # type: ignore[no-untyped-def]
    response = await sign_in(client, next="/console/templates/parcel_status/web/es")
    assert response.status == 303
    assert response.headers["Location"] == "/console/templates/parcel_status/web/es"
    page = await client.get("/console/templates")
    assert page.status == 200
    html = await page.text()
    assert "Marta Marketing" in html and "parcel_status" in html

    response = await client.post("/console/logout", data={"csrf_token": csrf_of(html)}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/console/login"
    assert (await client.get("/console/templates", allow_redirects=False)).status == 303


@pytest.mark.parametrize(("email", "password"), [(MARKETER, "not the password"), ("nobody@example.com", PASSWORD)])
async def test_a_wrong_email_or_password_gets_the_same_answer(client, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    response = await sign_in(client, email, password)
    assert response.status == 401
    html = await response.text()
    assert "wrong email or password" in html
    assert (await client.get("/console/templates", allow_redirects=False)).status == 303


async def test_failed_sign_ins_are_capped_per_email(client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert (await sign_in(client, MARKETER, "not the password")).status == 401
    response = await sign_in(client, MARKETER, PASSWORD)
    assert response.status == 429
    assert "too many failed sign-ins" in await response.text()
    assert (await sign_in(client, ADMIN, PASSWORD)).status == 303  # another email is not held up


async def test_next_never_leads_off_the_console(client) -> None:  # type: ignore[no-untyped-def]
    for target in ("https://evil.example/", "//evil.example/console/", "/\\evil.example"):
        response = await sign_in(client, next=target)
        assert response.headers["Location"] == "/console/templates"


async def test_the_session_cookie_is_httponly_lax_limited_and_scoped(client) -> None:  # type: ignore[no-untyped-def]
    response = await sign_in(client)
    cookie = response.cookies["console_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/console"
    assert 0 < int(cookie["max-age"]) <= 8 * 3600
    assert not cookie["secure"]  # http://127.0.0.1: a local host


async def test_the_cookie_is_secure_off_localhost_or_when_configured(aiohttp_client, staff, no_provider) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(settings()))
    response = await client.get("/console/login", headers={"Host": "console.carrier.example"})
    assert response.cookies["console_session"]["secure"] is True
    forced = await aiohttp_client(create_app(settings(secure=True)))
    response = await forced.get("/console/login")
    assert response.cookies["console_session"]["secure"] is True
    off = await aiohttp_client(create_app(settings(secure=False)))
    response = await off.get("/console/login", headers={"Host": "console.carrier.example"})
    assert not response.cookies["console_session"]["secure"]


async def test_pages_forbid_framing_and_foreign_scripts(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/console/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_without_a_secret_the_console_is_off(aiohttp_client, db, no_provider) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(settings(secret=None)))
    response = await client.get("/console/login")
    assert response.status == 503
    assert "CONSOLE_SECRET_KEY" in await response.text()


# --------------------------------------------------------------------------- CSRF and roles


async def test_posts_without_the_csrf_token_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    form = {"email": MARKETER, "password": PASSWORD}
    assert (await client.post("/console/login", data=form, allow_redirects=False)).status == 403
    assert (await sign_in(client)).status == 303
    source = shipped_source(*KEY)
    for data in ({"source": source, "action": "draft"}, {"source": source, "action": "draft", "csrf_token": "nope"}):
        assert (await client.post(EDITOR, data=data)).status == 403
    body = {"message": "parcel_status", "channel": "web", "locale": "es", "source": "x", "sample": 0}
    assert (await client.post("/console/api/preview", json=body)).status == 403
    assert (await client.post("/console/api/preview", json=body, headers={"X-CSRF-Token": "nope"})).status == 403
    assert (await client.post("/console/logout", data={})).status == 403
    assert history(UOW, *KEY) == []


async def test_an_agent_may_not_edit_templates(client) -> None:  # type: ignore[no-untyped-def]
    assert (await sign_in(client, AGENT)).headers["Location"] == "/console/"
    home = await client.get("/console/")
    assert home.status == 200 and "agent" in await home.text()
    assert (await client.get("/console/templates")).status == 403
    assert (await client.get(EDITOR)).status == 403
    body = {"message": "parcel_status", "channel": "web", "locale": "es", "source": "x", "sample": 0}
    headers = {"X-CSRF-Token": csrf_of(await home.text())}
    response = await client.post("/console/api/preview", json=body, headers=headers)
    assert response.status == 403


# --------------------------------------------------------------------------- the editor


async def test_the_catalogue_lists_every_message_channel_and_locale(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client)
    html = await (await client.get("/console/templates")).text()
    assert 'href="/console/templates/parcel_status/web/es"' in html
    assert 'href="/console/templates/parcel_status/web/en"' in html
    assert "shipped file" in html


async def test_the_preview_renders_a_sample_and_reports_problems_with_their_line(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client)
    headers = {"X-CSRF-Token": await token(client)}
    body = {"message": "parcel_status", "channel": "web", "locale": "es", "source": "Tu paquete {{ number }}."}
    body["sample"] = 1
    response = await client.post("/console/api/preview", json=body, headers=headers)
    assert response.status == 200
    result = await response.json()
    text = f"Tu paquete {samples('parcel_status')[1]['number']}."
    assert result == {"ok": True, "text": text, "problems": [], "characters": len(text)}

    body["source"] = "Hola\n{{ numero }}\n{% if %}"
    result = await (await client.post("/console/api/preview", json=body, headers=headers)).json()
    assert result["ok"] is False and result["text"] is None
    [problem] = result["problems"]
    assert problem["kind"] == "syntax" and problem["line"] == 3

    body["source"] = "Hola\n{{ numero }}"
    result = await (await client.post("/console/api/preview", json=body, headers=headers)).json()
    [problem] = [p for p in result["problems"] if p["kind"] == "unknown_variable"]
    assert problem["line"] == 2 and "numero" in problem["message"]

    body["message"] = "no_such_message"
    assert (await client.post("/console/api/preview", json=body, headers=headers)).status == 404


async def test_the_preview_can_use_a_real_parcel_without_its_customers_details(client) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from parcels.ingest import ingest_events
    from parcels.shipments import register_shipments
    from tests.factories import event_record, shipment_record

    now = datetime.now(UTC)
    register_shipments(UOW, [shipment_record("LP00012345678901", paid_at=(now - timedelta(days=3)).isoformat())])
    ingest_events(UOW, [event_record("p-1", "LH_DEPART", (now - timedelta(days=1)).isoformat())], now)
    await sign_in(client)
    headers = {"X-CSRF-Token": await token(client)}
    source = "{{ number }} {{ promised_date | date }} {{ last_event_place }}"
    body = {"message": "parcel_status", "channel": "web", "locale": "es", "source": source}
    body["tracking_number"] = "lp 0001 2345 6789 01"
    result = await (await client.post("/console/api/preview", json=body, headers=headers)).json()
    assert result["ok"] is True
    assert result["text"].startswith("LP00012345678901 ") and "Shenzhen, CN" in result["text"]

    body["tracking_number"] = "LP99999999999999"
    result = await (await client.post("/console/api/preview", json=body, headers=headers)).json()
    assert [p["message"] for p in result["problems"]] == ["no shipment LP99999999999999"]
    body["tracking_number"] = "not a number"
    assert (await client.post("/console/api/preview", json=body, headers=headers)).status == 400


async def test_save_a_draft_publish_it_and_customers_get_it(client) -> None:  # type: ignore[no-untyped-def]
    sample = samples("parcel_status")[0]
    shipped = render_message(*KEY, sample)
    assert source_provider() is not None  # the app installed the database's versions at start-up
    await sign_in(client)
    csrf = await token(client)
    new_text = "¡Hola! {{ number }} va de camino."
    form = {"source": new_text, "comment": "más corto", "action": "draft", "csrf_token": csrf}
    response = await client.post(EDITOR, data=form, allow_redirects=False)
    assert response.status == 303
    [draft] = history(UOW, *KEY)
    assert (draft.number, draft.status, draft.author, draft.comment) == (1, "draft", MARKETER, "más corto")
    assert render_message(*KEY, sample) == shipped  # a draft is never sent

    html = await (await client.get(EDITOR)).text()
    assert "Draft 1 saved" in html and "draft 1 waiting" in html and "va de camino" in html
    listing = await (await client.get("/console/templates")).text()
    assert "draft 1 waiting" in listing

    form = {"source": new_text, "comment": "", "action": "publish", "csrf_token": csrf}
    response = await client.post(EDITOR, data=form, allow_redirects=False)
    assert response.status == 303
    [version] = history(UOW, *KEY)  # the waiting draft with the same text was published, not copied
    assert version.status == "published"
    assert render_message(*KEY, sample) == f"¡Hola! {sample['number']} va de camino."
    listing = await (await client.get("/console/templates")).text()
    assert "version 1" in listing and MARKETER in listing


async def test_a_failing_version_is_not_published_and_stays_a_draft(client) -> None:  # type: ignore[no-untyped-def]
    sample = samples("parcel_status")[0]
    shipped = render_message(*KEY, sample)
    await sign_in(client)
    form = {"source": "Hola {{ numero }}", "action": "publish", "csrf_token": await token(client)}
    response = await client.post(EDITOR, data=form)
    assert response.status == 422
    html = await response.text()
    assert "Not published" in html and "numero" in html and "line 1" in html
    assert "Hola {{ numero }}" in html  # the text is still in the editor
    [draft] = history(UOW, *KEY)
    assert draft.status == "draft" and draft.source == "Hola {{ numero }}"
    assert render_message(*KEY, sample) == shipped
    assert current(UOW, *KEY)[1] is None


async def test_roll_back_and_compare(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client)
    csrf = await token(client)
    for text in ("Primera {{ number }}", "Segunda {{ number }}"):
        form = {"source": text, "action": "publish", "csrf_token": csrf}
        assert (await client.post(EDITOR, data=form, allow_redirects=False)).status == 303
    second, first = history(UOW, *KEY)
    assert published_sources(UOW)(*KEY) == "Segunda {{ number }}"

    html = await (await client.get(f"{EDITOR}?a={first.id}&b={second.id}")).text()
    assert '<span class="diff__del">-Primera {{ number }}</span>' in html
    assert '<span class="diff__add">+Segunda {{ number }}</span>' in html
    html = await (await client.get(f"{EDITOR}?a=shipped&b={second.id}")).text()
    assert "shipped file → version 2" in html and 'class="diff__del"' in html
    html = await (await client.get(f"{EDITOR}?a=shipped&b=999999")).text()
    assert "no such version" in html

    response = await client.post(
        f"{EDITOR}/rollback", data={"version_id": str(first.id), "csrf_token": csrf}, allow_redirects=False
    )
    assert response.status == 303
    newest = history(UOW, *KEY)[0]
    assert (newest.number, newest.status, newest.source) == (3, "published", "Primera {{ number }}")
    assert "rollback to version 1" in (newest.comment or "")
    sample = samples("parcel_status")[0]
    assert render_message(*KEY, sample) == f"Primera {sample['number']}"
    html = await (await client.get(EDITOR)).text()
    assert "Rolled back" in html

    other = await client.post(
        "/console/templates/parcel_status/web/en/rollback",
        data={"version_id": str(first.id), "csrf_token": csrf},
        allow_redirects=False,
    )
    assert other.status == 303 and len(history(UOW, "parcel_status", "web", "en")) == 0  # another template's version


async def test_an_unknown_template_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client)
    assert (await client.get("/console/templates/nope/web/es")).status == 404
    assert (await client.get("/console/templates/parcel_status/fax/es")).status == 404


async def test_operators_see_the_outbox_with_masked_numbers(client) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sqlalchemy import select

    from parcels.shipments import register_shipments
    from parcels.storage.db import session_scope
    from parcels.storage.models import Shipment
    from tests.factories import notification_row, shipment_record

    register_shipments(UOW, [shipment_record("LP00012345678901"), shipment_record("LP00012345678902", order_ref="2")])
    now = datetime.now(UTC)
    inbox = "inbox-" + "ab" * 16
    with session_scope() as session:
        shipment_id, other_id = session.scalars(select(Shipment.id).order_by(Shipment.id)).all()
        session.add(notification_row(other_id, "failed", now, channel="web", recipient=inbox, reason="for the test"))
        session.add(
            notification_row(
                shipment_id,
                "failed",
                now,
                variables={**manifest()["promise_broken"]["samples"][0], "number": "LP00012345678901"},
                reason="21610: the recipient opted out (STOP)",
            )
        )
    await sign_in(client, AGENT)
    page = await client.get("/console/notifications?status=failed")
    html = await page.text()
    assert page.status == 200 and "LP00012345678901" in html and "opted out" in html
    assert "+34612345678" not in html and "+346••••••78" in html
    assert inbox not in html and "Web chat" in html  # an inbox key is a credential
    assert "cannot be rendered" in html  # the web row has no variables: said so, the page still shows
    variables = typed({**manifest()["promise_broken"]["samples"][0], "number": "LP00012345678901"})
    assert str(escape(render_message("promise_broken", "whatsapp", "es", variables).splitlines()[0])) in html
    assert (await client.get("/console/notifications?status=lost")).status == 400
    await client.post("/console/logout", data={"csrf_token": csrf_of(html)})
    await sign_in(client, MARKETER)
    assert (await client.get("/console/notifications")).status == 403


async def test_the_catalogue_shows_every_language_and_flags_one_a_message_lacks(  # type: ignore[no-untyped-def]
    client, tmp_path, monkeypatch
) -> None:
    await sign_in(client)
    html = await (await client.get("/console/templates")).text()
    for locale in ("es", "en", "ca", "gl", "eu"):
        assert f"/console/templates/promise/sms/{locale}" in html
    assert "tile--missing" not in html

    shipped = tmp_path / "templates"
    shutil.copytree(manifest_module.TEMPLATES_DIR, shipped)
    (shipped / "messages" / "promise" / "sms.eu.j2").unlink()
    monkeypatch.setattr(manifest_module, "TEMPLATES_DIR", shipped)
    html = await (await client.get("/console/templates")).text()
    assert html.count("tile tile--missing") == 1
    assert 'title="Shoppers writing in eu are answered in the market' in html
