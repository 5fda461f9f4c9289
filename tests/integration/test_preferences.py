"""A shopper's chosen language in the database: every customer record of their number takes it, a later
shipment for that number does not undo it, and the notifier's contact reads it."""

from __future__ import annotations

from sqlalchemy import Engine, select

from parcels.preferences import choose_language
from parcels.shipments import register_shipments
from parcels.storage.db import session_scope
from parcels.storage.models import Customer
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import shipment_record

UOW = SqlUnitOfWork()
MONTSE, JON = "+34612000301", "+34612000302"


def test_the_chosen_language_is_stored_for_that_number_and_kept(db: Engine) -> None:
    records = [
        shipment_record("LP00000000003011", customer_phone=MONTSE),
        shipment_record("LP00000000003012", customer_phone=JON, customer_locale="en"),
    ]
    assert len(register_shipments(UOW, records).accepted) == 2
    assert choose_language(UOW, MONTSE, "ca") == 1
    assert choose_language(UOW, MONTSE, "ca") == 0
    assert len(register_shipments(UOW, [shipment_record("LP00000000003013", customer_phone=MONTSE)]).accepted) == 1
    with session_scope() as session:
        chosen = dict(session.execute(select(Customer.phone, Customer.locale)).tuples().all())
    assert chosen == {MONTSE: "ca", JON: "en"}
