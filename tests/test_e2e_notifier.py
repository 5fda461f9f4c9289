"""End to end: a promise breaks, the notification goes out, and the shopper's reply is answered about that parcel
by the real assistant (the notification and the parcel were written into their Rasa conversation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from notifications.conversation import RasaConversations
from notifications.detect import DetectSettings, detect
from notifications.dispatch import DispatchSettings, dispatch_due
from notifications.quiet_hours import QuietHours
from notifications.senders import SinkSender
from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = pytest.mark.e2e

NUMBER = "LP00099900000001"
PHONE = "+34612000077"


async def test_a_broken_promise_is_told_first_and_the_reply_is_about_that_parcel(stack: Stack) -> None:
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    record = shipment_record(
        NUMBER, order_ref="NOTIFY-1", paid_at=(now - timedelta(days=15)).isoformat(), customer_phone=PHONE
    )
    assert requests.post(f"{stack.web_url}/api/shipments", json=[record], headers=headers, timeout=30).ok
    event = event_record("n-1", "EDD", (now - timedelta(days=3)).isoformat(), NUMBER, location="Madrid, ES")
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok

    awake = QuietHours.parse("03:00-03:01")  # no waiting for the morning in a test
    # The stack's database holds other tests' parcels too: look for this one.
    report = detect(now, settings=DetectSettings(quiet_hours=awake))
    assert [r["kind"] for r in report.planned if r["variables"]["number"] == NUMBER] == ["promise_broken"]
    sink = SinkSender()
    conversations = RasaConversations(stack.rasa_url, stack.token)
    settings = DispatchSettings(conversations=conversations)
    try:
        assert (await dispatch_due(sink, lambda: datetime.now(UTC), settings=settings)).sent >= 1
    finally:
        await conversations.close()
    assert conversations.failures == 0
    [sent] = [message for _, message in sink.sent if message.to == f"whatsapp:{PHONE}"]
    assert NUMBER in (sent.body or "")

    sender = f"whatsapp:{PHONE}"
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30
    )
    events = tracker.json()["events"]
    assert any(e["event"] == "bot" and NUMBER in (e.get("text") or "") for e in events)
    assert stack.slot(sender, "tracking_numbers") == [NUMBER]

    [answer] = stack.chat(sender, "¿y dónde está ahora?")
    assert NUMBER in answer and "Madrid, ES" in answer
