"""Class 8: a tracking number written with full-width or other scripts' digits is the same parcel, stored once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from parcels.ingest import ingest_events
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Shipment, TrackingEvent
from parcels.storage.unit_of_work import SqlUnitOfWork
from parcels.tracking_numbers import find_tracking_numbers, normalise, validate
from tests.factories import event_record, shipment_record

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)

ASCII = "LP00012345678901"
FULL_WIDTH = "ＬＰ" + "".join(chr(0xFF10 + int(d)) for d in "00012345678901")
ARABIC_INDIC = "LP" + "".join(chr(0x0660 + int(d)) for d in "00012345678901")
DEVANAGARI = "LP" + "".join(chr(0x0966 + int(d)) for d in "00012345678901")
S10_FULL_WIDTH = "ＲＲ１２３４５６７８５ＣＮ"


@pytest.mark.parametrize("written", [FULL_WIDTH, ARABIC_INDIC, DEVANAGARI, "lp\u00a00001\u30002345 6789 01"])
def test_other_forms_of_digits_and_spaces_are_the_ascii_number(written: str) -> None:
    assert validate(written).number == ASCII
    assert validate(written).valid
    [found] = find_tracking_numbers(f"¿dónde está {written}?")
    assert found.number == ASCII


def test_a_full_width_s10_number_keeps_its_check_digit() -> None:
    assert validate(S10_FULL_WIDTH).number == "RR123456785CN"
    assert validate(S10_FULL_WIDTH).valid


def test_normalise_leaves_other_text_alone() -> None:
    assert normalise("¿Dónde está mi paquete?") == "¿Dónde está mi paquete?"


def test_a_parcel_registered_in_two_forms_is_one_shipment_and_its_events_join_it(db: Engine) -> None:
    first = register_shipments(UOW, [shipment_record(FULL_WIDTH)])
    second = register_shipments(UOW, [shipment_record(ARABIC_INDIC)])
    assert first.accepted == [ASCII]
    assert second.duplicates == [ASCII]
    event = event_record("e-1", "EMA", "2026-11-27T10:00:00+08:00", number=DEVANAGARI)
    report = ingest_events(UOW, [event], received_at=datetime(2026, 11, 28, tzinfo=UTC))
    assert report.accepted == ["e-1"]
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Shipment)) == 1
        assert session.scalar(select(Shipment.tracking_number)) == ASCII
        assert session.scalar(select(func.count()).select_from(TrackingEvent)) == 1
