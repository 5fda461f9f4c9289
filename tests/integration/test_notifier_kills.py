"""``kill -9`` of a notifier at 20 random points of dispatch, against the loopback Twilio: every due notification
is sent exactly once.

On PostgreSQL two notifiers work the outbox at once (``FOR UPDATE SKIP LOCKED``): one is killed at the point,
the other a few sends later. On SQLite (the embedded profile runs one notifier) the only one is. A last,
unharmed pass then adopts whatever the kills left "sending" and sends the rest.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
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
from tests.integration.test_notifier_crash import start_notifier
from tests.twilio_loopback import TwilioLoopback, running_twilio

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

COUNT = 300  # more than 20 rounds of kills send (at RATE): every kill lands during dispatch
KILLS = 20
RATE = "10"  # messages per second per notifier in the rounds that are killed


def late_parcels(now: datetime) -> None:
    numbers = [f"LP00066600000{n:03d}" for n in range(COUNT)]
    paid = (now - timedelta(days=15)).isoformat()
    register_shipments(
        UOW,
        [
            shipment_record(number, order_ref=f"kill-{n}", paid_at=paid, customer_phone=f"+346100{n:05d}")
            for n, number in enumerate(numbers)
        ],
    )
    seen = (now - timedelta(days=14)).isoformat()
    ingest_events(UOW, [event_record(f"kill-{n}", "EMA", seen, number) for n, number in enumerate(numbers)], now)


def statuses() -> Counter[str]:
    with session_scope() as session:
        return Counter(session.scalars(select(Notification.status)))


def failure_reasons() -> Counter[str]:
    with session_scope() as session:
        return Counter(session.scalars(select(Notification.reason).where(Notification.status == Status.FAILED)))


def run_until(server: TwilioLoopback, notifier: subprocess.Popen[str], creates: int, log: Path) -> None:
    """Wait until Twilio has taken ``creates`` messages, or the notifier has ended its pass."""
    deadline = time.monotonic() + 60
    while len(server.creates()) < creates and notifier.poll() is None:
        if time.monotonic() > deadline:
            notifier.kill()
            progress = f"{len(server.creates())} of {creates} creates, {statuses()}"
            raise AssertionError(f"no progress: {progress}\n{log.read_text()[-4000:]}")
        time.sleep(0.01)


def test_every_notification_is_sent_once_whatever_the_kills(db: Engine, tmp_path: Path) -> None:
    late_parcels(datetime.now(UTC))
    pair = db.dialect.name == "postgresql"
    rng = random.Random(11)
    log = tmp_path / "notifiers.log"
    landed = 0
    with running_twilio(latency=0.03) as server:
        for _ in range(KILLS):
            assert statuses().get(Status.SENT, 0) < COUNT, "the kills ran out of work to land in"
            notifiers = [
                start_notifier(server, log, NOTIFIER_STALE_AFTER_SECONDS="1", NOTIFIER_RATE_PER_SECOND=RATE)
                for _ in range(2 if pair else 1)
            ]
            point = len(server.creates()) + rng.randint(1, 4)  # a random point: a few of Twilio's creates on
            run_until(server, notifiers[0], point, log)
            time.sleep(rng.uniform(0, 0.03))  # anywhere between a create, its answer and its commit
            landed += notifiers[0].poll() is None
            notifiers[0].send_signal(signal.SIGKILL)
            for other in notifiers[1:]:  # the other one goes on a little, then is killed too: work is left
                run_until(server, other, point + 3, log)
                other.send_signal(signal.SIGKILL)
            for notifier in notifiers:
                notifier.wait(30)
            time.sleep(1.1)  # what a killed notifier left "sending" is stale for the next pass
        assert landed >= KILLS - 2, f"only {landed} kills landed during a pass"
        last = start_notifier(server, log, NOTIFIER_STALE_AFTER_SECONDS="1")
        assert last.wait(120) == 0, log.read_text()[-4000:]
        assert statuses() == Counter({Status.SENT: COUNT}), (statuses(), failure_reasons().most_common(5))
        recipients = Counter(create.form["To"] for create in server.creates())
        assert len(recipients) == COUNT and set(recipients.values()) == {1}, recipients.most_common(3)


def test_sigterm_during_a_backlog_ends_the_pass_after_the_batch_in_flight(db: Engine, tmp_path: Path) -> None:
    late_parcels(datetime.now(UTC))
    log = tmp_path / "notifier.log"
    with running_twilio(latency=0.03) as server:
        notifier = start_notifier(server, log, NOTIFIER_RATE_PER_SECOND=RATE)  # the backlog: 30 s at this rate
        run_until(server, notifier, 5, log)
        notifier.send_signal(signal.SIGTERM)  # a deploy
        assert notifier.wait(10) == 0, log.read_text()[-4000:]
        left = statuses()
        assert left[Status.SENDING] == 0  # the batch in flight was finished, none left half sent
        assert 0 < left[Status.SENT] == len(server.creates()) < COUNT  # the rest waits for the next notifier
