"""Status callbacks racing each other and the dispatcher, on the real database (SQLite, then PostgreSQL).

Twilio sends ``sent``, ``delivered`` and ``read`` within milliseconds, often before ``create()`` has
returned, and two web servers take them at once: every message must still end at ``read``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from notifications.outbox import Status
from notifications.provider_status import KEPT, record, settle
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import EarlyStatus, Notification, Shipment
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import notification_row, shipment_record
from web.twilio_status import apply as apply_on

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)


def apply(sid: str, provider_status: str, error_code: str | None) -> str:
    return apply_on(UOW, sid, provider_status, error_code)


def sending(count: int) -> list[int]:
    """``count`` notifications handed to the provider, their ids not yet recorded."""
    register_shipments(UOW, [shipment_record(f"LP000555000{n:05d}", order_ref=f"RACE-{n}") for n in range(count)])
    now = datetime.now(UTC)
    with session_scope() as session:
        rows = [
            notification_row(shipment_id, str(Status.SENDING), now)
            for shipment_id in session.scalars(select(Shipment.id).order_by(Shipment.id))
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def recorded(notification_id: int, sid: str) -> None:
    """What the dispatcher does once the provider accepted the message: record its id, then settle."""
    with session_scope() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        row.status, row.provider_sid = str(Status.SENT), sid
    with UOW.begin() as repos:
        settle(repos, sid)


def sid_of(n: int) -> str:
    return f"SM{n:032x}"


def test_a_status_kept_after_the_dispatcher_settled_is_applied_by_its_own_callback(db: Engine) -> None:
    [notification_id] = sending(1)
    sid = sid_of(1)
    with UOW.begin() as repos:
        assert record(repos, sid, "read", None, datetime.now(UTC)) == KEPT
    with session_scope() as session:  # the id, recorded by a dispatcher whose settle looked before "read" was kept
        row = session.get(Notification, notification_id)
        assert row is not None
        row.status, row.provider_sid = str(Status.SENT), sid
    with UOW.begin() as repos:  # the callback's own settle, after its keep committed
        assert settle(repos, sid) == 1
    with session_scope() as session:
        assert session.get(Notification, notification_id).status == Status.READ  # type: ignore[union-attr]
        assert session.scalars(select(EarlyStatus)).all() == []


def test_a_late_delivered_never_overwrites_read(db: Engine) -> None:
    [notification_id] = sending(1)
    recorded(notification_id, sid_of(2))
    assert apply(sid_of(2), "read", None) == "now read"
    assert "already as far on" in apply(sid_of(2), "delivered", None)
    assert apply(sid_of(2), "failed", "30008").startswith("failed changes nothing")
    with session_scope() as session:
        row = session.get(Notification, notification_id)
        assert row is not None and row.status == Status.READ and row.reason is None


def test_callbacks_at_once_with_the_dispatcher_always_end_at_read(db: Engine) -> None:
    ids = sending(24)
    jobs = []
    for n, notification_id in enumerate(ids):
        sid = sid_of(100 + n)
        jobs += [
            (recorded, (notification_id, sid)),
            (apply, (sid, "sent", None)),
            (apply, (sid, "delivered", None)),
            (apply, (sid, "read", None)),
        ]
    with ThreadPoolExecutor(max_workers=8) as pool:  # four at once per message, as two web servers and a notifier
        for future in [pool.submit(job, *args) for job, args in jobs]:
            future.result()
    with session_scope() as session:
        statuses = session.scalars(select(Notification.status).where(Notification.id.in_(ids))).all()
        assert statuses == [str(Status.READ)] * len(ids)
        assert session.scalars(select(EarlyStatus)).all() == []
