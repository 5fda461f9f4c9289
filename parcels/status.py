"""Where a parcel is and whether it is on track: a pure summary of its events.

No database, clock or network here: the caller passes the shipment, its events and
the current time, and gets back everything the assistant needs to answer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from parcels.stages import Cause, EventKind, Stage


class Progress(enum.StrEnum):
    AWAITING_COLLECTION = "awaiting_collection"  # registered, no event yet
    ON_TRACK = "on_track"
    LATE = "late"
    HELD_IN_CUSTOMS = "held_in_customs"
    DELIVERY_FAILED = "delivery_failed"
    AT_PICKUP_POINT = "at_pickup_point"
    DELIVERED_ON_TIME = "delivered_on_time"
    DELIVERED_LATE = "delivered_late"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    code: str
    stage: Stage
    kind: EventKind
    occurred_at: datetime
    location: str | None = None
    cause: Cause | None = None


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    tracking_number: str
    product_code: str
    market_code: str
    destination_postal_code: str
    destination_city: str | None
    paid_at: datetime
    promised_date: date
    deadline_at: datetime  # exclusive end of the promised day
    time_zone: str


@dataclass(frozen=True, slots=True)
class ParcelStatus:
    shipment: ShipmentFacts
    progress: Progress
    stage: Stage | None
    last_event: Event | None
    first_attempt_at: datetime | None
    delivered_at: datetime | None
    deadline_passed: bool
    on_time: bool  # the promise holds so far: delivered or attempted in time, or not yet due

    @property
    def finished(self) -> bool:
        return self.progress in {Progress.DELIVERED_ON_TIME, Progress.DELIVERED_LATE, Progress.RETURNED}


_ATTEMPTS = {EventKind.ATTEMPT_FAILED, EventKind.DELIVERED}


def ordered(events: Iterable[Event]) -> list[Event]:
    """Events in the order they happened, whatever order they arrived in."""
    return sorted(events, key=lambda e: (e.occurred_at, e.stage, e.event_id))


def summarize(shipment: ShipmentFacts, events: Iterable[Event], now: datetime) -> ParcelStatus:
    history = ordered(events)
    last = history[-1] if history else None
    first_attempt = next((e.occurred_at for e in history if e.kind in _ATTEMPTS), None)
    delivered = next((e.occurred_at for e in history if e.kind is EventKind.DELIVERED), None)
    deadline_passed = now >= shipment.deadline_at
    on_time = first_attempt < shipment.deadline_at if first_attempt is not None else not deadline_passed

    if last is None:
        progress = Progress.AWAITING_COLLECTION if on_time else Progress.LATE
    elif delivered is not None:
        progress = Progress.DELIVERED_ON_TIME if on_time else Progress.DELIVERED_LATE
    elif last.kind is EventKind.RETURNED:
        progress = Progress.RETURNED
    elif last.kind is EventKind.CUSTOMS_HOLD:
        progress = Progress.HELD_IN_CUSTOMS
    elif last.kind is EventKind.ATTEMPT_FAILED:
        progress = Progress.DELIVERY_FAILED
    elif last.kind is EventKind.AT_PICKUP_POINT:
        progress = Progress.AT_PICKUP_POINT
    else:
        progress = Progress.ON_TRACK if on_time else Progress.LATE

    return ParcelStatus(
        shipment=shipment,
        progress=progress,
        stage=last.stage if last else None,
        last_event=last,
        first_attempt_at=first_attempt,
        delivered_at=delivered,
        deadline_passed=deadline_passed,
        on_time=on_time,
    )
