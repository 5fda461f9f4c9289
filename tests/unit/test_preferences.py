"""A shopper's chosen language is kept on every customer record of their number, and only there."""

from __future__ import annotations

import pytest

from parcels.detection_records import Contact
from parcels.errors import Refused
from parcels.preferences import choose_language
from parcels.storage.memory import MemoryUnitOfWork


def test_the_chosen_language_is_kept_for_every_record_of_that_number_only() -> None:
    uow = MemoryUnitOfWork()
    uow.state.contacts = {
        1: Contact(1, "+34612000001", "es", None, "key-1"),
        2: Contact(2, "+34612000001", "en", "sms", None),
        3: Contact(3, "+34612000002", "es", None, None),
    }
    uow.state.inboxes["key-1"] = (1, "es")
    assert choose_language(uow, "+34612000001", "ca") == 2
    assert [c.locale for c in uow.state.contacts.values()] == ["ca", "ca", "es"]
    assert uow.state.inboxes["key-1"] == (1, "ca")
    assert choose_language(uow, "+34612000001", "ca") == 0  # a second time changes nothing


@pytest.mark.parametrize(("phone", "language"), [("+34612000001", "fr"), ("612000001", "ca"), ("", "eu")])
def test_an_unknown_language_or_a_malformed_number_is_refused(phone: str, language: str) -> None:
    with pytest.raises(Refused):
        choose_language(MemoryUnitOfWork(), phone, language)
