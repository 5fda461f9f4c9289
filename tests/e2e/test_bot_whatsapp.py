"""End to end: the WhatsApp/SMS connector (bot/whatsapp.py) inside a real Rasa server, called the way
Twilio calls it: form-encoded, signed with X-Twilio-Signature for the public URL set in Twilio's
console (not the local URL the request really reaches, as behind a proxy)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.opt_out import load as load_keywords
from tests.processes import MODEL, ROOT, _wait, free_port

pytestmark = pytest.mark.e2e

AUTH_TOKEN = "test-auth-token-" + uuid.uuid4().hex
PUBLIC_URL = "https://bot.example.test/webhooks/whatsapp/webhook"
HOOK_SECRET = "hook-secret-" + uuid.uuid4().hex


@dataclass
class Hook:
    """The app's consent endpoint, stood in for by a tiny HTTP server."""

    url: str
    received: list[tuple[dict, dict]] = field(default_factory=list)


@dataclass(frozen=True)
class Bot:
    url: str
    token: str
    hook: Hook

    def post(
        self,
        params: dict[str, str],
        signature: str | None = "sign",
        sign_url: str = PUBLIC_URL,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = dict(headers or {})
        if signature == "sign":
            signature = RequestValidator(AUTH_TOKEN).compute_signature(sign_url, params)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return requests.post(f"{self.url}/webhooks/whatsapp/webhook", data=params, headers=headers, timeout=60)

    def user_texts(self, sender: str) -> list[str]:
        # Rasa (Sanic) does not percent-decode path parameters: ":" and "+" must stay as they are.
        response = requests.get(
            f"{self.url}/conversations/{quote(sender, safe=':+')}/tracker", params={"token": self.token}, timeout=30
        )
        response.raise_for_status()
        return [e.get("text") for e in response.json()["events"] if e["event"] == "user"]


def message(text: str, sender: str | None = None) -> dict[str, str]:
    sender = sender or f"whatsapp:+3461{uuid.uuid4().int % 10**7:07d}"
    sid = "SM" + uuid.uuid4().hex
    return {
        "From": sender,
        "To": "whatsapp:+34910000000" if sender.startswith("whatsapp:") else "+34910000000",
        "Body": text,
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "NumMedia": "0",
    }


def replies(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return [m.text or "" for m in root.iter("Message")]


@pytest.fixture(scope="module")
def hook() -> Iterator[Hook]:
    received: list[tuple[dict, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Hook(f"http://127.0.0.1:{server.server_port}/api/consent", received)
    server.shutdown()


@pytest.fixture(scope="module")
def bot(hook: Hook, artifacts: Path) -> Iterator[Bot]:
    """A Rasa server with only the connector, configured through a credentials file; no action server
    (the custom slot mappings then log a warning; small talk does not need them)."""
    if not MODEL.exists():
        pytest.skip("no trained model: run scripts/train.sh (make train) first")
    logs = artifacts / "logs" / "whatsapp"
    logs.mkdir(parents=True, exist_ok=True)
    credentials = logs / "credentials.yml"
    credentials.write_text(
        "bot.whatsapp.TwilioWhatsAppInput:\n"
        f'  auth_token: "{AUTH_TOKEN}"\n'
        f'  public_url: "{PUBLIC_URL}"\n'
        f'  opt_out_hook_url: "{hook.url}"\n'
        f'  opt_out_hook_secret: "{HOOK_SECRET}"\n'
    )
    endpoints = logs / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{free_port()}/webhook"\n')
    port, token = free_port(), uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "OPT_OUT_"))}
    env.update({"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)})
    command = [
        str(ROOT / ".venv-rasa/bin/rasa"),
        "run",
        "--model",
        str(MODEL),
        "--enable-api",
        "--auth-token",
        token,
        "--port",
        str(port),
        "--credentials",
        str(credentials),
        "--endpoints",
        str(endpoints),
    ]
    log = logs / "rasa.log"
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    try:
        _wait(f"http://127.0.0.1:{port}/status?token={token}", process, log, timeout=240)
        yield Bot(f"http://127.0.0.1:{port}", token, hook)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_signed_message_is_answered_by_the_assistant_in_twiml(bot: Bot) -> None:
    params = message("hola")
    [answer] = replies(bot.post(params))
    assert answer.startswith("¡Hola!")
    assert bot.user_texts(params["From"]) == ["hola"]


def test_an_sms_is_answered_too(bot: Bot) -> None:
    params = message("hola buenas", sender="+34612000777")
    [answer] = replies(bot.post(params))
    assert "Hola" in answer


@pytest.mark.parametrize(
    "how",
    [
        {"signature": None},
        {"signature": "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="},
        {"sign_url": "http://127.0.0.1/webhooks/whatsapp/webhook"},
        {"sign_url": "https://evil.example.test/webhooks/whatsapp/webhook"},
    ],
    ids=["unsigned", "forged", "local-url", "other-host"],
)
def test_requests_not_signed_by_twilio_for_the_public_url_are_refused(bot: Bot, how: dict) -> None:
    params = message("hola")
    response = bot.post(params, **how)
    assert response.status_code == 403
    assert bot.user_texts(params["From"]) == []


def test_a_changed_body_breaks_the_signature(bot: Bot) -> None:
    params = message("hola")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL, params)
    response = bot.post({**params, "Body": "BAJA"}, signature=signature)
    assert response.status_code == 403
    assert all(r["message_sid"] != params["MessageSid"] for _, r in bot.hook.received)


def test_a_retried_delivery_is_not_processed_twice(bot: Bot) -> None:
    params = message("hola")
    token = {"I-Twilio-Idempotency-Token": uuid.uuid4().hex}
    first = replies(bot.post(params, headers=token))
    again = replies(bot.post(params, headers=token))
    # Same MessageSid under another token (a redelivery): not processed either.
    other = replies(bot.post(params, headers={"I-Twilio-Idempotency-Token": uuid.uuid4().hex}))
    assert first and again == first and other == first
    assert bot.user_texts(params["From"]) == ["hola"]


def test_baja_opts_out_in_spanish_without_the_assistant(bot: Bot) -> None:
    params = message("¡Baja!")
    [answer] = replies(bot.post(params))
    assert "no te enviaremos más avisos" in answer and "ningún canal" in answer
    assert bot.user_texts(params["From"]) == []
    headers, record = next((h, r) for h, r in bot.hook.received if r["message_sid"] == params["MessageSid"])
    assert headers["X-Hook-Secret"] == HOOK_SECRET
    assert record["phone"] == params["From"].removeprefix("whatsapp:")
    assert (record["channel"], record["action"], record["text"]) == ("whatsapp", "opt_out", "¡Baja!")
    assert record["at"].endswith("+00:00")


def test_stop_by_sms_opts_out_in_english(bot: Bot) -> None:
    params = message("STOP", sender="+34612000888")
    [answer] = replies(bot.post(params))
    assert "we won't send you any more parcel updates" in answer
    assert bot.user_texts(params["From"]) == []
    [record] = [r for _, r in bot.hook.received if r["message_sid"] == params["MessageSid"]]
    assert (record["phone"], record["channel"], record["action"]) == ("+34612000888", "sms", "opt_out")


def test_alta_opts_back_in(bot: Bot) -> None:
    params = message("alta")
    [answer] = replies(bot.post(params))
    assert "volverás a recibir" in answer
    assert bot.user_texts(params["From"]) == []
    [record] = [r for _, r in bot.hook.received if r["message_sid"] == params["MessageSid"]]
    assert record["action"] == "opt_in"


def test_a_question_about_unsubscribing_goes_to_the_assistant(bot: Bot) -> None:
    params = message("¿cómo me doy de baja?")
    replies(bot.post(params))
    assert bot.user_texts(params["From"]) == ["¿cómo me doy de baja?"]


# Without a Rasa server. bot/opt_out.py needs only PyYAML, so it is checked here in the app env.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BAJA", ("opt_out", "es")),
        ("  ¡Baja! ", ("opt_out", "es")),
        ("Cancelar suscripción", ("opt_out", "es")),
        ("stop.", ("opt_out", "en")),
        ("Stop All", ("opt_out", "en")),
        ("UNSUBSCRIBE 🙏", ("opt_out", "en")),
        ("Alta envíos", ("opt_in", "es")),
        ("START", ("opt_in", "en")),
        ("yes", None),
        ("sí", None),
        ("no", None),
        ("stop sending me this", None),
        ("¿cómo me doy de baja?", None),
        ("", None),
    ],
)
def test_only_a_whole_keyword_is_an_opt_out_or_opt_in(text: str, expected: tuple[str, str] | None) -> None:
    match = load_keywords().match(text)
    assert (match and (match.action, match.language)) == expected


RASA_ENV_SCRIPT = """
import asyncio, json, os
from types import SimpleNamespace
import bot.whatsapp as w

async def main():
    channel = w.TwilioWhatsAppInput.from_credentials(None)
    receive = next(r.handler for r in channel.blueprint(None)._future_routes if r.uri == "/webhook")
    refused = await receive(SimpleNamespace(headers={}, form={}, query_string=""))
    now = [0.0]
    recent = w.RecentDeliveries(ttl=60, max_size=2, clock=lambda: now[0])
    first = recent.first_or_repeat(["token:a", "sid:1"])[0]
    repeat = recent.first_or_repeat(["token:b", "sid:1"])[0]
    now[0] = 61.0
    expired = recent.first_or_repeat(["sid:1"])[0]
    return {
        "configured": channel.configured,
        "status": refused.status,
        "pieces": [len(p) for p in w.split_body(("palabra " * 450).strip(), 1600)],
        "twiml": w.twiml_of([{"text": "a < b & c"}, {"media": "https://x.test/y.png"}]),
        "dedupe": [first, repeat, expired],
    }

print(json.dumps(asyncio.run(main())))
"""


def test_in_the_rasa_env_unconfigured_refuses_and_replies_are_cut_and_escaped() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "OPT_OUT_"))}
    env.update({"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"})
    result = subprocess.run(
        [str(ROOT / ".venv-rasa/bin/python"), "-c", RASA_ENV_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert (out["configured"], out["status"]) == (False, 503)
    assert "every request to /webhooks/whatsapp/webhook will be refused with 503" in result.stderr
    # 3,599 characters cut at spaces (the two spaces at the cuts dropped), none over 1,600.
    assert out["pieces"] == [1599, 1599, 399]
    assert "<Message>a &lt; b &amp; c</Message>" in out["twiml"]
    assert "<Media>https://x.test/y.png</Media>" in out["twiml"]
    assert out["dedupe"] == [False, True, False]
