"""Class 3: Twilio's parameters as Twilio sent them. Real deliveries with empty fields (media without a caption,
an SMS from Spain) are accepted and answered; a captured request re-shaped so that it keeps its signature
is refused; a delivery is processed once, even replayed after the connector's memory of deliveries; status
callbacks with empty fields are accepted."""

from __future__ import annotations

import time

import pytest
import requests

from tests.processes import DEDUPE_SECONDS, Stack

pytestmark = pytest.mark.e2e

NUMBER = "LP00077700000002"


def user_messages(stack: Stack, conversation: str) -> list[dict]:
    return [e for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


def fold(params: dict[str, str], name: str) -> dict[str, str]:
    """``params`` with ``name`` folded into the value before it (in Twilio's sorted order): the string Twilio
    signs (names and values joined) is the same, so the signature still holds."""
    keys = sorted(params)
    assert keys.index(name) > 0, "the first parameter has nothing before it"
    before = keys[keys.index(name) - 1]
    reshaped = {key: value for key, value in params.items() if key != name}
    reshaped[before] = params[before] + name + params[name]
    return reshaped


def test_media_without_a_caption_is_answered_that_only_text_is_read(stack: Stack) -> None:
    params = stack.twilio.incoming("whatsapp:+34612000301", "", media=["image/jpeg"])
    assert params["Body"] == "" and params["MessageSid"].startswith("MM")
    response = stack.post_twilio(params)
    assert response.status_code == 200, response.text
    assert "solo puedo leer texto" in response.text


def test_a_caption_is_read_as_the_message(stack: Stack, db) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import shipment_record

    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(NUMBER, order_ref="MEDIA-1")
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    response = stack.whatsapp("whatsapp:+34612000302", f"¿dónde está {NUMBER}?", media=("image/jpeg",))
    assert response.status_code == 200 and NUMBER in response.text


def test_an_sms_from_spain_with_empty_fields_is_answered(stack: Stack) -> None:
    params = stack.twilio.incoming("+34612000303", "hola buenas")
    assert params["FromCity"] == "" and params["FromZip"] == "" and params["FromState"] == ""
    response = stack.post_twilio(params)
    assert response.status_code == 200, response.text
    assert "Hola" in response.text


FOLDED = ["MessageSid", "SmsMessageSid", "SmsSid", "From", "To", "NumMedia", "Body", "ApiVersion", "NumSegments"]


@pytest.mark.parametrize("folded", FOLDED)
def test_a_reshaped_request_keeps_its_signature_but_is_refused(stack: Stack, folded: str) -> None:
    shopper = f"whatsapp:+346120004{FOLDED.index(folded):02d}"
    original = stack.twilio.incoming(shopper, "hola buenas")
    signature = stack.twilio.signature(stack.whatsapp_url, original)
    assert stack.post_twilio(original, signature).status_code == 200
    reshaped = fold(original, folded)
    assert stack.twilio.signature(stack.whatsapp_url, reshaped) == signature  # the attack is real
    response = stack.post_twilio(reshaped, signature)
    assert response.status_code == 400, response.text
    assert len(user_messages(stack, shopper)) == 1


def test_a_delivery_is_processed_once_even_replayed_later(stack: Stack) -> None:
    shopper = "whatsapp:+34612000305"
    params = stack.twilio.incoming(shopper, "hola buenas")
    first = stack.post_twilio(params)
    again = stack.post_twilio(params)  # Twilio's retry: the first answer, not a second turn
    assert first.text == again.text
    time.sleep(DEDUPE_SECONDS + 1)  # past the connector's memory of deliveries
    replayed = stack.post_twilio(params)
    assert replayed.status_code == 200
    assert len(user_messages(stack, shopper)) == 1


def test_a_request_with_a_repeated_or_foreign_field_is_refused(stack: Stack) -> None:
    params = stack.twilio.incoming("whatsapp:+34612000306", "hola")
    signature = stack.twilio.signature(stack.whatsapp_url, params)
    body = requests.models.RequestEncodingMixin._encode_params(params) + "&Body=otra"  # type: ignore[attr-defined]
    response = requests.post(
        f"{stack.rasa_url}/webhooks/whatsapp/webhook",
        data=body,
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert response.status_code == 400
    foreign = {**params, "AccountSid": "AC" + "f" * 32}
    assert stack.post_twilio(foreign).status_code == 400
    assert stack.post_twilio({**params, "From": "whatsapp:612000306"}).status_code == 400


def test_a_status_callback_with_empty_fields_is_accepted(stack: Stack) -> None:
    client = stack.twilio.client()
    sent = client.messages.create(to="+34612000307", from_="+34911000000", body="hola")
    callback = stack.twilio.send_status(sent.sid, "delivered", url=stack.status_callback_url)
    assert "" in callback.params.values()  # blank values are signed like the others
    assert callback.status == 204
