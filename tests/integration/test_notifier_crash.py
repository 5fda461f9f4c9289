"""kill -9 between Twilio's acceptance and our commit: the next pass adopts the message, never sends it twice.

The notifier runs as its own process against the loopback Twilio. The first create is
accepted but its answer held back; the process is killed while it waits, so the database
still says "sending". The next run looks the message up and records it as sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from notifications.outbox import Status
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Notification
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.twilio_loopback import TwilioLoopback, running_twilio

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

ROOT = Path(__file__).resolve().parents[2]
PHONES = [f"+3460000009{n}" for n in range(3)]


def start_notifier(server: TwilioLoopback, log: Path | None = None, **extra: str) -> subprocess.Popen[str]:
    """``python -m notifications once``; its output in ``log`` (appended) or a pipe for ``communicate()``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(
        PYTHONPATH=str(ROOT),
        QUIET_HOURS="03:00-03:01",  # no waiting for the morning in a test
        TWILIO_ACCOUNT_SID=server.account_sid,
        TWILIO_AUTH_TOKEN=server.auth_token,
        TWILIO_API_URL=server.base_url,
        TWILIO_WHATSAPP_FROM="whatsapp:+14155238886",
        TWILIO_CONTENT_SID_PROMISE_BROKEN_ES="HX" + "c" * 32,
        RASA_URL="http://127.0.0.1:9",  # no Rasa: writing the conversation fails, quietly
        **extra,
    )
    command = [sys.executable, "-m", "notifications", "once"]
    if log is None:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with log.open("a") as output:  # a file, not a pipe nobody reads: a full pipe would block the notifier
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)


def statuses() -> list[str]:
    with session_scope() as session:
        return sorted(session.scalars(select(Notification.status)))


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_kill_between_acceptance_and_commit_sends_nothing_twice(db: Engine) -> None:
    now = datetime.now(UTC)
    register_shipments(
        UOW,
        [
            shipment_record(
                f"LP0001234567895{n}",
                order_ref=f"k{n}",
                paid_at=(now - timedelta(days=15)).isoformat(),
                customer_phone=phone,
            )
            for n, phone in enumerate(PHONES)
        ],
    )
    ingest_events(
        UOW,
        [
            event_record(f"k-{n}", "EMA", (now - timedelta(days=14)).isoformat(), f"LP0001234567895{n}")
            for n in range(3)
        ],
        now,
    )
    with running_twilio() as server:
        server.timeout_next(1, hang=60, accept=True)  # Twilio accepts the first message and holds its answer
        first = start_notifier(server)
        wait_until(lambda: len(server.messages) == 3 and statuses().count(Status.SENT) == 2)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert statuses() == [Status.SENDING, Status.SENT, Status.SENT]  # accepted, never recorded
        with session_scope() as session:
            [pending] = session.scalars(select(Notification).where(Notification.status == Status.SENDING))
            held = next(m["sid"] for m in server.messages if m["to"] == f"whatsapp:{pending.recipient}")

        time.sleep(1.2)
        second = start_notifier(server, NOTIFIER_STALE_AFTER_SECONDS="1")
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 0, output
        assert "recovered 1" in output
        assert len(server.creates()) == 3 and len(server.messages) == 3  # one create each, ever
    with session_scope() as session:
        recovered = session.get(Notification, pending.id)
        assert recovered is not None and (recovered.status, recovered.provider_sid) == (Status.SENT, held)
