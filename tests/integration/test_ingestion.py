from datetime import UTC, datetime

from sqlalchemy import Engine, select

from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Shipment, TrackingEvent
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_registering_computes_the_promise_and_is_idempotent(db: Engine) -> None:
    report = register_shipments(UOW, [shipment_record(), shipment_record("RR123456785CN", product="PREMIUM")])
    assert len(report.accepted) == 2 and not report.rejected
    again = register_shipments(UOW, [shipment_record()])
    assert again.duplicates == ["LP00012345678901"] and not again.accepted
    with session_scope() as session:
        shipment = session.scalars(select(Shipment).where(Shipment.tracking_number == "LP00012345678901")).one()
        assert str(shipment.promised_date) == "2026-12-06"
        assert shipment.deadline_at == datetime(2026, 12, 6, 23, tzinfo=UTC)


def test_bad_shipments_are_rejected_one_by_one(db: Engine) -> None:
    report = register_shipments(
        UOW,
        [
            shipment_record("LP00012345678901"),
            shipment_record("RR123456784CN"),
            shipment_record("LP00012345678902", product="TELEPORT"),
            shipment_record("LP00012345678903", paid_at="2026-11-27 10:00"),
            shipment_record("LP00012345678904", destination_postal_code="99999"),
            shipment_record("LP00012345678905", customer_phone="612 345"),
            "not an object",
        ],
    )
    assert report.accepted == ["LP00012345678901"]
    errors = {r.index: r.error for r in report.rejected}
    assert "check_digit" in errors[1]
    assert "unknown product 'TELEPORT'" in errors[2]
    assert "no UTC offset" in errors[3]
    assert "not a postal code of market ES" in errors[4]
    assert "international format" in errors[5]
    assert "JSON object" in errors[6]


def test_events_are_idempotent_keep_the_valid_ones_and_are_ordered_by_time(db: Engine) -> None:
    register_shipments(UOW, [shipment_record()])
    batch = [
        event_record("c-3", "EMC", "2026-11-29T10:00:00+08:00"),
        event_record("c-1", "EMA", "2026-11-28T09:00:00+08:00"),
        event_record("c-x", "NOT_A_CODE", "2026-11-28T10:00:00+08:00"),
        event_record("c-y", "EMB", "2026-11-28T10:00:00+08:00", number="LP99999999999999"),
        event_record("c-z", "EMB", "yesterday"),
        {"tracking_number": "LP00012345678901"},
    ]
    report = ingest_events(UOW, batch, received_at=NOW)
    assert report.accepted == ["c-3", "c-1"]
    assert [r.index for r in report.rejected] == [2, 3, 4, 5]
    assert "unknown event code 'NOT_A_CODE'" in report.rejected[0].error
    assert "unknown tracking number LP99999999999999" in report.rejected[1].error
    assert "not an ISO 8601" in report.rejected[2].error
    assert "event_id is missing" in report.rejected[3].error

    again = ingest_events(UOW, [*batch[:2], event_record("c-2", "EMB", "2026-11-28T20:00:00+08:00")], received_at=NOW)
    assert again.duplicates == ["c-3", "c-1"] and again.accepted == ["c-2"]

    with session_scope() as session:
        shipment = session.scalars(select(Shipment)).one()
        assert shipment.current_stage == 4
        assert shipment.last_event_at == datetime(2026, 11, 29, 2, tzinfo=UTC)
        codes = session.scalars(select(TrackingEvent.code).order_by(TrackingEvent.occurred_at)).all()
        assert codes == ["EMA", "EMB", "EMC"]


def test_a_late_arriving_older_event_does_not_move_the_parcel_back(db: Engine) -> None:
    register_shipments(UOW, [shipment_record()])
    ingest_events(UOW, [event_record("d-2", "EMI", "2026-12-03T12:00:00+01:00")], received_at=NOW)
    ingest_events(UOW, [event_record("d-1", "EDD", "2026-12-02T12:00:00+01:00")], received_at=NOW)
    with session_scope() as session:
        shipment = session.scalars(select(Shipment)).one()
        assert shipment.current_stage == 7
        assert shipment.delivered_at == datetime(2026, 12, 3, 11, tzinfo=UTC)
