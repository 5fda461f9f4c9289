"""Send what the outbox holds, when it is due, at most once each.

Each due notification is first marked ``sending`` in its own committed transaction, then
sent, then marked ``sent`` with the provider's id. A crash between the provider's
acceptance and our commit leaves it ``sending``: recovery looks the message up at the
provider and adopts it if it exists, so it is never sent twice. Rate limits and 5xx are
retried later with exponential backoff and jitter; permanent errors end the notification
with their reason.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from notifications.conversation import RasaConversations
from notifications.detect import Status
from notifications.senders import Ambiguous, Outgoing, Permanent, RetryLater, Sender
from parcels.storage.db import session_scope
from parcels.storage.models import Notification
from templates.manifest import content_sid, content_variables, typed
from templates.renderer import render_message

MAX_ATTEMPTS = 8
LOOKUP_SKEW = timedelta(minutes=2)  # clocks differ a little: look a bit further back than the attempt


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    batch: int = 100
    rate_per_second: float | None = None  # a cap per sender; None: as fast as the provider answers
    base_backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)
    stale_after: timedelta = timedelta(minutes=5)  # a "sending" row older than this was interrupted
    status_callback: str | None = None  # our public POST /twilio/status URL
    conversations: RasaConversations | None = None  # where sent notifications join the shopper's conversation


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    reasons: list[str] = field(default_factory=list)


class RateLimiter:
    """At most ``rate`` calls per second, spread evenly (thread-safe)."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.clock = clock
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


def backoff(attempts: int, settings: DispatchSettings, rng: random.Random) -> timedelta:
    """30 s, 1 min, 2 min... up to the cap, each with ±20 % jitter so retries do not march in step."""
    delay = min(settings.base_backoff * (2 ** max(0, attempts - 1)), settings.max_backoff)
    return delay * rng.uniform(0.8, 1.2)


def outgoing_for(notification: Notification, sender: Sender) -> Outgoing:
    """The message to send: an approved WhatsApp template with its variables, or rendered SMS text."""
    variables = typed(notification.variables)
    kind, locale = notification.kind, notification.locale
    if notification.channel == "sms":
        return Outgoing(to=notification.recipient or "", body=render_message(kind, "sms", locale, variables))
    sid = content_sid(kind, locale)
    if sid is None and sender.name != "sink":
        raise Permanent(f"no approved WhatsApp template configured for {kind}/{locale}")
    if sid is None:  # the local sink shows the text the approved template would read
        return Outgoing(
            to=f"whatsapp:{notification.recipient}", body=render_message(kind, "whatsapp", locale, variables)
        )
    return Outgoing(
        to=f"whatsapp:{notification.recipient}",
        content_sid=sid,
        content_variables=content_variables(kind, locale, variables),
    )


def _claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    query = (
        select(Notification)
        .where(Notification.status == str(Status.PENDING), Notification.not_before <= now)
        .order_by(Notification.not_before, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # several dispatchers share the work
    rows = list(session.scalars(query))
    for row in rows:
        row.status = str(Status.SENDING)
        row.attempts += 1
        row.updated_at = now
    return [row.id for row in rows]


def _finish(engine: Engine | None, notification_id: int, status: Status, now: datetime, **fields: object) -> None:
    with session_scope(engine) as session:
        row = session.get(Notification, notification_id)
        if row is None:
            return
        row.status = str(status)
        row.updated_at = now
        for name, value in fields.items():
            setattr(row, name, value)


def dispatch_due(
    sender: Sender,
    now: Callable[[], datetime],
    engine: Engine | None = None,
    settings: DispatchSettings | None = None,
    rng: random.Random | None = None,
) -> DispatchReport:
    """One pass over the due notifications (and the interrupted ones)."""
    settings, rng = settings or DispatchSettings(), rng or random.Random()
    report = DispatchReport()
    recover_interrupted(sender, now(), engine, settings, report)
    limiter = RateLimiter(settings.rate_per_second)
    with session_scope(engine) as session:
        ids = _claim_due(session, now(), settings.batch)
    for notification_id in ids:
        with session_scope(engine) as session:
            row = session.get(Notification, notification_id)
            assert row is not None
            attempts, claimed_at = row.attempts, row.updated_at
            try:
                message = outgoing_for(row, sender)
            except (Permanent, ValueError, LookupError) as error:
                message, reason = None, str(error)
        if message is None:
            _finish(engine, notification_id, Status.FAILED, now(), reason=reason[:300])
            report.failed += 1
            report.reasons.append(reason)
            continue
        limiter.wait()
        _send_one(sender, message, notification_id, attempts, claimed_at, now, engine, settings, rng, report)
    return report


def _send_one(
    sender: Sender,
    message: Outgoing,
    notification_id: int,
    attempts: int,
    claimed_at: datetime,
    now: Callable[[], datetime],
    engine: Engine | None,
    settings: DispatchSettings,
    rng: random.Random,
    report: DispatchReport,
) -> None:
    # The provider's clock, not ours, dates the message: look it up by wall-clock time.
    sent_after = datetime.now(UTC) - LOOKUP_SKEW
    try:
        sid = sender.send(message, settings.status_callback)
    except Permanent as error:
        _finish(engine, notification_id, Status.FAILED, now(), reason=error.reason[:300])
        report.failed += 1
        report.reasons.append(error.reason)
        return
    except (RetryLater, Ambiguous) as error:
        sid = sender.find(message, sent_after) if isinstance(error, Ambiguous) else None
        if sid is None:
            _retry(engine, notification_id, attempts, str(error), now(), settings, rng, report)
            return
    _finish(engine, notification_id, Status.SENT, now(), provider_sid=sid, reason=None)
    report.sent += 1
    if settings.conversations is not None:
        _join_conversation(engine, notification_id, message, settings.conversations)


def _join_conversation(
    engine: Engine | None, notification_id: int, message: Outgoing, conversations: RasaConversations
) -> None:
    """The shopper's reply continues about this parcel: the message and the parcel go into their conversation."""
    with session_scope(engine) as session:
        row = session.get(Notification, notification_id)
        if row is None:
            return
        number, locale, kind = row.variables.get("number"), row.locale, row.kind
        text = message.body or render_message(kind, "whatsapp", locale, typed(row.variables))
    if number:
        conversations.record(message.to, text, number, locale)


def _retry(
    engine: Engine | None,
    notification_id: int,
    attempts: int,
    reason: str,
    moment: datetime,
    settings: DispatchSettings,
    rng: random.Random,
    report: DispatchReport,
) -> None:
    if attempts >= MAX_ATTEMPTS:
        _finish(engine, notification_id, Status.FAILED, moment, reason=f"gave up after {attempts} attempts: {reason}")
        report.failed += 1
        return
    later = moment + backoff(attempts, settings, rng)
    _finish(engine, notification_id, Status.PENDING, moment, not_before=later, reason=f"retrying: {reason}"[:300])
    report.retried += 1


def recover_interrupted(
    sender: Sender, moment: datetime, engine: Engine | None, settings: DispatchSettings, report: DispatchReport
) -> None:
    """Rows left ``sending`` by a crash: adopt the message if the provider has it, else send it again later."""
    with session_scope(engine) as session:
        stale = list(
            session.scalars(
                select(Notification).where(
                    Notification.status == str(Status.SENDING),
                    Notification.updated_at < moment - settings.stale_after,
                )
            )
        )
        for row in stale:
            try:
                message = outgoing_for(row, sender)
                sid = sender.find(message, row.updated_at - LOOKUP_SKEW)
            except (RetryLater, Permanent, ValueError, LookupError):
                continue  # looked at again on the next pass
            row.updated_at = moment
            if sid is not None:
                row.status, row.provider_sid, row.reason = str(Status.SENT), sid, None
            else:
                row.status, row.reason = str(Status.PENDING), "interrupted before the provider accepted it"
            report.recovered += 1
