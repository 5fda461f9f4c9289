"""The SQL repository that registers shipments and stores their tracking events.

A customer is one per phone number: a shipment for a known number joins that customer (and the shop's latest
choice of channel, if it sends one, replaces theirs). Storing events refreshes each touched shipment's
progress columns (its latest stage and event), which detection reads without the events.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from parcels.shipment_records import IncomingEvent, NewShipment
from parcels.storage import queries
from parcels.storage.models import Customer, Shipment, TrackingEvent


class ShipmentRepository(Protocol):
    def known(self, tracking_numbers: Collection[str]) -> set[str]:
        """Those of ``tracking_numbers`` already registered."""
        ...

    def add(self, new: NewShipment, market_code: str, promised_date: date, deadline_at: datetime) -> None: ...

    def ids_of(self, tracking_numbers: Iterable[str]) -> dict[str, int]: ...

    def stored_event_ids(self, event_ids: Iterable[str]) -> set[str]: ...

    def add_events(self, events: Sequence[tuple[int, IncomingEvent]], received_at: datetime) -> None:
        """Store the events (each with its shipment's id) and refresh their shipments' progress."""
        ...

    def choose_language(self, phone: str, language: str) -> int:
        """The language the customer with this phone asked to be written to in; how many records took it."""
        ...


class SqlShipments:
    def __init__(self, session: Session) -> None:
        self._session = session

    def known(self, tracking_numbers: Collection[str]) -> set[str]:
        if not tracking_numbers:
            return set()
        found = self._session.scalars(
            select(Shipment.tracking_number).where(Shipment.tracking_number.in_(tracking_numbers))
        )
        return set(found)

    def add(self, new: NewShipment, market_code: str, promised_date: date, deadline_at: datetime) -> None:
        self._session.add(
            Shipment(
                tracking_number=new.tracking_number,
                order_ref=new.order_ref,
                customer=self._customer(new),
                product_code=new.product_code,
                market_code=market_code,
                destination_postal_code=new.postal_code,
                destination_city=new.city,
                paid_at=new.paid_at,
                promised_date=promised_date,
                deadline_at=deadline_at,
            )
        )

    def _customer(self, new: NewShipment) -> Customer:
        if new.customer_phone:
            existing = self._session.scalars(
                select(Customer).where(Customer.phone == new.customer_phone).limit(1)
            ).first()
            if existing is not None:
                if new.customer_channel:  # the shop tells us the customer's latest choice
                    existing.preferred_channel = new.customer_channel
                return existing
        customer = Customer(
            name=new.customer_name,
            phone=new.customer_phone,
            email=new.customer_email,
            locale=new.customer_locale,
            preferred_channel=new.customer_channel,
        )
        self._session.add(customer)
        return customer

    def ids_of(self, tracking_numbers: Iterable[str]) -> dict[str, int]:
        return queries.shipment_ids(self._session, tracking_numbers)

    def choose_language(self, phone: str, language: str) -> int:
        changed = self._session.execute(
            update(Customer).where(Customer.phone == phone, Customer.locale != language).values(locale=language)
        )
        return int(getattr(changed, "rowcount", 0) or 0)

    def stored_event_ids(self, event_ids: Iterable[str]) -> set[str]:
        return queries.existing_event_ids(self._session, event_ids)

    def add_events(self, events: Sequence[tuple[int, IncomingEvent]], received_at: datetime) -> None:
        self._session.add_all(
            TrackingEvent(
                event_id=event.event_id,
                shipment_id=shipment_id,
                code=event.code,
                stage=event.stage,
                kind=event.kind,
                occurred_at=event.occurred_at,
                location=event.location,
                received_at=received_at,
            )
            for shipment_id, event in events
        )
        self._session.flush()
        queries.refresh_progress(self._session, {shipment_id for shipment_id, _ in events}, received_at)
