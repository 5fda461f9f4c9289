"""What the notifier's detection reads of storage, as plain values: whom a parcel's messages reach, each
candidate shipment with its facts and events, what the at-risk forecast knows of an open promise, and a claim
granted on application. Storage hands these out; no ORM row leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from parcels.status import Event, ShipmentFacts


@dataclass(frozen=True, slots=True)
class Contact:
    """A customer as the notifier reaches them."""

    id: int
    phone: str | None
    locale: str
    preferred_channel: str | None  # whatsapp | sms | web; None: no preference
    inbox_key: str | None  # their web chat inbox; None: not made yet


@dataclass(frozen=True, slots=True)
class DetectedShipment:
    """A candidate shipment: its facts and events in time order, when it was delivered, and whose it is."""

    id: int
    facts: ShipmentFacts
    events: list[Event]
    delivered_at: datetime | None
    contact: Contact | None


@dataclass(frozen=True, slots=True)
class Forecast:
    """What a shipment's row says of an open promise's latest event, for the at-risk forecast."""

    id: int
    product_code: str
    current_stage: int | None
    last_event_at: datetime | None
    paid_at: datetime
    deadline_at: datetime
    returned: bool  # it has a return event


@dataclass(frozen=True, slots=True)
class GrantedClaim:
    """A claim granted after it was applied for, as its notification tells it."""

    shipment_id: int
    tracking_number: str
    amount: Decimal
    currency: str
    form: str
    reference: str
