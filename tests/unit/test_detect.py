"""Detection on the in-memory unit of work: a broken promise is told once, on the customer's channel, never to
whoever opted out; a customer told in their web inbox is given a key, stored unless it is a dry run."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from notifications.channels import inbox_key_of_parcel
from notifications.detect import detect
from notifications.outbox import Channel, Kind, Status
from parcels.claim_records import Parcel
from parcels.detection_records import Contact
from parcels.outbox_records import ConsentRecord
from parcels.storage.memory import MemoryUnitOfWork
from tests.strategies import PAID, event, facts

NOW = datetime(2026, 12, 8, 12, tzinfo=UTC)  # CHOICE_9 paid 27 November: due 6 December, broken by now
NUMBER = "LP00012345678901"


def broken_parcel(uow: MemoryUnitOfWork, contact: Contact | None, shipment_id: int = 1) -> None:
    number = f"LP0001234567890{shipment_id}"
    shipment = dataclasses.replace(facts(PAID), tracking_number=number)
    uow.state.parcels[number] = Parcel(shipment_id, shipment, [event("EMA", PAID + timedelta(days=1))], number, None)
    if contact is not None:
        uow.state.contacts[contact.id] = contact
        uow.state.customer_of[shipment_id] = contact.id


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


def test_a_broken_promise_is_told_once_on_whatsapp(uow: MemoryUnitOfWork) -> None:
    broken_parcel(uow, Contact(7, "+34612345678", "es", None, None))
    report = detect(uow, NOW, at_risk=False)
    assert report.enqueued == {Kind.PROMISE_BROKEN: 1} and report.examined == 1
    (told,) = uow.state.notifications.values()
    assert (told.channel, told.recipient, told.status) == (Channel.WHATSAPP, "+34612345678", Status.PENDING)
    assert told.variables["number"] == NUMBER
    assert detect(uow, NOW + timedelta(hours=1), at_risk=False).total == 0


def test_who_opted_out_is_not_told(uow: MemoryUnitOfWork) -> None:
    broken_parcel(uow, Contact(7, "+34612345678", "en", "sms", None))
    uow.state.consents.append(ConsentRecord("+34612345678", "whatsapp", "service", "opt_out", "STOP", PAID))
    detect(uow, NOW, at_risk=False)
    (told,) = uow.state.notifications.values()
    assert (told.status, told.reason, told.recipient, told.locale) == (
        Status.SKIPPED,
        "the customer opted out",
        None,
        "en",
    )


def test_a_parcel_without_customer_is_recorded_as_untold(uow: MemoryUnitOfWork) -> None:
    broken_parcel(uow, None)
    detect(uow, NOW, at_risk=False)
    (told,) = uow.state.notifications.values()
    assert (told.channel, told.status, told.reason) == (
        Channel.NONE,
        Status.SKIPPED,
        "the parcel has no customer to tell",
    )


def test_a_web_customer_is_given_an_inbox_key_that_is_stored(uow: MemoryUnitOfWork) -> None:
    broken_parcel(uow, Contact(7, None, "es", None, None))
    broken_parcel(uow, Contact(7, None, "es", None, None), shipment_id=2)  # two parcels: one key
    dry = detect(uow, NOW, dry_run=True, at_risk=False)
    assert dry.total == 2 and not uow.state.notifications and uow.state.contacts[7].inbox_key is None
    detect(uow, NOW, at_risk=False)
    key = uow.state.contacts[7].inbox_key
    assert key is not None and uow.state.inboxes[key] == (7, "es")
    assert {n.recipient for n in uow.state.notifications.values()} == {f"inbox-{key}"}
    assert {n.channel for n in uow.state.notifications.values()} == {Channel.WEB}


def test_the_inbox_key_of_a_parcel_is_made_once(uow: MemoryUnitOfWork) -> None:
    broken_parcel(uow, Contact(7, None, "es", None, None))
    key = inbox_key_of_parcel(uow, NUMBER)
    assert key is not None and inbox_key_of_parcel(uow, NUMBER) == key
    assert inbox_key_of_parcel(uow, "LP00099999999999") is None
