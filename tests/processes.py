"""Start the product's real processes (rasa, actions, web) for end-to-end tests."""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import text

from parcels.storage.db import make_engine
from tests.twilio_loopback import TwilioLoopback, running_twilio

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
# The WhatsApp connector's memory of deliveries, short here so that a test can reach past it (a replay).
DEDUPE_SECONDS = 4


# Below the kernel's ephemeral range (32768 and up here): a port the kernel hands out for an outgoing
# connection can be taken between the choice and the server's bind, as happened under load.
PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing is bound to, outside the ephemeral range, never the same one twice in a session."""
    for port in random.sample(PORTS, 200):
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port between {PORTS.start} and {PORTS.stop}")


@dataclass(frozen=True)
class Stack:
    rasa_url: str
    actions_url: str
    web_url: str
    token: str
    api_key: str
    endpoints_file: Path
    twilio_auth_token: str  # the stack's Twilio settings: signed webhooks and status callbacks work
    whatsapp_url: str  # the public URL Twilio signs incoming messages for
    twilio: TwilioLoopback  # where the stack's messages outside a webhook's answer go
    rest_token: str  # the REST channel's token (REST_CHANNEL_TOKEN)
    secrets: dict[str, str]  # CHAT_SESSION_SECRET and CHANNEL_IDENTITY_SECRET, shared by the processes
    processes: Processes  # rasa, actions, web: their pids, and a way to kill and restart one
    tracker_store_url: str  # where rasa keeps the conversations (TRACKER_STORE_URL)

    @property
    def pids(self) -> dict[str, int]:
        return self.processes.pids

    @property
    def status_callback_url(self) -> str:
        return f"{self.web_url}/twilio/status"

    def whatsapp(self, sender: str, text: str, media: tuple[str, ...] = ()) -> requests.Response:
        """An incoming WhatsApp (or SMS) message, every field as Twilio sends it and signed, to the stack's Rasa."""
        return self.post_twilio(self.twilio.incoming(sender, text, media=media))

    def post_twilio(self, params: dict[str, str], signature: str | None = None) -> requests.Response:
        """A webhook request as Twilio makes it: ``params`` signed for the public URL (or ``signature``)."""
        signature = signature or self.twilio.signature(self.whatsapp_url, params)
        return requests.post(
            f"{self.rasa_url}/webhooks/whatsapp/webhook",
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=60,
        )

    def rest(self, body: object, token: str | None = None) -> requests.Response:
        """A raw request to the REST channel, with the stack's token unless another is given."""
        headers = {"Authorization": f"Bearer {self.rest_token if token is None else token}"}
        return requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, headers=headers, timeout=60)

    def chat(self, sender: str, text: str, metadata: dict | None = None) -> list[str]:
        """One turn over Rasa's REST channel (conversation ``rest:<sender>``): the texts the assistant answered."""
        response = self.rest({"sender": sender, "message": text, "metadata": metadata or {}})
        response.raise_for_status()
        return [m["text"] for m in response.json() if "text" in m]

    def tracker(self, conversation: str) -> dict:
        # Rasa (Sanic) does not percent-decode path parameters: ":" and "+" stay as they are.
        response = requests.get(
            f"{self.rasa_url}/conversations/{conversation}/tracker", params={"token": self.token}, timeout=30
        )
        response.raise_for_status()
        return dict(response.json())

    def slot(self, sender: str, name: str) -> object:
        """A slot of the REST conversation of ``sender``."""
        response = requests.get(
            f"{self.rasa_url}/conversations/rest:{sender}/tracker", params={"token": self.token}, timeout=30
        )
        response.raise_for_status()
        return response.json()["slots"].get(name)


def fresh_conversations(logs: Path) -> str:
    """The tracker store of a test run, emptied: ``TEST_TRACKER_STORE_URL`` (PostgreSQL), else a SQLite file."""
    url = os.environ.get("TEST_TRACKER_STORE_URL")
    if not url:
        (logs / "conversations.db").unlink(missing_ok=True)
        return f"sqlite:///{logs / 'conversations.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS events"))
    engine.dispose()
    return url


def rss_mib(pid: int) -> float:
    """A process's resident memory, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for process {pid}")


class Processes:
    """The stack's processes, started from their commands, each with its health check."""

    def __init__(self, commands: dict[str, list[str]], checks: dict[str, str], env: dict[str, str], logs: Path) -> None:
        self.commands, self.checks, self.env, self.logs = commands, checks, env, logs
        self.running: dict[str, subprocess.Popen] = {}

    @property
    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.running.items()}

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("a")
        self.running[name] = subprocess.Popen(
            self.commands[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def wait_healthy(self, name: str) -> None:
        _wait(
            self.checks[name],
            self.running[name],
            self.logs / f"{name}.log",
            timeout=240 if name.startswith("rasa") else 60,
        )

    def kill(self, name: str) -> None:
        """``kill -9``: nothing is flushed or closed."""
        self.running[name].kill()
        self.running[name].wait(timeout=20)

    def restart(self, name: str) -> None:
        """Kill the process (-9) and start it again; returns when it is healthy."""
        self.kill(name)
        self.start(name)
        self.wait_healthy(name)

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s; see {log}")


@contextmanager
def running_stack(logs: Path) -> Iterator[Stack]:
    """rasa + actions + web on free ports, sharing the tests' DATABASE_URL, and the loopback Twilio they
    send to; stopped on exit."""
    with running_twilio(auth_token=secrets.token_hex(16)) as twilio:
        yield from _running_stack(logs, twilio)


def _running_stack(logs: Path, twilio: TwilioLoopback) -> Iterator[Stack]:
    if not MODEL.exists():
        raise RuntimeError("no trained model: run scripts/train.sh (make train) first")
    logs.mkdir(parents=True, exist_ok=True)
    rasa_port, actions_port, web_port = free_port(), free_port(), free_port()
    token, api_key, twilio_token = secrets.token_hex(8), secrets.token_hex(8), twilio.auth_token
    rest_token = secrets.token_hex(8)
    shared = {"CHAT_SESSION_SECRET": secrets.token_hex(16), "CHANNEL_IDENTITY_SECRET": secrets.token_hex(16)}
    whatsapp_url = "https://bot.example.test/webhooks/whatsapp/webhook"
    endpoints = logs / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "tracker_store:\n  type: bot.stores.ConversationStore\n"
        "lock_store:\n  type: bot.stores.ConversationLockStore\n"
    )
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
        "TRACKING_API_KEY": api_key,
        "BACK_OFFICE_API_KEY": api_key,
        "CONSOLE_SECRET_KEY": token,
        "TWILIO_AUTH_TOKEN": twilio_token,
        "TWILIO_WEBHOOK_URL": whatsapp_url,
        "TWILIO_STATUS_CALLBACK_URL": f"http://127.0.0.1:{web_port}/twilio/status",
        "OPT_OUT_HOOK_URL": f"http://127.0.0.1:{web_port}/api/consent",
        "OPT_OUT_HOOK_SECRET": token,
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
        "TWILIO_SMS_FROM": "+34911000000",
        "TWILIO_API_URL": twilio.base_url,
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_TOKEN": token,
        "REST_CHANNEL_TOKEN": rest_token,
        "TRACKER_STORE_URL": fresh_conversations(logs),
        "TWILIO_DEDUPE_SECONDS": str(DEDUPE_SECONDS),
        **shared,
    }
    commands = {
        "actions": [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "actions",
            "--port",
            str(actions_port),
        ],
        "web": [str(ROOT / ".venv/bin/python"), "-m", "web", "--host", "127.0.0.1", "--port", str(web_port)],
        "rasa": [
            str(ROOT / ".venv-rasa/bin/rasa"),
            "run",
            "--model",
            str(MODEL),
            "--enable-api",
            "--auth-token",
            token,
            "--cors",
            "*",
            "--port",
            str(rasa_port),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--endpoints",
            str(endpoints),
        ],
    }
    checks = {
        "actions": f"http://127.0.0.1:{actions_port}/health",
        "web": f"http://127.0.0.1:{web_port}/healthz",
        "rasa": f"http://127.0.0.1:{rasa_port}/status?token={token}",
    }
    for name in commands:
        (logs / f"{name}.log").unlink(missing_ok=True)
    processes = Processes(commands, checks, env, logs)
    try:
        for name in commands:
            processes.start(name)
        for name in checks:
            processes.wait_healthy(name)
        yield Stack(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            actions_url=f"http://127.0.0.1:{actions_port}",
            web_url=f"http://127.0.0.1:{web_port}",
            token=token,
            api_key=api_key,
            endpoints_file=endpoints,
            twilio_auth_token=twilio_token,
            whatsapp_url=whatsapp_url,
            twilio=twilio,
            rest_token=rest_token,
            secrets=shared,
            processes=processes,
            tracker_store_url=env["TRACKER_STORE_URL"],
        )
    finally:
        processes.stop_all()
