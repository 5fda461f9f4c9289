"""The notifier's ``/health``: 200 while its passes end well, 503 with the reason when one fails or none ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine

from notifications import health as health_module
from notifications.health import STALL_GRACE_SECONDS, Health
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_a_failed_pass_is_reported_until_one_ends_well() -> None:
    health = Health(every=60)
    assert health.report() == (200, {"status": "starting", "passes": 0, "quiet_seconds": 0})
    health.failed(ConnectionRefusedError("connection to server at 127.0.0.1, port 5432 failed\nmore detail"))
    status, body = health.report()
    assert status == 503 and body["status"] == "failing"
    first_line = "connection to server at 127.0.0.1, port 5432 failed"
    assert body["reason"] == f"the last pass failed: ConnectionRefusedError: {first_line}"
    health.passed()
    assert health.report()[0] == 200 and health.report()[1]["status"] == "ok"


def test_no_pass_ending_for_three_intervals_is_a_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    health = Health(every=10, started=0.0)
    monkeypatch.setattr(health_module.time, "monotonic", lambda: 3 * 10 + STALL_GRACE_SECONDS + 1)
    status, body = health.report()
    assert status == 503 and body["status"] == "stalled" and "no pass has ended for 91 s" in body["reason"]


def test_the_running_notifier_answers_on_its_health_port(db: Engine) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(PYTHONPATH=str(ROOT), RASA_URL="http://127.0.0.1:9")
    notifier = subprocess.Popen(
        [sys.executable, "-m", "notifications", "run", "--every", "0.5", "--health-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert notifier.poll() is None, "the notifier exited"
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
                if answer.json()["passes"] >= 2:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "no two passes within 60 s"
            time.sleep(0.2)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
    finally:
        notifier.terminate()
        assert notifier.wait(30) == 0  # SIGTERM ends the pass loop cleanly, health server included
