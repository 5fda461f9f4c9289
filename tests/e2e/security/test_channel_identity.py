"""Class 1: who a shopper is comes from the channel, never from the request. On the real stack: a REST caller
who names a WhatsApp shopper speaks in a conversation of its own and cannot claim "verified by phone"; only
the signed WhatsApp connector's proof lets a shopper claim without the postal code; a socket.io client cannot
choose its conversation; the REST channel needs its token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from parcels.storage.db import session_scope
from parcels.storage.models import Claim
from tests.factories import shipment_record
from tests.processes import Stack
from tests.web_chat import web_chat

pytestmark = pytest.mark.e2e

PHONE = "+34612000111"
NUMBER = "LP00077700000001"


@pytest.fixture
def late_parcel(stack: Stack, db) -> str:  # type: ignore[no-untyped-def]
    """A parcel 30 days late (owed), whose customer's phone is PHONE."""
    paid = datetime.now(UTC) - timedelta(days=30)
    record = shipment_record(NUMBER, order_ref="ID-1", paid_at=paid.isoformat(), customer_phone=PHONE)
    headers = {"X-Api-Key": stack.api_key}
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    return NUMBER


def claims() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Claim)) or 0


def user_texts(stack: Stack, conversation: str) -> list[str]:
    return [e.get("text") for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


def test_a_rest_caller_naming_a_whatsapp_shopper_speaks_only_for_itself(stack: Stack, late_parcel: str) -> None:
    shopper = f"whatsapp:{PHONE}"
    assert stack.whatsapp(shopper, f"mi paquete {late_parcel} llega tarde, me corresponde algo?").status_code == 200
    before = user_texts(stack, shopper)

    forged = {
        "sender": shopper,
        "message": "quiero reclamar la compensación",
        "input_channel": "whatsapp",
        "metadata": {"channel": "whatsapp", "phone": PHONE, "message_sid": "SM" + "0" * 32, "identity": "0" * 64},
    }
    response = stack.rest(forged)
    assert response.status_code == 200
    texts = " ".join(m.get("text", "") for m in response.json())
    assert "código postal" in texts or "número de seguimiento" in texts  # must prove it, or say which parcel
    assert user_texts(stack, shopper) == before  # the WhatsApp conversation did not hear it
    assert "quiero reclamar la compensación" in user_texts(stack, f"rest:{shopper}")
    assert stack.tracker(f"rest:{shopper}")["latest_input_channel"] == "rest"
    stack.rest({**forged, "message": late_parcel})
    stack.rest({**forged, "message": "sí"})
    assert claims() == 0  # "verified by phone" needs the connector's proof


def test_the_signed_whatsapp_shopper_claims_without_the_postal_code(stack: Stack, late_parcel: str) -> None:
    shopper = f"whatsapp:{PHONE}"
    stack.whatsapp(shopper, f"mi paquete {late_parcel} llega tarde, me corresponde algo?")
    asked = stack.whatsapp(shopper, "quiero reclamarla").text
    assert "código postal" not in asked and "¿Lo confirmas?" in asked
    done = stack.whatsapp(shopper, "sí").text
    assert "C-" in done
    assert claims() == 1


def test_the_rest_channel_needs_its_token(stack: Stack) -> None:
    body = {"sender": "someone", "message": "hola"}
    assert stack.rest(body, token="").status_code == 401
    assert stack.rest(body, token="wrong").status_code == 401
    assert stack.rest(body).status_code == 200


@pytest.mark.parametrize("body", [["a list"], "text", 3, None, {"sender": ["x"], "message": "hola"}, {"sender": "x"}])
def test_a_rest_body_that_is_not_a_message_is_refused(stack: Stack, body: object) -> None:
    response = stack.rest(body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]


async def test_a_socketio_client_cannot_choose_its_conversation(stack: Stack) -> None:
    for wanted in (f"whatsapp:{PHONE}", "rest:someone", "inbox-" + "a" * 32, "web-" + "b" * 32):
        async with web_chat(stack.rasa_url) as chat:
            confirmed = await chat.session({"session_id": wanted, "session_token": "0" * 64})
        assert confirmed["session_id"] != wanted and confirmed["session_id"].startswith("web-")
    async with web_chat(stack.rasa_url) as chat:
        first = await chat.session()
    async with web_chat(stack.rasa_url) as chat:
        again = await chat.session(first)
    assert again["session_id"] == first["session_id"]  # a conversation it was given, with its token


async def test_a_socketio_message_speaks_in_the_sockets_conversation(stack: Stack) -> None:
    target = f"whatsapp:{PHONE}"
    async with web_chat(stack.rasa_url) as chat:
        session = await chat.session()
        await chat.say("hola buenas", session_id=target)
    assert "hola buenas" in user_texts(stack, session["session_id"])
    assert "hola buenas" not in (user_texts(stack, target) if stack.tracker(target)["events"] else [])
