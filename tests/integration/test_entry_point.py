"""The production entry point (config/production/haproxy.cfg) in front of servers that answer requests but fail
their health checks, as every server of a pair can under a burst: the entry point fails open and still
delivers; only servers that are really gone get a caller a 503, and at once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.processes import ROOT, free_port

CHECKS = ("/", "/healthz", "/health")  # what the entry point asks Rasa, web and the action servers
SERVERS = ("RASA1", "RASA2", "WEB1", "WEB2", "ACTIONS1", "ACTIONS2")

pytestmark = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy: scripts/system-deps.sh")


class BusyServer(BaseHTTPRequestHandler):
    """Fails every health check, answers every other request with its own name."""

    def do_GET(self) -> None:
        self._answer(503 if self.path in CHECKS else 200)

    def do_POST(self) -> None:
        self._answer(200)

    def _answer(self, status: int) -> None:
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The entry point's checks hang up without reading the answer: not an error here."""


@pytest.fixture
def busy_servers() -> Iterator[dict[str, ThreadingHTTPServer]]:
    servers = {}
    for name in SERVERS:
        server = QuietServer(("127.0.0.1", free_port()), BusyServer)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _all_down(log: Path) -> int:
    text = log.read_text()
    return text.count("Running on backup") + len(re.findall(r"^backend \S+ has no server available!$", text, re.M))


def test_servers_that_fail_their_checks_still_get_the_requests_and_gone_ones_a_quick_503(
    busy_servers: dict[str, ThreadingHTTPServer], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ports = {"ENTRY": free_port(), "RASA_API": free_port(), "ACTIONS_API": free_port()}
    env = {**os.environ, **{f"{name}_PORT": str(port) for name, port in ports.items()}}
    env |= {f"{name}_PORT": str(server.server_address[1]) for name, server in busy_servers.items()}
    log = (tmp_path / "entry.log").open("w+")
    entry = subprocess.Popen(
        ["haproxy", "-db", "-f", str(ROOT / "config/production/haproxy.cfg")], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while _all_down(tmp_path / "entry.log") < 4:  # every server of all four backends failed its checks
            assert entry.poll() is None and time.monotonic() < deadline, (tmp_path / "entry.log").read_text()
            time.sleep(0.2)
        public, rasa_api, actions_api = (f"http://127.0.0.1:{ports[n]}" for n in ("ENTRY", "RASA_API", "ACTIONS_API"))
        asked = {
            "web": requests.get(f"{public}/console/login", timeout=10),
            "rasa_public": requests.post(f"{public}/webhooks/rest/webhook", json={}, timeout=10),
            "rasa": requests.get(f"{rasa_api}/conversations/x/tracker", timeout=10),
            "actions": requests.post(f"{actions_api}/webhook", json={}, timeout=10),
        }
        assert {backend: answer.status_code for backend, answer in asked.items()} == dict.fromkeys(asked, 200)
        assert asked["web"].text.startswith("WEB") and asked["rasa_public"].text.startswith("RASA")
        assert asked["rasa"].text.startswith("RASA") and asked["actions"].text.startswith("ACTIONS")

        for server in busy_servers.values():  # now they are gone: refused, retried, then refused for good
            server.shutdown()
            server.server_close()
        started = time.monotonic()
        gone = requests.post(f"{public}/webhooks/rest/webhook", json={}, timeout=30)
        assert gone.status_code == 503 and time.monotonic() - started < 10
    finally:
        entry.terminate()
        entry.wait(timeout=20)
