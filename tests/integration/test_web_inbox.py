"""The web chat inbox API: a shopper's notifications behind an unguessable key, shown once rendered, then read."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Customer, Notification, Shipment
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.manifest import manifest, samples
from templates.renderer import render_message
from tests.factories import shipment_record
from web.app import create_app
from web.inbox import HideInboxKeys
from web.settings import Settings

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

ANA, BEN = "a" * 32, "b" * 32  # two customers' inbox keys
SENT_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SHOP_KEY = "shop-site-key"


def settings() -> Settings:
    vendor = Settings.from_environment().vendor_dir
    return Settings(rasa_public_url="http://rasa", tracking_api_key=SHOP_KEY, vendor_dir=vendor)


def add(number: str, kind: str, channel: str = "web", status: str = "sent", minutes: int = 0, **extra: Any) -> int:
    """A notification of the parcel ``number``, last updated (sent) ``minutes`` after SENT_AT."""
    with session_scope() as session:
        shipment = session.scalars(select(Shipment).where(Shipment.tracking_number == number)).one()
        key = session.get(Customer, shipment.customer_id).inbox_key  # type: ignore[union-attr]
        moment = SENT_AT + timedelta(minutes=minutes)
        row = Notification(
            dedupe_key=f"{shipment.id}:{kind}",
            shipment_id=shipment.id,
            kind=kind,
            channel=channel,
            recipient=f"inbox-{key}" if channel == "web" else "+34600000001",
            locale=extra.pop("locale", "es"),
            variables=extra.pop("variables", None) or {**manifest()[kind]["samples"][0], "number": number},
            status=status,
            not_before=moment,
            attempts=1,
            created_at=moment,
            updated_at=moment,
        )
        session.add(row)
        session.flush()
        return row.id


def statuses() -> dict[int, str]:
    with session_scope() as session:
        return {id_: status for id_, status in session.execute(select(Notification.id, Notification.status))}


def text(kind: str, number: str, locale: str) -> str:
    return render_message(kind, "web", locale, {**samples(kind)[0], "number": number})


@pytest.fixture
async def client(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    register_shipments(
        UOW,
        [
            shipment_record("LP00012345678941", order_ref="a1", customer_phone="+34600000001", customer_locale="en"),
            shipment_record("LP00012345678942", order_ref="a2", customer_phone="+34600000001", customer_locale="en"),
            shipment_record("LP00012345678943", order_ref="b1", customer_phone="+34600000002"),
        ],
    )
    with session_scope() as session:
        for phone, key in (("+34600000001", ANA), ("+34600000002", BEN)):
            session.scalars(select(Customer).where(Customer.phone == phone)).one().inbox_key = key
    return await aiohttp_client(create_app(settings()))


async def test_messages_are_listed_oldest_first_in_the_customers_language_then_read(client) -> None:  # type: ignore[no-untyped-def]
    later = add("LP00012345678941", "promise_broken", minutes=30, locale="en")
    earlier = add("LP00012345678942", "promise_at_risk", minutes=5, locale="en")
    response = await client.get(f"/api/inbox/{ANA}")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert (body["conversation"], body["locale"]) == (f"inbox-{ANA}", "en")
    assert body["messages"] == [
        {
            "id": earlier,
            "kind": "promise_at_risk",
            "text": text("promise_at_risk", "LP00012345678942", "en"),
            "sent_at": (SENT_AT + timedelta(minutes=5)).isoformat(),
        },
        {
            "id": later,
            "kind": "promise_broken",
            "text": text("promise_broken", "LP00012345678941", "en"),
            "sent_at": (SENT_AT + timedelta(minutes=30)).isoformat(),
        },
    ]
    assert "LP00012345678942" in body["messages"][0]["text"]
    assert statuses() == {earlier: "read", later: "read"}

    again = await client.get(f"/api/inbox/{ANA}")  # read again: the same messages, still read
    assert [m["id"] for m in (await again.json())["messages"]] == [earlier, later]
    assert statuses() == {earlier: "read", later: "read"}


async def test_a_delivered_one_becomes_read_and_nothing_moves_backwards(client) -> None:  # type: ignore[no-untyped-def]
    delivered = add("LP00012345678941", "promise_broken", status="delivered")
    read = add("LP00012345678942", "promise_broken", status="read", minutes=1)
    body = await (await client.get(f"/api/inbox/{ANA}")).json()
    assert [m["id"] for m in body["messages"]] == [delivered, read]
    assert statuses() == {delivered: "read", read: "read"}


async def test_only_this_customers_sent_web_messages_are_shown(client) -> None:  # type: ignore[no-untyped-def]
    mine = add("LP00012345678941", "promise_broken")
    whatsapp = add("LP00012345678941", "delivered_late", channel="whatsapp")
    pending = add("LP00012345678942", "promise_at_risk", status="pending")
    failed = add("LP00012345678942", "promise_broken", status="failed")
    others = add("LP00012345678943", "promise_broken")
    body = await (await client.get(f"/api/inbox/{ANA}")).json()
    assert [m["id"] for m in body["messages"]] == [mine]
    assert statuses() == {mine: "read", whatsapp: "sent", pending: "pending", failed: "failed", others: "sent"}
    body = await (await client.get(f"/api/inbox/{BEN}")).json()
    assert [m["id"] for m in body["messages"]] == [others]
    assert "LP00012345678943" in body["messages"][0]["text"] and body["locale"] == "es"


async def test_a_message_that_cannot_be_rendered_is_left_unread(client) -> None:  # type: ignore[no-untyped-def]
    broken = add("LP00012345678941", "promise_broken", variables={"number": "LP00012345678941"})
    fine = add("LP00012345678942", "promise_broken", minutes=1)
    body = await (await client.get(f"/api/inbox/{ANA}")).json()
    assert [m["id"] for m in body["messages"]] == [fine]
    assert statuses() == {broken: "sent", fine: "read"}


@pytest.mark.parametrize("key", ["c" * 32, "A" * 32, "a" * 31, "a" * 33, "inbox-" + ANA, "g" * 32])
async def test_unknown_and_malformed_keys_learn_nothing(client, key: str) -> None:  # type: ignore[no-untyped-def]
    add("LP00012345678941", "promise_broken")
    response = await client.get(f"/api/inbox/{key}")
    assert response.status == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {"error": "no inbox at this address; check the link"}


async def test_a_database_that_is_down_answers_503(client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    sent = add("LP00012345678941", "promise_broken")
    unreachable = create_engine("sqlite:////nonexistent/dir/parcels.db")
    monkeypatch.setattr("parcels.storage.unit_of_work.default_engine", lambda: unreachable)
    response = await client.get(f"/api/inbox/{ANA}")
    assert response.status == 503
    assert response.headers["Cache-Control"] == "no-store"
    assert "database is unavailable" in (await response.json())["error"]
    monkeypatch.undo()
    assert statuses() == {sent: "sent"}


async def test_a_failed_commit_marks_nothing_read(client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    sent = add("LP00012345678941", "promise_broken")

    def fail(_: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(Session, "commit", fail)
    assert (await client.get(f"/api/inbox/{ANA}")).status == 503
    monkeypatch.undo()
    assert statuses() == {sent: "sent"}
    body = await (await client.get(f"/api/inbox/{ANA}")).json()  # nothing lost: shown on the next visit
    assert [m["id"] for m in body["messages"]] == [sent]
    assert statuses() == {sent: "read"}


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_the_chat_page_carries_its_inbox_wording(client, lang: str) -> None:  # type: ignore[no-untyped-def]
    html = await (await client.get(f"/?lang={lang}&inbox={ANA}")).text()
    for name in ("notice", "inbox-welcome", "inbox-unknown", "inbox-unavailable"):
        assert f'data-text-{name}=""' not in html and f"data-text-{name}=" in html


def test_access_log_lines_hide_inbox_keys() -> None:
    key = "0123456789abcdef0123456789abcdef"
    line = f'"GET /api/inbox/{key} HTTP/1.1" 200 / "/?inbox={key}"'
    record = logging.LogRecord("aiohttp.access", logging.INFO, __file__, 1, line, None, None)
    HideInboxKeys().filter(record)
    assert key not in record.getMessage() and "/api/inbox/…" in record.getMessage()


async def test_the_shops_site_gets_a_parcels_inbox_link(client) -> None:  # type: ignore[no-untyped-def]
    def link(body: object, key: str | None = SHOP_KEY):  # type: ignore[no-untyped-def]
        return client.post("/api/inbox-links", json=body, headers={"X-Api-Key": key} if key else {})

    existing = await link({"tracking_number": "lp 0001 2345 6789 43"})
    assert existing.status == 200
    assert await existing.json() == {"tracking_number": "LP00012345678943", "inbox_key": BEN, "path": f"/?inbox={BEN}"}

    register_shipments(UOW, [shipment_record("LP00012345678944", order_ref="c1", customer_phone="+34600000003")])
    made = await (await link({"tracking_number": "LP00012345678944"})).json()
    again = await (await link({"tracking_number": "LP00012345678944"})).json()
    assert len(made["inbox_key"]) == 32 and again["inbox_key"] == made["inbox_key"]  # made once, then kept
    assert (await client.get(made["path"].replace("/?inbox=", "/api/inbox/"))).status == 200

    assert (await link({"tracking_number": "LP00012345678944"}, key=None)).status == 401
    assert (await link({"tracking_number": "LP00012345678944"}, key="wrong")).status == 401
    assert (await link({"tracking_number": "LP00099999999999"})).status == 404
    assert (await link({"tracking_number": "LP123"})).status == 400
    assert (await link(["LP00012345678944"])).status == 400
