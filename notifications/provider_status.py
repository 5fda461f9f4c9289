"""The provider's message statuses as ours, applied only forwards, even when they arrive early.

Callbacks arrive out of order (``read`` before ``delivered``), and sometimes before the
dispatcher has recorded the message's id: such a status is kept and applied as soon as
the id is recorded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from notifications.detect import Status
from parcels.storage.models import EarlyStatus, Notification

# Twilio's statuses, as ours.
OURS = {
    "accepted": Status.SENT,
    "queued": Status.SENT,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
    "read": Status.READ,
}
RANK = {Status.SENDING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.FAILED: 3, Status.READ: 4}


def advance(row: Notification, provider_status: str, error_code: str | None) -> str:
    """Move the notification forward to this status if it is further on; says what happened."""
    ours = OURS.get(provider_status)
    if ours is None:
        return f"status {provider_status!r} ignored"
    current = Status(row.status)
    if RANK.get(ours, 0) <= RANK.get(current, 0):
        return f"{provider_status} after {current}: kept {current}"
    row.status = str(ours)
    if ours is Status.FAILED:
        row.reason = f"Twilio error {error_code}" if error_code else "Twilio reported a failure"
    return f"{current} -> {ours}"


def record(session: Session, sid: str, provider_status: str, error_code: str | None, at: datetime) -> str:
    """A status callback: applied to its notification, or kept until the dispatcher records the id."""
    if provider_status not in OURS:
        return f"status {provider_status!r} ignored"
    row = session.scalars(select(Notification).where(Notification.provider_sid == sid)).first()
    if row is None:
        session.add(EarlyStatus(provider_sid=sid, status=provider_status, error_code=error_code, received_at=at))
        return f"kept until the notification with sid {sid} is recorded"
    return advance(row, provider_status, error_code)


def apply_early(session: Session, row: Notification) -> None:
    """The statuses that arrived before ``row`` recorded its provider id, applied in order and then dropped."""
    if not row.provider_sid:
        return
    early = list(
        session.scalars(
            select(EarlyStatus).where(EarlyStatus.provider_sid == row.provider_sid).order_by(EarlyStatus.id)
        )
    )
    for status in early:
        advance(row, status.status, status.error_code)
    if early:
        session.execute(delete(EarlyStatus).where(EarlyStatus.provider_sid == row.provider_sid))


def prune(session: Session, before: datetime) -> int:
    """Drop kept statuses no notification claimed (another application's messages on the same account)."""
    return session.execute(delete(EarlyStatus).where(EarlyStatus.received_at < before)).rowcount or 0
