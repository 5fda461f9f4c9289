"""The notifier's commands, run as the process runs them, on the test database (no Twilio: the local sink)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Notification
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

ROOT = Path(__file__).resolve().parents[2]


def notifier(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.update(PYTHONPATH=str(ROOT), QUIET_HOURS="03:00-03:01", **extra)  # no waiting for the morning in a test
    return subprocess.run(
        [sys.executable, "-m", "notifications", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_dry_run_then_once(db: Engine) -> None:
    now = datetime.now(UTC)
    register_shipments(UOW, [shipment_record("LP00012345678901", paid_at=(now - timedelta(days=15)).isoformat())])
    ingest_events(UOW, [event_record("c-1", "EMA", (now - timedelta(days=14)).isoformat())], now)

    dry = notifier("dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would enqueue 1 notification(s)" in dry.stdout and "promise_broken" in dry.stdout
    with session_scope() as session:
        assert session.scalars(select(Notification)).all() == []  # a dry run writes nothing

    done = notifier("once")
    assert done.returncode == 0, done.stderr
    assert "local sink" in done.stderr
    with session_scope() as session:
        [sent] = session.scalars(select(Notification)).all()
        assert (sent.kind, sent.status) == ("promise_broken", "sent") and sent.provider_sid.startswith("SINK")
    assert notifier("once").returncode == 0
    with session_scope() as session:
        assert len(session.scalars(select(Notification)).all()) == 1


def test_purge_does_the_days_purge_once(db: Engine, tmp_path: Path) -> None:
    conversations = f"sqlite:///{tmp_path / 'conversations.db'}"
    first = notifier("purge", TRACKER_STORE_URL=conversations)
    assert first.returncode == 0, first.stderr
    assert "purged: nothing was past its time" in first.stdout
    again = notifier("purge", TRACKER_STORE_URL=conversations)
    assert again.returncode == 0 and "today's purge has run already" in again.stdout


def test_a_wrong_retention_file_stops_the_notifier_at_start(db: Engine, tmp_path: Path) -> None:
    wrong = tmp_path / "retention.yml"
    wrong.write_text("conversations_days: forever\n", encoding="utf-8")
    done = notifier("once", RETENTION_FILE=str(wrong))
    assert done.returncode != 0 and "conversations_days must be a whole number" in done.stderr
