"""What the carrier's systems send us, once read and checked: a shipment to register, a tracking event to store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class NewShipment:
    tracking_number: str
    order_ref: str | None
    product_code: str
    paid_at: datetime
    postal_code: str
    city: str | None
    customer_name: str
    customer_phone: str | None
    customer_email: str | None
    customer_locale: str
    customer_channel: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    event_id: str
    tracking_number: str
    code: str
    stage: int
    kind: str
    occurred_at: datetime
    location: str | None
