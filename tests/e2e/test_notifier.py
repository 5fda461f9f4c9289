"""End to end, the issue's story on the real stack (rasa with the WhatsApp connector, actions, web) and the
loopback Twilio through the real async `twilio` client.

A promise breaks; the notifier tells the shopper on WhatsApp with the approved template; Twilio's status
callbacks (signed) move the message to read in the outbox; the shopper's reply, a signed Twilio webhook, is
answered about that very parcel. Another shopper who wrote BAJA gets nothing.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from notifications.conversation import RasaConversations
from notifications.detect import DetectSettings, detect
from notifications.dispatch import DispatchSettings, dispatch_due
from notifications.outbox import Status
from notifications.quiet_hours import QuietHours
from notifications.senders import TwilioSender
from parcels.storage.db import session_scope
from parcels.storage.models import Notification
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.processes import Stack

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

pytestmark = pytest.mark.e2e

NUMBER, PHONE = "LP00099900000001", "+34612000077"
SILENT_NUMBER, SILENT_PHONE = "LP00099900000002", "+34612000078"
CONTENT_SID = "HX" + "d" * 32


def twiml(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [message.text or "" for message in ET.fromstring(response.content).iter("Message")]


def load(stack: Stack, now: datetime) -> None:
    headers = {"X-Api-Key": stack.api_key}
    paid = (now - timedelta(days=15)).isoformat()
    records = [
        shipment_record(NUMBER, order_ref="NOTIFY-1", paid_at=paid, customer_phone=PHONE),
        shipment_record(SILENT_NUMBER, order_ref="NOTIFY-2", paid_at=paid, customer_phone=SILENT_PHONE),
    ]
    assert requests.post(f"{stack.web_url}/api/shipments", json=records, headers=headers, timeout=30).ok
    seen = (now - timedelta(days=3)).isoformat()
    events = [
        event_record("n-1", "EDD", seen, NUMBER, location="Madrid, ES"),
        event_record("n-2", "EDD", seen, SILENT_NUMBER, location="Madrid, ES"),
    ]
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=events, headers=headers, timeout=30).ok


def status_of(number: str) -> str:
    with session_scope() as session:
        return session.scalars(
            select(Notification.status).where(Notification.variables["number"].as_string() == number)
        ).one()


async def test_a_broken_promise_is_told_on_whatsapp_and_the_reply_is_about_that_parcel(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_CONTENT_SID_PROMISE_BROKEN_ES", CONTENT_SID)
    now = datetime.now(UTC)
    load(stack, now)
    [done] = twiml(stack.whatsapp(f"whatsapp:{SILENT_PHONE}", "BAJA"))
    assert "ALTA" in done

    awake = QuietHours.parse("03:00-03:01")  # no waiting for the morning in a test
    report = detect(UOW, now, settings=DetectSettings(quiet_hours=awake))
    # The stack's database holds other tests' parcels too: look at these two.
    ours = {r["variables"]["number"]: r for r in report.planned if r["variables"]["number"] in (NUMBER, SILENT_NUMBER)}
    assert ours[NUMBER]["kind"] == "promise_broken" and ours[NUMBER]["status"] == Status.PENDING
    assert ours[SILENT_NUMBER]["status"] == Status.SKIPPED

    twilio = stack.twilio
    twilio.auto_statuses = ["sent", "delivered", "read"]
    try:
        sender = TwilioSender(
            twilio.account_sid, twilio.auth_token, "whatsapp:+14155238886", None, http_client=twilio.async_http_client()
        )
        conversations = RasaConversations(stack.rasa_url, stack.token)
        settings = DispatchSettings(status_callback=stack.status_callback_url, conversations=conversations)
        try:
            await dispatch_due(UOW, sender, lambda: datetime.now(UTC), settings=settings)
        finally:
            await sender.close()
            await conversations.close()
        assert conversations.failures == 0
        to_us = [r for r in twilio.creates() if r.form["To"] == f"whatsapp:{PHONE}"]
        assert [r.form["ContentSid"] for r in to_us] == [CONTENT_SID]
        assert NUMBER in to_us[0].form["ContentVariables"]
        assert not [r for r in twilio.creates() if r.form["To"] == f"whatsapp:{SILENT_PHONE}"]
        deadline = time.monotonic() + 30
        while status_of(NUMBER) != Status.READ:  # Twilio's signed callbacks reach web's /twilio/status
            assert time.monotonic() < deadline, f"still {status_of(NUMBER)}"
            time.sleep(0.1)
    finally:
        twilio.auto_statuses = None

    [answer] = twiml(stack.whatsapp(f"whatsapp:{PHONE}", "¿y dónde está ahora?"))
    assert NUMBER in answer and "Madrid, ES" in answer
    assert status_of(SILENT_NUMBER) == Status.SKIPPED
