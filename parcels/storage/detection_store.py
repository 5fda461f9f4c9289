"""The notifier's detection, its SQL repository: which shipments may call for a notification, what each
candidate's promise is decided from, and the customers' web inbox keys.

Scales by query, not by table size: only shipments whose state could have changed since the last pass are
read (deadline and delivery columns are indexed), and shipments that already have a notification of that
kind are left out in SQL. A batch's shipments, customers and events are read as plain rows, not ORM
objects: a pass reads tens of thousands of them, and an ORM object costs many times what its values do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session

from parcels.claim_records import ClaimStatus
from parcels.detection_records import Contact, DetectedShipment, Forecast, GrantedClaim
from parcels.outbox_records import Kind
from parcels.policy import Grant, Policy, current_policy
from parcels.promise import arrival_horizon
from parcels.stages import EventKind, Stage
from parcels.status import ShipmentFacts
from parcels.storage import queries
from parcels.storage.models import Claim, Customer, Notification, Shipment, TrackingEvent

# Claims granted after being applied for. An automatic grant is approved in the very
# conversation that files it: the shopper was told there, and gets no second message.
GRANTED = (str(ClaimStatus.APPROVED), str(ClaimStatus.PAID))


class DetectionRepository(Protocol):
    def due(
        self, now: datetime, deadlines_after: datetime, learnt_after: datetime, by_progress: bool
    ) -> list[tuple[int, Kind]]:
        """(shipment id, kind) of the promises broken (undelivered, due after ``deadlines_after`` and by
        ``now``) and of the late deliveries learnt of after ``learnt_after`` (by when we learnt of them if
        ``by_progress``, else by when they happened), not yet notified of that kind; in id order within each
        kind."""
        ...

    def forecast(self, now: datetime, until: datetime, policy: Policy) -> list[Forecast]:
        """The open promises due after ``now`` and by ``until``, never attempted, not yet told at risk, that
        the parcel could miss (``parcels.promise.arrival_horizon``, returned, or an event later than now);
        in id order."""
        ...

    def granted(self, start: datetime) -> list[int]:
        """The shipments whose claim was granted on application after ``start``, not yet told so; in order."""
        ...

    def shipments(self, shipment_ids: Collection[int]) -> dict[int, DetectedShipment]:
        """These shipments, each with its events in time order and its customer, by id."""
        ...

    def granted_claims(self, shipment_ids: Collection[int]) -> dict[int, GrantedClaim]:
        """The granted claims of these shipments, by shipment id."""
        ...

    def customer_of(self, tracking_number: str) -> int | None:
        """The id of the parcel's customer; None: no such parcel, or it has no customer."""
        ...

    def give_inbox_keys(self, keys: Mapping[int, str]) -> None:
        """Give each customer (by id) the web inbox key beside it, where they have none yet."""
        ...

    def inbox_keys(self, customer_ids: Collection[int]) -> dict[int, str]:
        """The inbox keys these customers have, by customer id."""
        ...


def _not_notified(kind: Kind) -> ColumnElement[bool]:
    return ~exists().where(Notification.shipment_id == Shipment.id, Notification.kind == str(kind))


def _returned() -> ColumnElement[bool]:
    return exists().where(TrackingEvent.shipment_id == Shipment.id, TrackingEvent.kind == str(EventKind.RETURNED))


def _could_miss(now: datetime, policy: Policy) -> ColumnElement[bool]:
    """The open promises whose parcel the engine may expect after the deadline: due within the parcel's arrival
    horizon from its latest stage (``parcels.promise.arrival_horizon``), or returned (always at risk), or with
    an event (or payment) later than now, which the horizon does not bound. The others cannot be at risk, so
    the forecast leaves them out instead of deciding each one to learn it."""
    stage = func.coalesce(Shipment.current_stage, int(Stage.COLLECTION))
    within = [
        and_(
            Shipment.product_code == code, stage == int(at), Shipment.deadline_at <= now + arrival_horizon(product, at)
        )
        for code, product in sorted(policy.products.items())
        for at in Stage
    ]
    ahead = func.coalesce(Shipment.last_event_at, Shipment.paid_at) > now
    return or_(*within, _returned(), ahead)


_SHIPMENT_COLUMNS = (
    Shipment.id,
    Shipment.tracking_number,
    Shipment.product_code,
    Shipment.market_code,
    Shipment.destination_postal_code,
    Shipment.destination_city,
    Shipment.paid_at,
    Shipment.promised_date,
    Shipment.deadline_at,
    Shipment.delivered_at,
    Shipment.customer_id,
    Customer.phone,
    Customer.locale,
    Customer.preferred_channel,
    Customer.inbox_key,
)


class SqlDetection:
    def __init__(self, session: Session) -> None:
        self._session = session

    def due(
        self, now: datetime, deadlines_after: datetime, learnt_after: datetime, by_progress: bool
    ) -> list[tuple[int, Kind]]:
        # Each condition reads a partial index (ix_shipments_undelivered_deadline,
        # ix_shipments_late_delivered, ix_shipments_late_progress): their WHERE terms appear verbatim.
        first_attempt_late = Shipment.first_attempt_at >= Shipment.deadline_at
        learnt = Shipment.progress_at > learnt_after if by_progress else Shipment.delivered_at > learnt_after
        conditions = {
            Kind.PROMISE_BROKEN: and_(
                Shipment.delivered_at.is_(None),
                Shipment.deadline_at <= now,
                Shipment.deadline_at > deadlines_after,
                or_(Shipment.first_attempt_at.is_(None), first_attempt_late),
            ),
            Kind.DELIVERED_LATE: and_(first_attempt_late, learnt, Shipment.delivered_at.is_not(None)),
        }
        # No ORDER BY: it would tempt SQLite into walking the whole table in id order.
        connection = self._session.connection()
        return [
            (shipment_id, kind)
            for kind, condition in conditions.items()
            for shipment_id in sorted(connection.scalars(select(Shipment.id).where(condition, _not_notified(kind))))
        ]

    def forecast(self, now: datetime, until: datetime, policy: Policy) -> list[Forecast]:
        open_soon = and_(
            Shipment.delivered_at.is_(None),
            Shipment.deadline_at > now,
            Shipment.deadline_at <= until,
            Shipment.first_attempt_at.is_(None),
            _could_miss(now, policy),
        )
        query = select(
            Shipment.id,
            Shipment.product_code,
            Shipment.current_stage,
            Shipment.last_event_at,
            Shipment.paid_at,
            Shipment.deadline_at,
            _returned().label("returned"),
        ).where(open_soon, _not_notified(Kind.PROMISE_AT_RISK))
        rows = self._session.connection().execute(query)
        return sorted((Forecast(*row) for row in rows), key=lambda row: row.id)

    def granted(self, start: datetime) -> list[int]:
        query = select(Claim.shipment_id).where(
            Claim.status.in_(GRANTED),
            Claim.updated_at > start,
            Claim.grant == str(Grant.ON_APPLICATION),
            ~exists().where(
                Notification.shipment_id == Claim.shipment_id,
                Notification.kind == str(Kind.COMPENSATION_GRANTED),
            ),
        )
        return sorted(self._session.connection().scalars(query))

    def shipments(self, shipment_ids: Collection[int]) -> dict[int, DetectedShipment]:
        if not shipment_ids:
            return {}
        connection = self._session.connection()
        query = (
            select(*_SHIPMENT_COLUMNS)
            .outerjoin(Customer, Customer.id == Shipment.customer_id)
            .where(Shipment.id.in_(shipment_ids))
        )
        rows = connection.execute(query).all()
        events = queries.events_by_shipment(self._session, [row.id for row in rows])
        markets = current_policy().markets
        zones: dict[tuple[str, str], str] = {}
        found: dict[int, DetectedShipment] = {}
        for (
            shipment_id,
            number,
            product_code,
            market_code,
            postal_code,
            city,
            paid_at,
            promised_date,
            deadline_at,
            delivered_at,
            customer_id,
            phone,
            locale,
            preferred_channel,
            inbox_key,
        ) in rows:
            place = (market_code, postal_code)
            if place not in zones:
                zones[place] = markets[market_code].zone_for(postal_code).key
            facts = ShipmentFacts(
                number, product_code, market_code, postal_code, city, paid_at, promised_date, deadline_at, zones[place]
            )
            contact = None if customer_id is None else Contact(customer_id, phone, locale, preferred_channel, inbox_key)
            found[shipment_id] = DetectedShipment(shipment_id, facts, events[shipment_id], delivered_at, contact)
        return found

    def granted_claims(self, shipment_ids: Collection[int]) -> dict[int, GrantedClaim]:
        if not shipment_ids:
            return {}
        query = select(
            Claim.shipment_id, Claim.tracking_number, Claim.amount, Claim.currency, Claim.form, Claim.reference
        ).where(Claim.shipment_id.in_(shipment_ids), Claim.status.in_(GRANTED))
        return {row.shipment_id: GrantedClaim(*row) for row in self._session.connection().execute(query)}

    def customer_of(self, tracking_number: str) -> int | None:
        query = select(Shipment.customer_id).where(Shipment.tracking_number == tracking_number)
        customer_id: int | None = self._session.scalar(query)
        return customer_id

    def give_inbox_keys(self, keys: Mapping[int, str]) -> None:
        if not keys:
            return
        statement = (
            update(Customer)
            .where(Customer.id == bindparam("customer_id"), Customer.inbox_key.is_(None))
            .values(inbox_key=bindparam("key"))
        )
        self._session.connection().execute(
            statement, [{"customer_id": customer_id, "key": key} for customer_id, key in keys.items()]
        )

    def inbox_keys(self, customer_ids: Collection[int]) -> dict[int, str]:
        if not customer_ids:
            return {}
        query = select(Customer.id, Customer.inbox_key).where(Customer.id.in_(customer_ids))
        rows = self._session.connection().execute(query)
        return {customer_id: key for customer_id, key in rows if key is not None}
