"""Dispatch through the real twilio library to the loopback Twilio: once each, retried, never twice."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from notifications.detect import detect
from notifications.dispatch import DispatchReport, DispatchSettings, RateLimiter, dispatch_due, outgoing_for
from notifications.outbox import Status
from notifications.senders import Outgoing, SinkSender, TwilioSender
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Consent, Notification
from parcels.storage.outbox_store import outbox_message
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.twilio_loopback import TwilioLoopback, running_twilio

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

MADRID = ZoneInfo("Europe/Madrid")
PAID = datetime(2026, 11, 27, 11, tzinfo=MADRID)
NIGHT = datetime(2026, 12, 7, 0, 30, tzinfo=MADRID)  # the promise broke half an hour ago
MORNING = datetime(2026, 12, 7, 9, 0, 1, tzinfo=MADRID)
PHONES = ["+34600000011", "+34600000012", "+34600000013"]
SETTINGS = DispatchSettings(stale_after=timedelta(minutes=5))


@pytest.fixture
def broken(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES", "HX" + "b" * 32)
    register_shipments(
        UOW,
        [
            shipment_record(f"LP0001234567891{n}", order_ref=str(n), paid_at=PAID.isoformat(), customer_phone=phone)
            for n, phone in enumerate(PHONES)
        ],
    )
    ingest_events(
        UOW,
        [event_record(f"x-{n}", "EMA", "2026-11-28T10:00:00+01:00", f"LP0001234567891{n}") for n in range(3)],
        NIGHT,
    )
    assert detect(UOW, NIGHT).total == 3


@pytest.fixture
def twilio() -> Iterator[TwilioLoopback]:
    with running_twilio() as server:
        yield server


def broken_parcels(serials: range, phone_prefix: str) -> None:
    """Parcels whose promise broke the night before MORNING, each with its own phone (prefix + 2 digits)."""
    numbers = [f"LP{n:014d}" for n in serials]
    register_shipments(
        UOW,
        [
            shipment_record(number, order_ref=number, paid_at=PAID.isoformat(), customer_phone=f"{phone_prefix}{n:02d}")
            for n, number in enumerate(numbers)
        ],
    )
    ingest_events(
        UOW, [event_record(f"e-{number}", "EMA", "2026-11-28T10:00:00+01:00", number) for number in numbers], NIGHT
    )


def sender(server: TwilioLoopback, timeout: float = 2.0) -> TwilioSender:
    """The real async twilio client, pointed at the loopback (call it inside the event loop)."""
    return TwilioSender(
        server.account_sid,
        server.auth_token,
        "whatsapp:+14155238886",
        "+34911000000",
        timeout=timeout,
        http_client=server.async_http_client(),
    )


async def dispatch(server: TwilioLoopback, moment: datetime, **kwargs: Any) -> DispatchReport:
    twilio = sender(server)
    try:
        return await dispatch_due(UOW, twilio, at(moment), **kwargs)
    finally:
        await twilio.close()


def statuses() -> dict[str, str]:
    with session_scope() as session:
        return {n.recipient: n.status for n in session.scalars(select(Notification))}


def at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


async def test_nothing_goes_out_at_night_and_everything_in_the_morning(broken: None, twilio: TwilioLoopback) -> None:
    assert (await dispatch(twilio, NIGHT)).sent == 0
    report = await dispatch(twilio, MORNING)
    assert report.sent == 3
    assert set(statuses().values()) == {Status.SENT}
    created = twilio.creates()
    assert len(created) == 3
    form = created[0].form
    assert form["ContentSid"] == "HX" + "b" * 32 and form["To"].startswith("whatsapp:+346")
    assert "LP0001234567891" in form["ContentVariables"]
    assert (await dispatch(twilio, MORNING + timedelta(hours=1))).sent == 0  # nothing twice


async def test_rate_limits_are_retried_later_with_backoff(broken: None, twilio: TwilioLoopback) -> None:
    twilio.fail_next(3, status=429)
    report = await dispatch(twilio, MORNING, rng=random.Random(1))
    assert (report.sent, report.retried) == (0, 3)
    with session_scope() as session:
        for row in session.scalars(select(Notification)):
            assert row.status == Status.PENDING and row.not_before > MORNING and "rate limited" in row.reason
    assert (await dispatch(twilio, MORNING + timedelta(minutes=2))).sent == 3
    assert len(twilio.messages) == 3


async def test_an_ambiguous_failure_is_looked_up_not_sent_again(broken: None, twilio: TwilioLoopback) -> None:
    twilio.fail_next(1, status=500, accept=True)  # Twilio created it, but answered 500
    twilio.drop_next(1, accept=True)  # created, then the connection dropped
    report = await dispatch(twilio, MORNING)
    assert report.sent == 3 and report.retried == 0
    assert len(twilio.messages) == 3  # one each, no duplicates
    with session_scope() as session:
        sids = {row.provider_sid for row in session.scalars(select(Notification))}
    assert sids == {m["sid"] for m in twilio.messages}


async def test_a_timeout_is_resolved_by_looking_the_message_up(broken: None, twilio: TwilioLoopback) -> None:
    twilio.timeout_next(1, hang=1.5, accept=True)  # created, but we stopped waiting for the answer
    twilio.timeout_next(1, hang=1.5, accept=False)  # never created
    report = await dispatch(twilio, MORNING, settings=DispatchSettings(), rng=random.Random(2))
    assert (report.sent, report.retried) == (2, 1)
    assert len(twilio.messages) == 2  # the timed-out one that was created is adopted, not sent again
    assert (await dispatch(twilio, MORNING + timedelta(hours=2))).sent == 1
    assert len(twilio.messages) == 3


async def test_when_twilio_cannot_be_reached_nothing_is_lost(broken: None) -> None:
    with running_twilio() as server:
        url = server.base_url
    down = TwilioSender("AC" + "0" * 32, "x", "whatsapp:+14155238886", None, http_client=_pointed_at(url))
    try:
        report = await dispatch_due(UOW, down, at(MORNING), rng=random.Random(3))
    finally:
        await down.close()
    assert (report.sent, report.retried) == (0, 3)  # refused before anything was sent: simply later
    assert set(statuses().values()) == {Status.PENDING}


def _pointed_at(url: str) -> Any:
    from tests.twilio_loopback import AsyncRedirectingHttpClient

    return AsyncRedirectingHttpClient(url)


async def test_the_cap_holds_however_many_are_in_flight(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES", "HX" + "b" * 32)
    broken_parcels(range(100, 130), "+346000001")
    assert detect(UOW, NIGHT).total == 30
    with running_twilio(latency=0.02) as server:
        started = time.monotonic()
        report = await dispatch(server, MORNING, settings=DispatchSettings(rate_per_second=20, concurrency=64))
        took = time.monotonic() - started
        assert report.sent == 30
        assert server.peak_rate(window=1.0) <= 20
    assert took >= 29 / 20  # spread evenly, not sent in a burst and then held


async def test_permanent_errors_end_the_notification_with_a_reason(broken: None) -> None:
    with running_twilio(opted_out=[PHONES[0]]) as server:
        report = await dispatch(server, MORNING)
    assert (report.sent, report.failed) == (2, 1)
    with session_scope() as session:
        [failed] = session.scalars(select(Notification).where(Notification.status == Status.FAILED))
        assert failed.recipient == PHONES[0] and "opted out" in failed.reason


async def test_an_interrupted_send_is_adopted_not_sent_again(broken: None, twilio: TwilioLoopback) -> None:
    # The crash: the row was marked sending and Twilio accepted the message, but its sid was never recorded.
    real_now = datetime.now(UTC)
    first = sender(twilio)
    with session_scope() as session:
        row = session.scalars(select(Notification).order_by(Notification.id)).first()
        assert row is not None
        row.status, row.attempts, row.updated_at = Status.SENDING, 1, real_now - timedelta(minutes=10)
        recipient = row.recipient
        accepted = await first.send(outgoing_for(outbox_message(row), first)[0], None)
    await first.close()
    report = await dispatch(twilio, real_now)  # the other two go too when real_now is outside quiet hours
    assert report.recovered == 1
    to_recipient = [m for m in twilio.messages if m["to"].removeprefix("whatsapp:") == recipient]
    assert [m["sid"] for m in to_recipient] == [accepted]  # adopted, not sent again
    with session_scope() as session:
        recovered = session.scalars(select(Notification).where(Notification.provider_sid == accepted)).one()
        assert recovered.status == Status.SENT


async def test_without_credentials_messages_go_to_the_local_sink(broken: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES")
    sink = SinkSender()
    assert (await dispatch_due(UOW, sink, at(MORNING))).sent == 3
    to, message = sink.sent[0][1].to, sink.sent[0][1]
    assert to.startswith("whatsapp:+346") and message.body and "LP0001234567891" in message.body


async def test_a_stop_ends_the_pass_after_the_batch_in_flight(broken: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES")
    stopping = asyncio.Event()

    class StoppedAfterOne(SinkSender):
        async def send(self, message: Outgoing, status_callback: str | None) -> str:
            stopping.set()  # SIGTERM while the first message is on its way
            return await super().send(message, status_callback)

    sink = StoppedAfterOne()
    report = await dispatch_due(UOW, sink, at(MORNING), settings=DispatchSettings(batch=1), stopping=stopping)
    assert report.sent == len(sink.sent) == 1
    assert sorted(statuses().values()) == ["pending", "pending", "sent"]  # the rest waits for the next process
    assert (await dispatch_due(UOW, SinkSender(), at(MORNING))).sent == 2


async def test_the_rate_cap_spreads_calls() -> None:
    limiter, released = RateLimiter(50), []
    for _ in range(5):
        await limiter.wait()
        released.append(time.monotonic())
    assert min(b - a for a, b in itertools.pairwise(released)) >= 1 / 50
    assert RateLimiter(None).interval == 0


def test_two_dispatchers_at_once_send_each_message_once(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES", "HX" + "b" * 32)
    broken_parcels(range(200, 260), "+346000002")
    assert detect(UOW, NIGHT).total == 60
    reports: list[DispatchReport] = []
    with running_twilio(latency=0.01) as server:
        settings = DispatchSettings(batch=7, concurrency=4)

        def notifier() -> None:
            reports.append(asyncio.run(dispatch(server, MORNING, settings=settings)))

        threads = [threading.Thread(target=notifier) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(m["to"] for m in server.messages) == sorted(f"whatsapp:+346000002{n:02d}" for n in range(60))
    assert sum(r.sent for r in reports) == 60
    assert set(statuses().values()) == {Status.SENT}


async def test_sms_goes_as_text_and_the_web_inbox_needs_no_provider(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_shipments(
        UOW,
        [
            shipment_record("LP00012345678931", order_ref="s", paid_at=PAID.isoformat(), customer_channel="sms"),
            shipment_record("LP00012345678932", order_ref="w", paid_at=PAID.isoformat(), customer_phone=None),
        ],
    )
    ingest_events(
        UOW, [event_record(f"m-{n}", "EMA", "2026-11-28T10:00:00+01:00", f"LP0001234567893{n}") for n in (1, 2)], NIGHT
    )
    assert detect(UOW, NIGHT).total == 2
    with running_twilio() as server:
        report = await dispatch(server, MORNING)
        [sms] = server.creates()
    assert report.sent == 2
    assert sms.form["To"] == "+34612345678" and sms.form["From"] == "+34911000000"
    assert "LP00012345678931" in sms.form["Body"] and "ContentSid" not in sms.form
    with session_scope() as session:
        web = session.scalars(select(Notification).where(Notification.channel == "web")).one()
        assert web.status == Status.SENT and web.provider_sid is None and web.recipient.startswith("inbox-")


async def test_opting_out_while_a_message_waits_for_the_morning_cancels_it(
    broken: None, twilio: TwilioLoopback
) -> None:
    with session_scope() as session:
        session.add(
            Consent(phone=PHONES[1], channel="whatsapp", purpose="service", action="opt_out", text="BAJA", at=NIGHT)
        )
    report = await dispatch(twilio, MORNING)
    assert report.sent == 2 and len(twilio.messages) == 2
    assert statuses()[PHONES[1]] == Status.SKIPPED
