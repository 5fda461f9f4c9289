"""The provider's message statuses as ours, applied only forwards, even when they arrive early or at once.

Callbacks arrive out of order (``read`` before ``delivered``), two at the same moment on two
web servers, and sometimes before the dispatcher has recorded the message's id. So:

- a status is one conditional ``UPDATE`` (only rows at an earlier status move), never a read
  then a write, so two callbacks racing cannot put ``delivered`` back over ``read``;
- a status for an id nobody has recorded yet is kept, and ``settle`` applies the kept ones in a
  transaction of its own, run after the one that kept a status and after the one that recorded
  an id. Of two such transactions racing, the later one always sees the other's commit, so no
  kept status is left behind (applying one twice changes nothing);
- both take the write lock before they read (``lock_for_writing``): on SQLite a transaction
  otherwise reads before it locks, and could miss a commit made in between.
"""

from __future__ import annotations

from datetime import datetime

from notifications.outbox import Status
from parcels.storage.unit_of_work import Repositories

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
KEPT = "kept until its notification is recorded"


def _forward(repos: Repositories, sid: str, provider_status: str, error_code: str | None) -> bool:
    """Move the notification with this provider id to this status if it is at an earlier one."""
    ours = OURS[provider_status]
    earlier = [status for status, rank in RANK.items() if rank < RANK[ours]]
    reason = None
    if ours is Status.FAILED:
        reason = f"Twilio error {error_code}" if error_code else "Twilio reported a failure"
    return repos.outbox.advance(sid, ours, earlier, reason)


def record(repos: Repositories, sid: str, provider_status: str, error_code: str | None, at: datetime) -> str:
    """A status callback: applied to its notification, or kept (then call ``settle`` in a new transaction)."""
    if provider_status not in OURS:
        return f"status {provider_status!r} ignored"
    repos.outbox.lock()
    if not repos.outbox.has_provider_id(sid):
        repos.early_statuses.keep(sid, provider_status, error_code, at)
        return KEPT
    if _forward(repos, sid, provider_status, error_code):
        return f"now {OURS[provider_status]}"
    return f"{provider_status} changes nothing: the notification is already as far on"


def settle(repos: Repositories, sid: str) -> int:
    """Apply, in order, the statuses kept for ``sid`` if its notification is recorded; drop those applied."""
    repos.outbox.lock()
    if not repos.outbox.has_provider_id(sid):
        return 0
    early = repos.early_statuses.of(sid)
    for status in early:
        _forward(repos, sid, status.status, status.error_code)
    # By id: one kept by a callback committing meanwhile is settled by that callback.
    repos.early_statuses.drop([status.id for status in early])
    return len(early)
