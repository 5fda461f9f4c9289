"""The notifier at scale: detection over 1,000,000 shipments, and dispatch throughput through Twilio's API.

    PYTHONPATH=. .venv/bin/python bench/notifier.py [--shipments 1000000] [--messages 2000] [--cap 50]

Detection. The product's own demo generator loads the shipments as of a fixed moment T0,
and a settling pass writes every notification due by then (the history, marked sent).
The clock then moves on just far enough for 1% of the shipments to break their promise
(parcels still on their way whose deadline passes). Measured, as the running notifier
makes them (its process warmed by dry runs at T0): the first pass at that moment (detect
and enqueue them all, plus the at-risk forecast; target: under 10 s), and a second pass a
minute later with nothing new. Target: the second under 1% of the first. For comparison,
the hourly sweep of the whole lookback.

Dispatch. Notifications from that pass are sent through the real `twilio` async client to
the loopback Twilio answering after 20 ms, after 50 unmeasured ones that warm the process as
a running notifier's is. Measured: messages per second with no cap
(target: at least 200), against a baseline in the same run: the sync client sending one
message after another. Then with a cap: the most messages Twilio received within any
second (target: never above the cap).

The database is cached in var/bench (SQLite) and rebuilt when missing; BENCH_DATABASE_URL
runs it on PostgreSQL instead (loaded once, then reused the same way).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
T0 = datetime(2026, 12, 1, 11, tzinfo=UTC)  # fixed, so that the cached database stays valid
CONTENT_SID = "HX" + "b" * 32


def prepare_database(count: int) -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{WORK / f'notifier-{count}.db'}"
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import func, select, text, update

    from notifications.detect import detect
    from notifications.outbox import Status
    from parcels.storage.db import default_engine, session_scope
    from parcels.storage.migrate import upgrade
    from parcels.storage.models import Notification, Shipment
    from parcels.storage.unit_of_work import SqlUnitOfWork
    from tools.demo import generate

    upgrade(url)
    with session_scope() as session:
        have = session.scalar(select(func.count()).select_from(Shipment)) or 0
        settled = session.scalar(select(func.count()).select_from(Notification)) or 0
    if have < count:
        print(f"loading {count - have:,} demo shipments as of {T0:%Y-%m-%d %H:%M} UTC (once)...", flush=True)
        generate(count - have, seed=have + 1, now=T0, progress=True)
    if not settled:
        print("settling: the notifications due by T0, marked sent (once)...", flush=True)
        started = time.perf_counter()
        report = detect(SqlUnitOfWork(), T0)
        with session_scope() as session:
            session.execute(update(Notification).values(status=str(Status.SENT)))
        print(f"  {report.total:,} in {time.perf_counter() - started:.1f} s", flush=True)
    with session_scope() as session:  # what an earlier run of this benchmark wrote
        session.execute(Notification.__table__.delete().where(Notification.created_at > T0))
    if url.startswith("postgres"):
        # Rows an earlier run deleted or moved, still in the table and its indexes, would slow this run's
        # passes; a running notifier's table has autovacuum's time to lose them.
        with default_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE notifications"))
    return url


def moment_of_newly_broken(count: int) -> tuple[datetime, int]:
    """The first moment after T0 by which ``count`` more promises have passed with the parcel still out."""
    from sqlalchemy import select

    from parcels.storage.db import session_scope
    from parcels.storage.models import Shipment

    with session_scope() as session:
        deadlines = list(
            session.scalars(
                select(Shipment.deadline_at)
                .where(
                    Shipment.delivered_at.is_(None),
                    Shipment.first_attempt_at.is_(None),
                    Shipment.deadline_at > T0,
                )
                .order_by(Shipment.deadline_at)
                .limit(count)
            )
        )
    if not deadlines:
        raise SystemExit("no parcel on its way after T0: load more shipments")
    return deadlines[-1] + timedelta(seconds=1), len(deadlines)


def bench_detection(shipments: int) -> tuple[float, float]:
    from notifications.detect import Detector, detect
    from parcels.storage.unit_of_work import SqlUnitOfWork

    at, breaking = moment_of_newly_broken(shipments // 100)
    print(f"\n{breaking:,} promises break between T0 and {at:%Y-%m-%d %H:%M} UTC ({breaking / shipments:.2%})")
    # The notifier has been running: its previous pass (and sweep) was at T0, and its process is warm (modules
    # loaded, statements compiled, holiday calendars built). Dry runs of both kinds of pass warm this one.
    started = time.perf_counter()
    detect(SqlUnitOfWork(), T0, dry_run=True)
    detect(SqlUnitOfWork(), T0, dry_run=True, at_risk=False, since=T0)
    print(f"warming the process as the running notifier's is: dry runs at T0 in {time.perf_counter() - started:.1f} s")
    detector = Detector(SqlUnitOfWork(), passed_at=T0, swept_at=T0)
    started = time.perf_counter()
    first = detector.run(at)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = detector.run(at + timedelta(minutes=1))
    second_s = time.perf_counter() - started
    started = time.perf_counter()
    sweep = Detector(SqlUnitOfWork(), passed_at=at, forecast_at=at).run(at + timedelta(minutes=2))
    sweep_s = time.perf_counter() - started
    kinds = {str(kind): n for kind, n in first.enqueued.items()}
    print(f"first pass:  {first_s:8.2f} s  examined {first.examined:,}, enqueued {first.total:,} {kinds}")
    print(f"             {first.settled:,} examined once and settled with nothing to tell (excluded promises...)")
    print(f"second pass: {second_s:8.3f} s  examined {second.examined:,}, enqueued {second.total:,}")
    print(f"ratio second/first: {second_s / first_s:.4f}  (target < 0.01)")
    print(f"an hourly sweep of the whole lookback, for comparison: {sweep_s:.3f} s, enqueued {sweep.total:,}")
    return first_s, second_s


def release(limit: int) -> list[int]:
    """Make ``limit`` of the pending notifications due now (whatever their quiet hours said), as WhatsApp, and
    every other pending one wait: the wall clock is past T0, so without that all of them would be due."""
    from sqlalchemy import select, update

    from notifications.outbox import Status
    from parcels.storage.db import session_scope
    from parcels.storage.models import Notification

    with session_scope() as session:
        ids = list(
            session.scalars(
                select(Notification.id)
                .where(Notification.status == str(Status.PENDING), Notification.recipient.like("+%"))
                .order_by(Notification.id)
                .limit(limit)
            )
        )
        session.execute(
            update(Notification)
            .where(Notification.status == str(Status.PENDING))
            .values(not_before=datetime.now(UTC) + timedelta(days=365))
        )
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(
                not_before=datetime.now(UTC) - timedelta(hours=1),
                channel="whatsapp",
                kind="promise_broken",
                locale="es",
            )
        )
    return ids


async def dispatch_through(server: object, rate: float | None) -> tuple[int, float]:
    from notifications.dispatch import DispatchSettings, dispatch_due
    from notifications.senders import TwilioSender
    from parcels.storage.unit_of_work import SqlUnitOfWork

    sender = TwilioSender(
        server.account_sid,  # type: ignore[attr-defined]
        server.auth_token,  # type: ignore[attr-defined]
        "whatsapp:+14155238886",
        None,
        http_client=server.async_http_client(),  # type: ignore[attr-defined]
    )
    started = time.perf_counter()
    try:
        report = await dispatch_due(
            SqlUnitOfWork(),
            sender,
            lambda: datetime.now(UTC),
            settings=DispatchSettings(rate_per_second=rate, max_per_pass=10**9),
        )
    finally:
        await sender.close()
    return report.sent, time.perf_counter() - started


def baseline_one_by_one(server: object, messages: int) -> float:
    """Messages per second of the sync client sending one message after another."""
    client = server.client()  # type: ignore[attr-defined]
    started = time.perf_counter()
    for n in range(messages):
        client.messages.create(to=f"whatsapp:+3470000{n:04d}", from_="whatsapp:+14155238886", body="baseline")
    return messages / (time.perf_counter() - started)


def bench_dispatch(messages: int, latency: float, cap: float) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.twilio_loopback import running_twilio

    os.environ["TWILIO_CONTENT_SID_PROMISE_BROKEN_ES"] = CONTENT_SID
    print(f"\ndispatch to the loopback Twilio answering after {latency * 1000:.0f} ms")
    with running_twilio(latency=latency) as server:
        baseline = baseline_one_by_one(server, 100)
        release(50)  # the running notifier's process is warm: modules loaded, templates compiled, connections open
        asyncio.run(dispatch_through(server, None))
        server.reset()
        released = len(release(messages))
        sent, took = asyncio.run(dispatch_through(server, None))
        rate = sent / took
        print(f"no cap:   {sent:,} of {released:,} sent in {took:.2f} s = {rate:.0f} messages/s (target >= 200)")
        print(f"baseline: the sync client one by one = {baseline:.0f} messages/s; ratio {rate / baseline:.1f}")
        server.reset()
        capped = max(1, int(cap * 10))  # ten seconds' worth
        release(capped)
        sent, took = asyncio.run(dispatch_through(server, cap))
        peak = server.peak_rate(window=1.0)
        print(
            f"cap {cap:g}/s: {sent:,} sent in {took:.2f} s = {sent / took:.1f} messages/s;"
            f" most within any second: {peak} ({'within' if peak <= cap else 'ABOVE'} the cap)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the loopback Twilio takes to answer")
    parser.add_argument("--cap", type=float, default=50.0, help="messages per second, for the capped run")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    url = prepare_database(args.shipments)
    print(f"database: {url.split('@')[-1]}")
    bench_detection(args.shipments)
    bench_dispatch(args.messages, args.latency, args.cap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
