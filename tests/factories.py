"""Small builders of API records and database rows for the tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parcels.storage.models import Notification


def shipment_record(number: str = "LP00012345678901", **overrides: Any) -> dict[str, Any]:
    record = {
        "tracking_number": number,
        "order_ref": "ORD-1",
        "product": "CHOICE_9",
        "paid_at": "2026-11-27T11:00:00+01:00",
        "destination_postal_code": "28013",
        "destination_city": "Madrid",
        "customer_name": "Lucía Martín",
        "customer_phone": "+34612345678",
        "customer_locale": "es",
    }
    record.update(overrides)
    return record


def event_record(
    event_id: str, code: str, occurred_at: str, number: str = "LP00012345678901", **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "tracking_number": number,
        "code": code,
        "occurred_at": occurred_at,
        "location": "Shenzhen, CN",
        **extra,
    }


def notification_row(shipment_id: int, status: str, at: datetime, **overrides: Any) -> Notification:
    """A "promise broken" WhatsApp notification of ``shipment_id``, one attempt made, at ``status``."""
    values: dict[str, Any] = {
        "dedupe_key": f"{shipment_id}:promise_broken",
        "shipment_id": shipment_id,
        "kind": "promise_broken",
        "channel": "whatsapp",
        "recipient": "+34612345678",
        "locale": "es",
        "variables": {},
        "status": status,
        "not_before": at,
        "attempts": 1,
        "created_at": at,
        "updated_at": at,
    }
    values.update(overrides)
    return Notification(**values)
