"""Dispatch through the real twilio library to the loopback Twilio: once each, retried, never twice."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from notifications.detect import Status, detect
from notifications.dispatch import DispatchSettings, RateLimiter, dispatch_due, outgoing_for
from notifications.senders import SinkSender, TwilioSender
from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Notification
from tests.factories import event_record, shipment_record
from tests.twilio_loopback import TwilioLoopback, running_twilio

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
        [
            shipment_record(f"LP0001234567891{n}", order_ref=str(n), paid_at=PAID.isoformat(), customer_phone=phone)
            for n, phone in enumerate(PHONES)
        ]
    )
    ingest_events(
        [event_record(f"x-{n}", "EMA", "2026-11-28T10:00:00+01:00", f"LP0001234567891{n}") for n in range(3)], NIGHT
    )
    assert detect(NIGHT).total == 3


@pytest.fixture
def twilio() -> Iterator[TwilioLoopback]:
    with running_twilio() as server:
        yield server


def sender(server: TwilioLoopback, timeout: float = 2.0) -> TwilioSender:
    http = server.http_client(timeout=timeout)
    return TwilioSender(
        server.account_sid, server.auth_token, "whatsapp:+14155238886", "+34911000000", http_client=http
    )


def statuses() -> dict[str, str]:
    with session_scope() as session:
        return {n.recipient: n.status for n in session.scalars(select(Notification))}


def at(moment: datetime):  # type: ignore[no-untyped-def]
    return lambda: moment


def test_nothing_goes_out_in_the_night_and_everything_in_the_morning(broken: None, twilio: TwilioLoopback) -> None:
    assert dispatch_due(sender(twilio), at(NIGHT)).sent == 0
    report = dispatch_due(sender(twilio), at(MORNING))
    assert report.sent == 3
    assert set(statuses().values()) == {Status.SENT}
    created = twilio.creates()
    assert len(created) == 3
    form = created[0].form
    assert form["ContentSid"] == "HX" + "b" * 32 and form["To"].startswith("whatsapp:+346")
    assert "LP0001234567891" in form["ContentVariables"]
    assert dispatch_due(sender(twilio), at(MORNING + timedelta(hours=1))).sent == 0  # nothing twice


def test_rate_limits_are_retried_later_with_backoff(broken: None, twilio: TwilioLoopback) -> None:
    twilio.fail_next(3, status=429)
    report = dispatch_due(sender(twilio), at(MORNING), rng=random.Random(1))
    assert (report.sent, report.retried) == (0, 3)
    with session_scope() as session:
        for row in session.scalars(select(Notification)):
            assert row.status == Status.PENDING and row.not_before > MORNING and "rate limited" in row.reason
    assert dispatch_due(sender(twilio), at(MORNING + timedelta(minutes=2))).sent == 3
    assert len(twilio.messages) == 3


def test_an_ambiguous_failure_is_looked_up_not_sent_again(broken: None, twilio: TwilioLoopback) -> None:
    twilio.fail_next(1, status=500, accept=True)  # Twilio created it, but answered 500
    twilio.drop_next(1, accept=True)  # created, then the connection dropped
    report = dispatch_due(sender(twilio), at(MORNING))
    assert report.sent == 3 and report.retried == 0
    assert len(twilio.messages) == 3  # one each, no duplicates
    with session_scope() as session:
        sids = {row.provider_sid for row in session.scalars(select(Notification))}
    assert sids == {m["sid"] for m in twilio.messages}


def test_permanent_errors_end_the_notification_with_a_reason(broken: None) -> None:
    with running_twilio(opted_out=[PHONES[0]]) as server:
        report = dispatch_due(sender(server), at(MORNING))
    assert (report.sent, report.failed) == (2, 1)
    with session_scope() as session:
        [failed] = session.scalars(select(Notification).where(Notification.status == Status.FAILED))
        assert failed.recipient == PHONES[0] and "opted out" in failed.reason


def test_a_crash_between_acceptance_and_our_commit_sends_nothing_twice(broken: None, twilio: TwilioLoopback) -> None:
    # The crash: the row was marked sending and Twilio accepted the message, but its sid was never recorded.
    real_now = datetime.now(UTC)
    first = sender(twilio)
    with session_scope() as session:
        row = session.scalars(select(Notification).order_by(Notification.id)).first()
        assert row is not None
        row.status, row.attempts, row.updated_at = Status.SENDING, 1, real_now - timedelta(minutes=10)
        accepted = first.send(outgoing_for(row, first), None)
    report = dispatch_due(sender(twilio), at(real_now))
    assert report.recovered == 1
    assert len(twilio.messages) == 1  # adopted, not sent again
    with session_scope() as session:
        recovered = session.scalars(select(Notification).where(Notification.provider_sid == accepted)).one()
        assert recovered.status == Status.SENT


def test_without_credentials_messages_go_to_the_local_sink(broken: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES")
    sink = SinkSender()
    assert dispatch_due(sink, at(MORNING)).sent == 3
    to, message = sink.sent[0][1].to, sink.sent[0][1]
    assert to.startswith("whatsapp:+346") and message.body and "LP0001234567891" in message.body


def test_the_rate_cap_spreads_calls() -> None:
    ticks = iter([0.0, 0.0, 0.0])
    limiter = RateLimiter(10, clock=lambda: next(ticks))
    limiter.wait()
    assert limiter.next_at == pytest.approx(0.1)
    assert RateLimiter(None).interval == 0
