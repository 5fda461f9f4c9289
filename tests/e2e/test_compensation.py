"""End to end: "am I owed compensation?" and claims, in Spanish and English, over Rasa's REST
channel with the real rasa, actions and web processes; events and claims through the web APIs."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = pytest.mark.e2e

TO_CLAIM_ES = "LP00088900000001"  # STANDARD, delivered late: compensation on application
TO_CLAIM_EN = "LP00088900000002"
STILL_OUT = "LP00088900000003"  # CHOICE_9, 6 days past its deadline, no attempt known yet
ON_TIME = "LP00088900000004"
REFERENCE = re.compile(r"C-[0-9A-Z]{8}")


@pytest.fixture(scope="module")
def loaded(stack: Stack) -> Stack:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    standard = {"product": "STANDARD", "paid_at": (now - timedelta(days=40)).isoformat()}
    shipments = [
        shipment_record(TO_CLAIM_ES, order_ref="E2E-1", destination_postal_code="41004", **standard),
        shipment_record(TO_CLAIM_EN, order_ref="E2E-2", destination_postal_code="08013", **standard),
        shipment_record(STILL_OUT, order_ref="E2E-3", paid_at=(now - timedelta(days=15)).isoformat()),
        shipment_record(ON_TIME, order_ref="E2E-4", paid_at=(now - timedelta(days=15)).isoformat()),
    ]
    response = requests.post(f"{stack.web_url}/api/shipments", json=shipments, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    events = [
        event_record("c2e-1", "GTMS_SIGNED", (now - timedelta(days=3)).isoformat(), TO_CLAIM_ES),
        event_record("c2e-2", "GTMS_SIGNED", (now - timedelta(days=3)).isoformat(), TO_CLAIM_EN),
        event_record("c2e-3", "EMA", (now - timedelta(days=14)).isoformat(), STILL_OUT),
        event_record("c2e-4", "EDD", (now - timedelta(days=8)).isoformat(), STILL_OUT, location="Madrid, ES"),
        event_record("c2e-6", "GTMS_SIGNED", (now - timedelta(days=9)).isoformat(), ON_TIME),
    ]
    response = requests.post(f"{stack.web_url}/api/tracking/events", json=events, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return stack


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_a_late_arriving_event_changes_the_answer(loaded: Stack) -> None:
    shopper = sender()
    [before] = loaded.chat(shopper, f"mi paquete {STILL_OUT} llega tarde, me corresponde alguna compensación?")
    assert "Promesa incumplida" in before and "aún no ha llegado" in before
    assert "Te corresponde" in before

    # The carrier's report of a delivery attempt made before the deadline arrives only now.
    attempt = event_record(
        "c2e-5", "GTMS_DELIVERY_FAILED", (datetime.now(UTC) - timedelta(days=7)).isoformat(), STILL_OUT
    )
    response = requests.post(
        f"{loaded.web_url}/api/tracking/events", json=[attempt], headers={"X-Api-Key": loaded.api_key}, timeout=30
    )
    assert response.status_code == 200, response.text

    [after] = loaded.chat(shopper, "¿y ahora me corresponde algo?")
    assert "Promesa cumplida" in after and "intentamos entregarlo" in after
    assert "Te corresponde" not in after


def test_a_spanish_shopper_claims_once(loaded: Stack) -> None:
    shopper = sender()
    [explained] = loaded.chat(shopper, f"hola, ¿me corresponde alguna compensación por {TO_CLAIM_ES}?")
    assert "Promesa incumplida" in explained and "dime «quiero reclamarla»" in explained
    [ask] = loaded.chat(shopper, "quiero reclamarla")
    assert "código postal" in ask
    wrong, ask_again = loaded.chat(shopper, "28013")
    assert "no coincide" in wrong and "código postal" in ask_again
    [confirm] = loaded.chat(shopper, "es el 41004")
    assert "¿Lo confirmas?" in confirm and TO_CLAIM_ES in confirm
    [done] = loaded.chat(shopper, "sí")
    assert "Tu reclamación" in done
    reference = REFERENCE.search(done).group(0)  # type: ignore[union-attr]

    [again] = loaded.chat(shopper, "quiero reclamar la compensación")
    assert reference in again and "pendiente de revisión" in again

    claims = requests.get(
        f"{loaded.web_url}/api/claims",
        params={"status": "requested"},
        headers={"X-Api-Key": loaded.api_key},
        timeout=30,
    ).json()["claims"]
    assert [c["reference"] for c in claims if c["tracking_number"] == TO_CLAIM_ES] == [reference]


def test_an_english_shopper_claims_or_changes_their_mind(loaded: Stack) -> None:
    shopper = sender()
    [explained] = loaded.chat(shopper, f"my parcel {TO_CLAIM_EN} is late, do I get anything?")
    assert "Promise broken" in explained and "You are owed" in explained
    [ask] = loaded.chat(shopper, "I want to claim it")
    assert "postal code" in ask
    [stopped] = loaded.chat(shopper, "no, cancel")
    assert "I haven't filed any claim" in stopped

    assert "postal code" in loaded.chat(shopper, "actually yes, I'd like to claim the compensation")[0]
    assert "Shall I go ahead?" in loaded.chat(shopper, "08013")[0]
    [done] = loaded.chat(shopper, "yes please")
    assert "Your claim C-" in done and "We will review it" in done


def test_nothing_to_claim_is_explained(loaded: Stack) -> None:
    shopper = sender()
    loaded.chat(shopper, f"where is {ON_TIME}?")
    answers = loaded.chat(shopper, "I want to claim compensation")
    assert any("Promise kept" in answer for answer in answers)
    assert loaded.slot(shopper, "claim_ready") is False
