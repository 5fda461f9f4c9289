"""Small query functions between the use cases and the tables."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from parcels.policy import current_policy
from parcels.stages import Cause, EventKind, Stage, cause_of
from parcels.status import Event, ShipmentFacts, ordered
from parcels.storage.models import Claim, ClaimTransition, Shipment, TrackingEvent, UnkeptPromise


def _facts(row: Shipment) -> ShipmentFacts:
    market = current_policy().markets[row.market_code]
    return ShipmentFacts(
        tracking_number=row.tracking_number,
        product_code=row.product_code,
        market_code=row.market_code,
        destination_postal_code=row.destination_postal_code,
        destination_city=row.destination_city,
        paid_at=row.paid_at,
        promised_date=row.promised_date,
        deadline_at=row.deadline_at,
        time_zone=market.zone_for(row.destination_postal_code).key,
    )


_EVENT_COLUMNS = (
    TrackingEvent.shipment_id,
    TrackingEvent.event_id,
    TrackingEvent.code,
    TrackingEvent.stage,
    TrackingEvent.kind,
    TrackingEvent.occurred_at,
    TrackingEvent.location,
)


def events_by_shipment(session: Session, shipment_ids_: Collection[int]) -> dict[int, list[Event]]:
    """Each shipment's events in time order. Read as plain rows, not ORM objects, on the session's connection
    (past the ORM's result handling): the notifier reads the events of thousands of shipments at a time, and an
    ORM object costs many times what its values do."""
    events: dict[int, list[Event]] = {shipment_id: [] for shipment_id in shipment_ids_}
    if not events:
        return events
    stages, kinds = {int(stage): stage for stage in Stage}, {str(kind): kind for kind in EventKind}
    causes: dict[str, Cause | None] = {}
    query = select(*_EVENT_COLUMNS).where(TrackingEvent.shipment_id.in_(events))
    for shipment_id, event_id, code, stage, kind, occurred_at, location in session.connection().execute(query).all():
        if code not in causes:
            causes[code] = cause_of(code)
        events[shipment_id].append(
            Event(event_id, code, stages[stage], kinds[kind], occurred_at, location, causes[code])
        )
    return {shipment_id: ordered(history) for shipment_id, history in events.items()}


def shipments_with_events(
    session: Session, tracking_numbers: Collection[str]
) -> dict[str, tuple[ShipmentFacts, list[Event]]]:
    """The shipments among ``tracking_numbers`` that exist, each with its events in time order."""
    if not tracking_numbers:
        return {}
    rows = session.scalars(select(Shipment).where(Shipment.tracking_number.in_(tracking_numbers))).all()
    return facts_with_events(session, rows)


def facts_with_events(session: Session, shipments: Sequence[Shipment]) -> dict[str, tuple[ShipmentFacts, list[Event]]]:
    """These shipments' facts, each with its events in time order, by tracking number."""
    events = events_by_shipment(session, [row.id for row in shipments])
    return {row.tracking_number: (_facts(row), events[row.id]) for row in shipments}


def shipment_ids(session: Session, tracking_numbers: Iterable[str]) -> dict[str, int]:
    numbers = set(tracking_numbers)
    if not numbers:
        return {}
    rows = session.execute(select(Shipment.tracking_number, Shipment.id).where(Shipment.tracking_number.in_(numbers)))
    return {number: shipment_id for number, shipment_id in rows}


def existing_event_ids(session: Session, event_ids: Iterable[str]) -> set[str]:
    ids = set(event_ids)
    if not ids:
        return set()
    return set(session.scalars(select(TrackingEvent.event_id).where(TrackingEvent.event_id.in_(ids))))


def refresh_progress(session: Session, shipment_ids_: Collection[int], at: datetime) -> None:
    """Recompute the denormalised progress columns of these shipments from all their events, as of ``at``.

    ``progress_at`` records when: the notifier reads late deliveries by it, so that an event
    that arrives days after it happened is still noticed on the next pass. Their unkept promises' reviews no
    longer hold: they are deleted, and the dashboard reviews those promises again when it next counts them."""
    if not shipment_ids_:
        return
    session.execute(delete(UnkeptPromise).where(UnkeptPromise.shipment_id.in_(shipment_ids_)))
    history: dict[int, list[TrackingEvent]] = {sid: [] for sid in shipment_ids_}
    for event in session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids_))):
        history[event.shipment_id].append(event)
    for shipment in session.scalars(select(Shipment).where(Shipment.id.in_(shipment_ids_))):
        events = sorted(history[shipment.id], key=lambda e: (e.occurred_at, e.stage, e.event_id))
        shipment.current_stage = events[-1].stage if events else None
        shipment.last_event_at = events[-1].occurred_at if events else None
        shipment.first_attempt_at = _first(events, {EventKind.ATTEMPT_FAILED, EventKind.DELIVERED})
        shipment.delivered_at = _first(events, {EventKind.DELIVERED})
        shipment.progress_at = at


def _first(events: list[TrackingEvent], kinds: set[EventKind]) -> datetime | None:
    return next((e.occurred_at for e in events if e.kind in kinds), None)


def shipments_by_number(session: Session, tracking_numbers: Collection[str]) -> list[Shipment]:
    """The shipments among ``tracking_numbers`` that exist, their customers loaded."""
    if not tracking_numbers:
        return []
    query = select(Shipment).where(Shipment.tracking_number.in_(tracking_numbers))
    return list(session.scalars(query.options(selectinload(Shipment.customer))))


def shipment_with_events(session: Session, tracking_number: str) -> tuple[Shipment, ShipmentFacts, list[Event]] | None:
    """One shipment (row and facts, its customer loaded) with its events in time order."""
    row = session.scalars(
        select(Shipment).where(Shipment.tracking_number == tracking_number).options(selectinload(Shipment.customer))
    ).one_or_none()
    if row is None:
        return None
    return row, _facts(row), events_by_shipment(session, [row.id])[row.id]


def claims_for_orders(session: Session, order_keys: Collection[str]) -> dict[str, Claim]:
    if not order_keys:
        return {}
    rows = session.scalars(select(Claim).where(Claim.order_key.in_(order_keys)))
    return {row.order_key: row for row in rows}


def order_key(tracking_number: str, order_ref: str | None) -> str:
    return order_ref or tracking_number


def claim_by_reference(session: Session, reference: str, for_update: bool = False) -> Claim | None:
    query = select(Claim).where(Claim.reference == reference)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def claim_history(session: Session, claim_id: int) -> list[ClaimTransition]:
    """A claim's steps, oldest first."""
    query = select(ClaimTransition).where(ClaimTransition.claim_id == claim_id)
    return list(session.scalars(query.order_by(ClaimTransition.id)))  # the order they were taken in


def claims_page(session: Session, status: str | None, limit: int, offset: int) -> tuple[list[Claim], int]:
    """Claims, newest first, optionally of one status, and how many there are in all."""
    filtered = select(Claim)
    if status is not None:
        filtered = filtered.where(Claim.status == status)
    total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    rows = session.scalars(filtered.order_by(Claim.requested_at.desc(), Claim.id.desc()).limit(limit).offset(offset))
    return list(rows), total
