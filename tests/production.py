"""The production profile for tests: Redis, HAProxy (config/production/haproxy.cfg) and two of every process
(rasa, actions, web, notifier), on PostgreSQL, with the loopback Twilio. Started once per test session."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.processes import MODEL, ROOT, Processes, free_port, fresh_conversations
from tests.twilio_loopback import TwilioLoopback, running_twilio

PAIRS = ("rasa", "actions", "web", "notifier")


@dataclass(frozen=True)
class Production:
    entry_url: str  # the one public entry point (HAProxy)
    rasa_urls: tuple[str, str]  # each Rasa server directly
    web_urls: tuple[str, str]
    token: str  # RASA_TOKEN
    api_key: str
    rest_token: str
    redis_port: int
    processes: Processes
    twilio: TwilioLoopback

    def chat(self, sender: str, text: str, base: str | None = None, timeout: float = 60) -> requests.Response:
        """One REST turn, through the entry point unless ``base`` names a server."""
        return requests.post(
            f"{base or self.entry_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={"Authorization": f"Bearer {self.rest_token}"},
            timeout=timeout,
        )

    def tracker(self, conversation: str) -> dict:
        """The conversation, from whichever Rasa server answers (both read the same tracker store)."""
        for base in self.rasa_urls:
            try:
                response = requests.get(
                    f"{base}/conversations/{conversation}/tracker", params={"token": self.token}, timeout=30
                )
            except requests.ConnectionError:
                continue
            response.raise_for_status()
            return dict(response.json())
        raise RuntimeError("no Rasa server answers")


def available() -> str | None:
    """Why the production profile cannot run here (None: it can)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return "the production profile runs on PostgreSQL: set TEST_DATABASE_URL (make test does)"
    if not os.environ.get("TEST_TRACKER_STORE_URL", "").startswith("postgres"):
        return "set TEST_TRACKER_STORE_URL to a PostgreSQL database (make test does)"
    missing = [name for name in ("redis-server", "haproxy") if shutil.which(name) is None]
    return f"not installed: {', '.join(missing)} (scripts/system-deps.sh)" if missing else None


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def running_production(logs: Path) -> Iterator[Production]:
    if not MODEL.exists():
        raise RuntimeError("no trained model: run scripts/train.sh (make train) first")
    logs.mkdir(parents=True, exist_ok=True)
    with running_twilio(auth_token=secrets.token_hex(16)) as twilio:
        yield from _running(logs, twilio)


def _running(logs: Path, twilio: TwilioLoopback) -> Iterator[Production]:
    ports = {name: free_port() for name in ("entry", "rasa_api", "actions_api", "redis")}
    ports.update({f"{name}{n}": free_port() for name in PAIRS for n in (1, 2)})
    token, api_key, rest_token = secrets.token_hex(8), secrets.token_hex(8), secrets.token_hex(8)
    entry = f"http://127.0.0.1:{ports['entry']}"
    endpoints = logs / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{ports["actions_api"]}/webhook"\n'
        "tracker_store:\n  type: bot.stores.ConversationStore\n"
        "lock_store:\n  type: bot.stores.ConversationLockStore\n"
    )
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": os.environ["TEST_DATABASE_URL"],
        "TRACKER_STORE_URL": fresh_conversations(logs),
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "RASA_URL": f"http://127.0.0.1:{ports['rasa_api']}",
        "RASA_PUBLIC_URL": entry,
        "RASA_TOKEN": token,
        "REST_CHANNEL_TOKEN": rest_token,
        "TRACKING_API_KEY": api_key,
        "BACK_OFFICE_API_KEY": api_key,
        "CONSOLE_SECRET_KEY": token,
        "CONSOLE_COOKIE_SECURE": "off",
        "TRUSTED_PROXIES": "127.0.0.1",
        "CHAT_SESSION_SECRET": secrets.token_hex(16),
        "CHANNEL_IDENTITY_SECRET": secrets.token_hex(16),
        "OPT_OUT_HOOK_URL": f"{entry}/api/consent",
        "OPT_OUT_HOOK_SECRET": token,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
        "TWILIO_SMS_FROM": "+34911000000",
        "TWILIO_API_URL": twilio.base_url,
        "TWILIO_WEBHOOK_URL": f"{entry}/webhooks/whatsapp/webhook",
        "TWILIO_STATUS_CALLBACK_URL": f"{entry}/twilio/status",
        "QUIET_HOURS": "off",
        "ENTRY_PORT": str(ports["entry"]),
        "RASA_API_PORT": str(ports["rasa_api"]),
        "ACTIONS_API_PORT": str(ports["actions_api"]),
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items() if name[-1] in "12"},
    }
    python, rasa = str(ROOT / ".venv/bin/python"), str(ROOT / ".venv-rasa/bin/rasa")
    commands = {
        "redis": [
            "redis-server",
            "--port",
            str(ports["redis"]),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        "entry": ["haproxy", "-db", "-f", str(ROOT / "config/production/haproxy.cfg")],
    }
    checks = {"redis": "", "entry": f"{entry}/healthz"}
    for n in (1, 2):
        commands[f"rasa{n}"] = [
            rasa, "run", "--model", str(MODEL), "--enable-api", "--auth-token", token, "--port",
            str(ports[f"rasa{n}"]), "--credentials", str(ROOT / "credentials.yml"), "--endpoints", str(endpoints),
        ]  # fmt: skip
        commands[f"actions{n}"] = [python, "-m", "actions", "--port", str(ports[f"actions{n}"])]
        commands[f"web{n}"] = [python, "-m", "web", "--host", "127.0.0.1", "--port", str(ports[f"web{n}"])]
        commands[f"notifier{n}"] = [python, "-m", "notifications", "run", "--health-port", str(ports[f"notifier{n}"])]
        checks[f"rasa{n}"] = f"http://127.0.0.1:{ports[f'rasa{n}']}/"
        checks[f"actions{n}"] = f"http://127.0.0.1:{ports[f'actions{n}']}/health"
        checks[f"web{n}"] = f"http://127.0.0.1:{ports[f'web{n}']}/healthz"
        checks[f"notifier{n}"] = f"http://127.0.0.1:{ports[f'notifier{n}']}/health"
    for name in commands:
        (logs / f"{name}.log").unlink(missing_ok=True)
    processes = Processes(commands, checks, env, logs)
    try:
        for name in commands:
            processes.start(name)
        for name, url in checks.items():
            if url:
                processes.wait_healthy(name)
        _wait_for(f"{entry}/webhooks/rest/", 60)  # HAProxy has seen a Rasa server healthy
        yield Production(
            entry_url=entry,
            rasa_urls=(checks["rasa1"].rstrip("/"), checks["rasa2"].rstrip("/")),
            web_urls=(checks["web1"].removesuffix("/healthz"), checks["web2"].removesuffix("/healthz")),
            token=token,
            api_key=api_key,
            rest_token=rest_token,
            redis_port=ports["redis"],
            processes=processes,
            twilio=twilio,
        )
    finally:
        processes.stop_all()
