"""The loopback Twilio server, driven by the real twilio library (sync Client and AsyncTwilioHttpClient)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.twilio_loopback import TwilioLoopback, running_twilio, running_webhook_sink, segments

SENDER_WA = "whatsapp:+34910000000"
SENDER_SMS = "+34910000001"
CUSTOMER = "+34600111222"
TEMPLATE = "HX" + "1" * 32
TEMPLATE_TEXT = "Hola {{1}}, tu paquete {{2}} llega el {{3}}."


@pytest.fixture
def twilio() -> Iterator[TwilioLoopback]:
    with running_twilio(templates={TEMPLATE: TEMPLATE_TEXT}) as server:
        yield server


def variables(**values: str) -> str:
    return json.dumps(values)


def test_whatsapp_template_and_sms_are_created_fetched_and_listed(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=2)
    template = client.messages.create(
        to=f"whatsapp:{CUSTOMER}",
        from_=SENDER_WA,
        content_sid=TEMPLATE,
        content_variables=json.dumps({"1": "Ana", "2": "ES123", "3": "martes"}),
    )
    sms = client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="Tu paquete ES123 llega el martes.")

    assert template.sid.startswith("SM") and len(template.sid) == 34
    assert template.status == "queued" and template.error_code is None and template.price is None
    assert template.body == "Hola Ana, tu paquete ES123 llega el martes."
    assert template.to == f"whatsapp:{CUSTOMER}" and template.from_ == SENDER_WA
    assert template.date_created is not None and template.uri.endswith(f"/Messages/{template.sid}.json")
    assert sms.num_segments == "1" and sms.direction == "outbound-api"

    fetched = client.messages(sms.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.status) == (sms.sid, sms.body, "queued")
    assert [m.sid for m in client.messages.list(to=CUSTOMER)] == [sms.sid]
    assert {m.sid for m in client.messages.list(date_sent=template.date_created)} == {sms.sid, template.sid}
    assert [m["sid"] for m in twilio.messages] == [template.sid, sms.sid]

    create = twilio.creates()[0]
    assert create.form["ContentSid"] == TEMPLATE and json.loads(create.form["ContentVariables"])["1"] == "Ana"
    assert create.headers["Authorization"].startswith("Basic ") and "twilio-python" in create.headers["User-Agent"]


def test_list_pages_through_the_real_client(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=2)
    sids = [client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body=f"n{i}").sid for i in range(5)]
    listed = client.messages.list(page_size=2)
    assert [m.sid for m in listed] == sids[::-1]  # newest first, three pages
    assert sum(1 for r in twilio.requests if r.method == "GET") == 3


def test_sdk_pointed_through_a_redirecting_http_client(twilio: TwilioLoopback) -> None:
    client = Client(twilio.account_sid, twilio.auth_token, http_client=twilio.http_client(timeout=2))
    message = client.messages.create(to=CUSTOMER, messaging_service_sid="MG" + "a" * 32, body="hola")
    assert message.status == "accepted" and message.from_ is None


def test_wrong_token_is_401(twilio: TwilioLoopback) -> None:
    client = Client(twilio.account_sid, "wrong", http_client=twilio.http_client(timeout=2))
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola")
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"to": "600111222"}, 400, 21211),
        ({"to": "whatsapp:600111222", "from_": SENDER_WA}, 400, 21211),
        ({"from_": "not a number!"}, 400, 21212),
        ({"body": None}, 400, 21602),
        ({"body": "x" * 1601}, 400, 21617),
        ({"status_callback": "ftp://example.org/x"}, 400, 21609),
    ],
)
def test_invalid_creates(twilio: TwilioLoopback, fields: dict, status: int, code: int) -> None:
    client = twilio.client(timeout=2)
    arguments = {"to": CUSTOMER, "from_": SENDER_SMS, "body": "hola", **fields}
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(**{k: v for k, v in arguments.items() if v is not None})
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.msg and twilio.messages == []


def test_opted_out_recipient_is_21610(twilio: TwilioLoopback) -> None:
    twilio.opted_out.add(CUSTOMER)
    client = twilio.client(timeout=2)
    for to, from_ in ((CUSTOMER, SENDER_SMS), (f"whatsapp:{CUSTOMER}", SENDER_WA)):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to=to, from_=from_, content_sid=TEMPLATE, content_variables=variables(**{"1": "x"}))
        assert (caught.value.status, caught.value.code) == (400, 21610)


@pytest.mark.parametrize(
    ("content_sid", "content_variables", "code"),
    [
        (TEMPLATE, json.dumps({"1": "Ana", "2": "", "3": "martes"}), 21656),
        (TEMPLATE, json.dumps({"1": "Ana", "2": "  ", "3": "martes"}), 21656),
        (TEMPLATE, "{not json", 21656),
        ("HX" + "2" * 32, json.dumps({"1": "Ana"}), 21655),  # not an approved template here
        ("HXnope", json.dumps({"1": "Ana"}), 21655),
    ],
)
def test_bad_templates(twilio: TwilioLoopback, content_sid: str, content_variables: str, code: int) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio.client(timeout=2).messages.create(
            to=f"whatsapp:{CUSTOMER}", from_=SENDER_WA, content_sid=content_sid, content_variables=content_variables
        )
    assert (caught.value.status, caught.value.code) == (400, code)


def test_whatsapp_failures_reported_later_like_twilio(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=2)
    free_text = client.messages.create(to=f"whatsapp:{CUSTOMER}", from_=SENDER_WA, body="hola")
    missing = client.messages.create(
        to=f"whatsapp:{CUSTOMER}", from_=SENDER_WA, content_sid=TEMPLATE, content_variables=variables(**{"1": "Ana"})
    )
    assert free_text.status == missing.status == "queued"  # accepted first...
    assert (client.messages(free_text.sid).fetch().error_code, client.messages(missing.sid).fetch().error_code) == (
        63016,
        63028,
    )  # ...failed afterwards

    twilio.whatsapp_sessions.add(f"whatsapp:{CUSTOMER}")  # inside the 24-hour window, free text is fine
    in_window = client.messages.create(to=f"whatsapp:{CUSTOMER}", from_=SENDER_WA, body="hola")
    assert client.messages(in_window.sid).fetch().status == "queued"


def test_rate_limit_on_demand_is_20429_then_recovers(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=2)
    twilio.fail_next(2, status=429, retry_after=1)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola")
        assert (caught.value.status, caught.value.code) == (429, 20429)
    assert twilio.messages == []
    assert client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola").status == "queued"


def test_rate_limit_per_sender(twilio: TwilioLoopback) -> None:
    twilio.rate_limit = 3
    client = twilio.client(timeout=2)
    codes = []
    for _ in range(5):
        try:
            client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola")
            codes.append(201)
        except TwilioRestException as exc:
            codes.append(exc.code)
    assert codes == [201, 201, 201, 20429, 20429]
    assert client.messages.create(to=CUSTOMER, from_=SENDER_WA.removeprefix("whatsapp:"), body="hola").sid
    assert twilio.peak_rate() >= 6 and sum(twilio.requests_per_second().values()) == 6


@pytest.mark.parametrize("status", [500, 503])
def test_accept_then_fail_leaves_a_message_to_look_up(twilio: TwilioLoopback, status: int) -> None:
    client = twilio.client(timeout=2)
    twilio.fail_next(1, status=status, accept=True)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="Tu paquete ES123 llega hoy.")
    assert caught.value.status == status
    (found,) = client.messages.list(to=CUSTOMER, date_sent_after=time.strftime("%Y-%m-%d", time.gmtime()))
    assert found.body == "Tu paquete ES123 llega hoy." and client.messages(found.sid).fetch().sid == found.sid


def test_accept_then_drop_the_connection(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=2)
    twilio.drop_next(1)
    with pytest.raises(requests.ConnectionError):
        client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola")
    assert len(client.messages.list(to=CUSTOMER)) == 1


def test_timeouts(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=0.3)
    twilio.timeout_next(1, hang=1.5, accept=True)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola")
    assert time.monotonic() - started < 1
    assert len(client.messages.list(to=CUSTOMER)) == 1  # it was sent all the same

    twilio.timeout_next(1, hang=1.5)  # refused this time: nothing created
    with pytest.raises(requests.Timeout):
        client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="otra")
    assert len(twilio.messages) == 1


def test_latency_is_added_to_every_request(twilio: TwilioLoopback) -> None:
    twilio.latency = 0.2
    client = twilio.client(timeout=2)
    started = time.monotonic()
    client.messages.list()
    assert time.monotonic() - started >= 0.2


def test_signed_status_callbacks_out_of_order(twilio: TwilioLoopback) -> None:
    client = twilio.client(timeout=2)
    with running_webhook_sink() as sink:
        message = client.messages.create(
            to=f"whatsapp:{CUSTOMER}",
            from_=SENDER_WA,
            content_sid=TEMPLATE,
            content_variables=variables(**{"1": "Ana", "2": "ES1", "3": "hoy"}),
            status_callback=sink.url,
        )
        assert twilio.send_status(message.sid, "sent").status == 200
        twilio.send_status(message.sid, "read")  # before "delivered", as happens
        twilio.send_status(message.sid, "delivered")
        twilio.send_status(message.sid, "failed", error_code=63016, bad_signature=True)

    validator = RequestValidator(twilio.auth_token)
    statuses = [(hook.params["MessageStatus"], hook.params.get("ErrorCode")) for hook in sink.received]
    assert statuses == [("sent", None), ("read", None), ("delivered", None), ("failed", "63016")]
    valid = [validator.validate(sink.url, hook.params, hook.headers["X-Twilio-Signature"]) for hook in sink.received]
    assert valid == [True, True, True, False]
    first = sink.received[0].params
    assert (first["MessageSid"], first["To"], first["ChannelPrefix"]) == (
        message.sid,
        f"whatsapp:{CUSTOMER}",
        "whatsapp",
    )
    assert client.messages(message.sid).fetch().status == "failed"  # the server keeps the last one it sent


def test_signature_over_the_public_url(twilio: TwilioLoopback) -> None:
    public = "https://parcels.example.com/twilio/status"
    client = twilio.client(timeout=2)
    with running_webhook_sink() as sink:
        message = client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola", status_callback=sink.url)
        twilio.send_status(message.sid, "delivered", signed_url=public)
    (hook,) = sink.received
    validator = RequestValidator(twilio.auth_token)
    assert validator.validate(public, hook.params, hook.headers["X-Twilio-Signature"])
    assert not validator.validate(sink.url, hook.params, hook.headers["X-Twilio-Signature"])


def test_automatic_status_progression(twilio: TwilioLoopback) -> None:
    twilio.auto_statuses = ["sent", "delivered"]
    client = twilio.client(timeout=2)
    with running_webhook_sink() as sink:
        ok = client.messages.create(to=CUSTOMER, from_=SENDER_SMS, body="hola", status_callback=sink.url)
        bad = client.messages.create(to=f"whatsapp:{CUSTOMER}", from_=SENDER_WA, body="hola", status_callback=sink.url)
        deadline = time.monotonic() + 1.5
        while len(sink.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    by_sid = {}
    for hook in sink.received:
        by_sid.setdefault(hook.params["MessageSid"], []).append(hook.params["MessageStatus"])
    assert by_sid == {ok.sid: ["sent", "delivered"], bad.sid: ["failed"]}
    fetched = client.messages(ok.sid).fetch()
    assert fetched.status == "delivered" and fetched.price and fetched.date_sent
    assert client.messages(bad.sid).fetch().error_code == 63016


async def test_async_client_create_fetch_and_errors(twilio: TwilioLoopback) -> None:
    client = twilio.async_client()
    try:
        message = await client.messages.create_async(
            to=f"whatsapp:{CUSTOMER}",
            from_=SENDER_WA,
            content_sid=TEMPLATE,
            content_variables=variables(**{"1": "Ana", "2": "ES1", "3": "hoy"}),
        )
        assert (await client.messages(message.sid).fetch_async()).body == "Hola Ana, tu paquete ES1 llega el hoy."
        twilio.fail_next(1, status=429)
        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to=CUSTOMER, from_=SENDER_SMS, body="hola")
        assert caught.value.code == 20429
        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to="12", from_=SENDER_SMS, body="hola")
        assert caught.value.code == 21211
        assert len(await client.messages.list_async()) == 1
    finally:
        await client.http_client.close()


async def test_async_client_with_retries_sends_twice_after_an_ambiguous_500(twilio: TwilioLoopback) -> None:
    """Why the outbox must deduplicate: aiohttp_retry retries the POST on 5xx, and the first one was accepted."""
    client = twilio.async_client(max_retries=2)
    try:
        twilio.fail_next(1, status=500, accept=True)
        message = await client.messages.create_async(to=CUSTOMER, from_=SENDER_SMS, body="hola")
    finally:
        await client.http_client.close()
    assert len(twilio.creates()) == 2 and len(twilio.messages) == 2
    assert message.sid == twilio.messages[1]["sid"]


async def test_async_client_timeout_must_come_from_the_caller(twilio: TwilioLoopback) -> None:
    client = Client(
        twilio.account_sid, twilio.auth_token, http_client=twilio.async_http_client(timeout=0.1)
    )  # twilio 9.x ignores this timeout in AsyncTwilioHttpClient.request
    try:
        twilio.timeout_next(1, hang=0.4, accept=True)
        started = time.monotonic()
        assert (await client.messages.create_async(to=CUSTOMER, from_=SENDER_SMS, body="hola")).sid
        assert time.monotonic() - started >= 0.4

        twilio.timeout_next(1, hang=1.5, accept=True)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.messages.create_async(to=CUSTOMER, from_=SENDER_SMS, body="hola"), 0.2)
        assert len(await client.messages.list_async(to=CUSTOMER)) == 2
    finally:
        await client.http_client.close()


def test_wrong_account_in_path_is_refused(twilio: TwilioLoopback) -> None:
    other = "AC" + "0" * 32
    response = requests.get(
        f"{twilio.base_url}/2010-04-01/Accounts/{other}/Messages.json", auth=(twilio.account_sid, twilio.auth_token)
    )
    assert response.status_code == 403 and response.json()["code"] == 20003
    missing = requests.get(
        f"{twilio.base_url}/2010-04-01/Accounts/{twilio.account_sid}/Messages/SM{'0' * 32}.json",
        auth=(twilio.account_sid, twilio.auth_token),
    )
    assert missing.status_code == 404 and set(missing.json()) == {"code", "message", "more_info", "status"}


@pytest.mark.parametrize(
    ("body", "count"),
    [("", 1), ("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("€" * 81, 2), ("🙂" * 35, 1), ("🙂" * 36, 2)],
)
def test_segments(body: str, count: int) -> None:
    assert segments(body) == count
