"""End to end: real rasa, actions and web processes; shipments and events loaded over HTTP;
the shopper chats over Rasa's REST channel in Spanish and English."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = pytest.mark.e2e

ON_TRACK = "LP00077700000001"
LATE = "RR777000010CN"


@pytest.fixture(scope="module")
def loaded(stack: Stack) -> Stack:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    shipments = [
        shipment_record(ON_TRACK, paid_at=(now - timedelta(days=3)).isoformat()),
        shipment_record(LATE, paid_at=(now - timedelta(days=20)).isoformat(), customer_phone="+34612000002"),
    ]
    response = requests.post(f"{stack.web_url}/api/shipments", json=shipments, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    events = [
        event_record("e2e-1", "PU_PICKUP_SUCCESS", (now - timedelta(days=2, hours=20)).isoformat(), ON_TRACK),
        event_record("e2e-2", "LH_DEPART", (now - timedelta(days=1)).isoformat(), ON_TRACK, location="Shenzhen, CN"),
        event_record("e2e-3", "EMA", (now - timedelta(days=19)).isoformat(), LATE),
        event_record("e2e-4", "EDD", (now - timedelta(days=2)).isoformat(), LATE, location="Zaragoza, ES"),
    ]
    response = requests.post(
        f"{stack.web_url}/api/tracking/events", json={"events": events}, headers=headers, timeout=30
    )
    assert response.status_code == 200, response.text
    return stack


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_spanish_question_with_the_number(loaded: Stack) -> None:
    [answer] = loaded.chat(sender(), f"¿dónde está mi paquete {ON_TRACK}?")
    assert ON_TRACK in answer
    assert "en tránsito internacional (etapa 4 de 7)" in answer
    assert "Shenzhen, CN" in answer
    assert "Va en plazo" in answer


def test_english_question_about_a_late_parcel(loaded: Stack) -> None:
    [answer] = loaded.chat(sender(), f"hi, where is my parcel {LATE}?")
    assert "at the sorting centre in Spain (stage 6 of 7)" in answer
    assert "it is late" in answer


def test_the_number_is_asked_for_then_remembered(loaded: Stack) -> None:
    shopper = sender()
    [ask] = loaded.chat(shopper, "when will my order arrive?")
    assert "tracking number" in ask
    [answer] = loaded.chat(shopper, ON_TRACK)
    assert "It is on track" in answer
    assert loaded.slot(shopper, "tracking_numbers") == [ON_TRACK]
    [again] = loaded.chat(shopper, "and when will it arrive?")
    assert ON_TRACK in again and "Promised date" in again


def test_several_numbers_unknown_and_mistyped(loaded: Stack) -> None:
    answers = loaded.chat(sender(), f"donde estan mis pedidos {ON_TRACK}, LP99999999999999 y RR123456784CN")
    assert len(answers) == 3
    assert ON_TRACK in answers[0]
    assert "No encuentro ningún envío" in answers[1]
    assert "no es válido" in answers[2]


def test_small_talk_follows_the_shoppers_language(loaded: Stack) -> None:
    shopper = sender()
    assert "Hola" in loaded.chat(shopper, "hola buenas")[0]
    assert loaded.slot(shopper, "language") == "es"
    assert "Hi!" in loaded.chat(shopper, "hello there, good morning")[0]
    assert loaded.slot(shopper, "language") == "en"


def test_every_message_is_counted_for_the_dashboard(loaded: Stack) -> None:
    from parcels.conversation_records import conversation_key
    from parcels.storage.unit_of_work import SqlUnitOfWork

    shopper = sender()
    loaded.chat(shopper, "hola")
    loaded.chat(shopper, f"mi paquete {ON_TRACK}")
    today = datetime.now(UTC).date()
    with SqlUnitOfWork().begin() as repos:
        days = repos.conversation_days.days(today - timedelta(days=1), today + timedelta(days=1))
    [day] = [d for d in days if d.conversation_key == conversation_key(f"rest:{shopper}")]
    assert (day.channel, day.language, day.messages) == ("rest", "es", 2)
    assert day.first_at <= day.last_at
