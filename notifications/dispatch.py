"""Send what the outbox holds, when it is due, at most once each.

Each due notification is first marked ``sending`` in its own committed transaction, then
sent, then marked ``sent`` with the provider's id. A crash between the provider's
acceptance and our commit leaves it ``sending``: recovery looks the message up at the
provider and adopts it if it exists, so it is never sent twice. Rate limits and 5xx are
retried later with exponential backoff and jitter; permanent errors end the notification
with their reason.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from notifications import outbox
from notifications.conversation import RasaConversations
from notifications.outbox import Channel, Status, Unrenderable
from notifications.provider_status import settle
from notifications.senders import Ambiguous, Outgoing, Permanent, RetryLater, Sender
from parcels.outbox_records import OutboxMessage
from parcels.storage.unit_of_work import UnitOfWork

MAX_ATTEMPTS = 8
EARLY_STATUSES_KEPT = timedelta(days=1)
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
    concurrency: int = 32  # messages in flight at once
    max_per_pass: int = 10_000


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    unresolved: int = 0  # outcome unknown and the provider unreachable: looked up again later
    reasons: list[str] = field(default_factory=list)


class RateLimiter:
    """At most ``rate`` sends per second: each send is let go at least 1/rate after the previous one.

    The spacing is measured when a send is actually let go, so a stalled loop never releases
    a catch-up burst, and it keeps a small margin for the jitter between us and the provider."""

    MARGIN = 1.03

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = self.MARGIN / rate if rate else 0.0
        self.clock = clock
        self.last = float("-inf")
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            delay = self.last + self.interval - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            self.last = self.clock()


def backoff(attempts: int, settings: DispatchSettings, rng: random.Random) -> timedelta:
    """30 s, 1 min, 2 min... up to the cap, each with ±20 % jitter so retries do not march in step."""
    delay = min(settings.base_backoff * (1 << max(0, attempts - 1)), settings.max_backoff)
    return delay * rng.uniform(0.8, 1.2)


def outgoing_for(notification: OutboxMessage, sender: Sender) -> tuple[Outgoing, str]:
    """The message to send (an approved WhatsApp template with its variables, or SMS text) and what it reads."""
    rendered = outbox.render_row(notification)
    if notification.channel == Channel.SMS:
        return Outgoing(to=notification.recipient or "", body=rendered.text), rendered.text
    to = f"whatsapp:{notification.recipient}"
    if rendered.content_sid is not None:
        return Outgoing(to=to, content_sid=rendered.content_sid, content_variables=rendered.content_variables), (
            rendered.text
        )
    if sender.name != "sink":
        raise Permanent(f"no approved WhatsApp template configured for {notification.kind}/{notification.locale}")
    return Outgoing(to=to, body=rendered.text), rendered.text  # the local sink shows what the template would read


@dataclass(frozen=True, slots=True)
class Leased:
    """A notification marked ``sending``, with what to send (or why it cannot be sent)."""

    id: int
    channel: str
    message: Outgoing | None
    failure: str | None
    number: str | None  # the parcel, for the shopper's conversation
    locale: str
    text: str | None  # what the shopper reads, for the conversation


def _prepare(row: OutboxMessage, sender: Sender) -> Leased:
    number, text = row.variables.get("number"), None
    message, failure = None, None
    try:
        if row.channel == Channel.WEB:
            text = outbox.render_row(row).text
        else:
            message, text = outgoing_for(row, sender)
    except Permanent as error:
        failure = error.reason
    except Unrenderable as error:
        failure = f"cannot be rendered: {error}"
    return Leased(row.id, row.channel, message, failure, number, row.locale, text)


def _settle(uow: UnitOfWork, sids: Collection[str]) -> None:
    """Statuses that came before these ids were recorded, in transactions after the ones that recorded them.

    Looked for first, for a batch of ids at once, without the write lock: a status kept after this look began
    is settled by its own callback, which then sees the id recorded (``notifications.provider_status``)."""
    if not sids:
        return
    with uow.begin() as repos:
        early = repos.early_statuses.kept_for(sids)
    for sid in sorted(early):
        with uow.begin() as repos:
            settle(repos, sid)


@dataclass
class _Pass:
    """One dispatch pass: what it shares between its concurrent sends."""

    uow: UnitOfWork
    sender: Sender
    now: Callable[[], datetime]
    settings: DispatchSettings
    rng: random.Random
    report: DispatchReport
    limiters: dict[str, RateLimiter] = field(default_factory=dict)
    recorded: list[str] = field(default_factory=list)  # provider ids recorded since the batch began

    def finish(self, notification_id: int, status: Status, now: datetime, **fields: object) -> None:
        """Record how a notification ended; its provider id is looked up among the early statuses once the
        batch ends (``_settle``)."""
        with self.uow.begin() as repos:
            sid = repos.outbox.finish(notification_id, status, now, **fields)
        if sid:
            self.recorded.append(sid)

    def limiter(self, channel: str) -> RateLimiter:
        """One cap per sending number: WhatsApp and SMS go out from different senders."""
        if channel not in self.limiters:
            self.limiters[channel] = RateLimiter(self.settings.rate_per_second)
        return self.limiters[channel]


async def dispatch_due(
    uow: UnitOfWork,
    sender: Sender,
    now: Callable[[], datetime],
    settings: DispatchSettings | None = None,
    rng: random.Random | None = None,
    stopping: asyncio.Event | None = None,
) -> DispatchReport:
    """Send everything due (and resolve what a crash interrupted), ``concurrency`` messages at a time.

    Once ``stopping`` is set no more rows are leased: the batch in flight ends and the pass returns, so a
    SIGTERM during a long backlog stops the process within a batch, not at the end of the backlog."""
    settings, rng = settings or DispatchSettings(), rng or random.Random()
    state = _Pass(uow, sender, now, settings, rng, DispatchReport())
    await recover_interrupted(uow, sender, now(), settings, state.report)
    with uow.begin() as repos:
        repos.early_statuses.prune(datetime.now(UTC) - EARLY_STATUSES_KEPT)
    gate = asyncio.Semaphore(settings.concurrency)
    rate = settings.rate_per_second
    # Under a cap, lease only what goes out within a few seconds: leased rows wait as "sending".
    lease = settings.batch if not rate else max(1, min(settings.batch, math.ceil(rate * 2)))
    handled = 0
    while handled < settings.max_per_pass and not (stopping is not None and stopping.is_set()):
        with uow.begin() as repos:
            leased = [_prepare(row, sender) for row in repos.outbox.lease_due(now(), lease)]
        if not leased:
            break
        handled += len(leased)

        async def one(item: Leased) -> None:
            async with gate:
                await _deliver(item, state)

        try:
            await asyncio.gather(*(one(item) for item in leased))
        finally:
            recorded, state.recorded = state.recorded, []
            _settle(uow, recorded)
    return state.report


async def _deliver(item: Leased, state: _Pass) -> None:
    uow, report = state.uow, state.report
    if item.failure is not None:
        state.finish(item.id, Status.FAILED, state.now(), reason=item.failure[:300])
        report.failed += 1
        report.reasons.append(item.failure)
        return
    sid = None
    if item.message is not None:
        await state.limiter(item.channel).wait()
        with uow.begin() as repos:
            attempts = repos.outbox.count_attempt(item.id, state.now())
        if attempts is None:
            return  # finished meanwhile (a late status callback): nothing to send
        sid = await _send(item, item.message, attempts, state)
        if sid is None:
            return
    # A web-inbox notification is delivered by being written: the shopper reads it when they open the chat.
    state.finish(item.id, Status.SENT, state.now(), provider_sid=sid, reason=None)
    report.sent += 1
    conversations = state.settings.conversations
    if conversations is not None and item.number and item.text:
        recipient = item.message.to if item.message is not None else _recipient(uow, item.id)
        if recipient:
            await conversations.record(recipient, item.text, item.number, item.locale)


def _recipient(uow: UnitOfWork, notification_id: int) -> str | None:
    with uow.begin() as repos:
        message = repos.outbox.get(notification_id)
        return message.recipient if message else None


async def _send(item: Leased, message: Outgoing, attempts: int, state: _Pass) -> str | None:
    """The provider's id, or None when the notification was put back (to retry or to look up)."""
    report = state.report
    # The provider's clock, not ours, dates the message: look it up by wall-clock time.
    sent_after = datetime.now(UTC) - LOOKUP_SKEW
    try:
        return await state.sender.send(message, state.settings.status_callback)
    except Permanent as error:
        state.finish(item.id, Status.FAILED, state.now(), reason=error.reason[:300])
        report.failed += 1
        report.reasons.append(error.reason)
    except RetryLater as error:
        _retry(state, item.id, attempts, error.reason)
    except Ambiguous as error:
        try:
            sid = await state.sender.find(message, sent_after)
        except RetryLater:
            # Neither sent nor known to be unsent: left "sending" for recovery to look up later.
            state.finish(item.id, Status.SENDING, state.now(), reason=f"outcome unknown ({error}); to look up")
            report.unresolved += 1
            return None
        if sid is not None:
            return sid
        _retry(state, item.id, attempts, f"not created ({error})")
    return None


def _retry(state: _Pass, notification_id: int, attempts: int, reason: str) -> None:
    moment = state.now()
    if attempts >= MAX_ATTEMPTS:
        state.finish(notification_id, Status.FAILED, moment, reason=f"gave up after {attempts} attempts: {reason}")
        state.report.failed += 1
        return
    later = moment + backoff(attempts, state.settings, state.rng)
    state.finish(notification_id, Status.PENDING, moment, not_before=later, reason=f"retrying: {reason}"[:300])
    state.report.retried += 1


async def recover_interrupted(
    uow: UnitOfWork, sender: Sender, moment: datetime, settings: DispatchSettings, report: DispatchReport
) -> None:
    """Rows left ``sending`` by a crash: adopt the message if the provider has it, else send it again later,
    after the rows already due (each send counts an attempt before the provider is asked, so a message that
    crashes the notifier fails after ``MAX_ATTEMPTS``; the rows a crash merely held were never tried).

    The stale rows are leased again in one short transaction (their ``updated_at`` set to ``moment``, so no other
    dispatcher sees them as stale; on PostgreSQL rows another one holds are skipped); the provider is asked
    outside any transaction, and each outcome is written only if the row is still as leased. No row lock is
    ever held while waiting for the network."""
    stale: list[tuple[int, Outgoing | None, datetime]] = []
    with uow.begin() as repos:
        for row in repos.outbox.stale(moment - settings.stale_after):
            sent_after = row.updated_at - LOOKUP_SKEW
            try:  # a web-inbox row has nothing at a provider: writing it again is the delivery
                outgoing = outgoing_for(row, sender)[0] if row.channel != Channel.WEB else None
            except (Unrenderable, Permanent):
                continue  # looked at again on the next pass
            stale.append((row.id, outgoing, sent_after))
        repos.outbox.touch([notification_id for notification_id, _, _ in stale], moment)
    for notification_id, outgoing, sent_after in stale:
        sid = None
        if outgoing is not None:
            try:
                sid = await sender.find(outgoing, sent_after)
            except (RetryLater, Permanent):
                continue  # stale again after stale_after: looked up on a later pass
        with uow.begin() as repos:
            current = repos.outbox.get(notification_id)
            if current is None or current.status is not Status.SENDING or current.updated_at != moment:
                continue  # finished meanwhile (a late status callback, another dispatcher)
            if sid is not None:
                repos.outbox.finish(notification_id, Status.SENT, current.updated_at, provider_sid=sid, reason=None)
            elif current.attempts >= MAX_ATTEMPTS:
                reason = f"gave up after {current.attempts} attempts"
                repos.outbox.finish(notification_id, Status.FAILED, current.updated_at, reason=reason)
            else:  # behind the ones already waiting: a crash loop does not land on the same rows each time
                reason, not_before = "interrupted before the provider accepted it", max(current.not_before, moment)
                repos.outbox.finish(
                    notification_id, Status.PENDING, current.updated_at, reason=reason, not_before=not_before
                )
        _settle(uow, [sid] if sid else [])
        report.recovered += 1
