"""The dispatcher and the provider's statuses on the unit of work's fakes: no database, no Twilio."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications.dispatch import DispatchSettings, dispatch_due
from notifications.outbox import Channel, Kind, Status, dedupe_key
from notifications.provider_status import KEPT, record, settle
from notifications.senders import Outgoing, SinkSender
from parcels.outbox_records import ConsentRecord
from parcels.storage.memory import MemoryUnitOfWork
from templates.manifest import samples

NOW = datetime(2026, 12, 3, 11, tzinfo=UTC)


def row(shipment_id: int, channel: Channel, recipient: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dedupe_key": dedupe_key(shipment_id, Kind.COMPENSATION_GRANTED),
        "shipment_id": shipment_id,
        "kind": str(Kind.COMPENSATION_GRANTED),
        "channel": str(channel),
        "recipient": recipient,
        "reason": None,
        "locale": "es",
        "variables": {key: str(value) for key, value in samples("compensation_granted")[0].items()},
        "status": str(Status.PENDING),
        "not_before": NOW,
        "attempts": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return values | overrides


def outbox_of(uow: MemoryUnitOfWork) -> dict[int, tuple[Status, str | None]]:
    return {n.shipment_id: (n.status, n.reason) for n in uow.state.notifications.values()}


def dispatch(uow: MemoryUnitOfWork, sender: SinkSender, **settings: Any) -> Any:
    return asyncio.run(dispatch_due(uow, sender, lambda: NOW, settings=DispatchSettings(**settings)))


def test_due_messages_are_sent_once_and_the_opted_out_skipped() -> None:
    uow, sink = MemoryUnitOfWork(), SinkSender()
    with uow.begin() as repos:
        repos.outbox.enqueue([row(1, Channel.WHATSAPP, "+34600000001"), row(2, Channel.SMS, "+34600000002")])
        repos.outbox.enqueue([row(1, Channel.WHATSAPP, "+34600000001")])  # the same key again: nothing new
        repos.outbox.enqueue([row(3, Channel.WEB, "inbox-abc"), row(4, Channel.SMS, "+34600000004")])
        repos.outbox.enqueue([row(5, Channel.SMS, "+34600000005", not_before=NOW + timedelta(hours=1))])
        repos.consents.add(ConsentRecord("+34600000004", "sms", "service", "opt_out", "BAJA", NOW - timedelta(days=1)))
    report = dispatch(uow, sink)
    assert (report.sent, report.failed) == (3, 0)
    assert sorted(message.to for _, message in sink.sent) == ["+34600000002", "whatsapp:+34600000001"]
    statuses = outbox_of(uow)
    assert [statuses[n][0] for n in (1, 2, 3)] == [Status.SENT] * 3  # the web inbox's is sent by being written
    assert statuses[4] == (Status.SKIPPED, "the customer opted out before it was sent")
    assert statuses[5] == (Status.PENDING, None)  # not yet due
    assert dispatch(uow, sink).sent == 0 and len(sink.sent) == 2  # nothing sent twice


def test_an_unrenderable_message_fails_with_its_reason() -> None:
    uow = MemoryUnitOfWork()
    with uow.begin() as repos:
        repos.outbox.enqueue([row(1, Channel.SMS, "+34600000001", kind="no_such_message")])
    report = dispatch(uow, SinkSender())
    assert report.failed == 1
    status, reason = outbox_of(uow)[1]
    assert status is Status.FAILED and reason is not None and reason.startswith("cannot be rendered")


def test_a_status_that_comes_before_its_id_is_kept_and_settled_once_the_id_is_recorded() -> None:
    uow, sink = MemoryUnitOfWork(), SinkSender()
    with uow.begin() as repos:
        repos.outbox.enqueue([row(1, Channel.SMS, "+34600000001")])
    with uow.begin() as repos:
        assert record(repos, "SM1", "delivered", None, NOW) == KEPT
    with uow.begin() as repos:
        [leased] = repos.outbox.lease_due(NOW, 10)
        repos.outbox.finish(leased.id, Status.SENT, NOW, provider_sid="SM1")
    with uow.begin() as repos:
        assert settle(repos, "SM1") == 1
        assert record(repos, "SM1", "sent", None, NOW).endswith("already as far on")  # never backwards
        assert repos.early_statuses.of("SM1") == []
    assert outbox_of(uow)[1] == (Status.DELIVERED, None)
    assert sink.sent == []


def test_statuses_that_beat_their_ids_are_settled_when_the_batch_ends() -> None:
    uow = MemoryUnitOfWork()
    with uow.begin() as repos:
        repos.outbox.enqueue([row(n, Channel.SMS, f"+3460000000{n}") for n in (1, 2, 3)])

    class CallbackFirst(SinkSender):
        async def send(self, message: Outgoing, status_callback: str | None) -> str:
            sid = await super().send(message, status_callback)
            with uow.begin() as repos:  # the provider's callback, before create() has returned
                assert record(repos, sid, "delivered", None, NOW) == KEPT
            return sid

    assert dispatch(uow, CallbackFirst()).sent == 3
    assert [outbox_of(uow)[n] for n in (1, 2, 3)] == [(Status.DELIVERED, None)] * 3
    assert uow.state.early_statuses == {}  # applied, then dropped
