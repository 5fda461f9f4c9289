"""What a shopper chose for themselves: the language we write to them in.

Only a number the channel proves (the WhatsApp or SMS sender) can choose for the customer records that hold it:
a tracking number typed in a web chat proves nothing about who types it, so there the choice stays the
conversation's.
"""

from __future__ import annotations

import re

from parcels.errors import Refused
from parcels.language import SUPPORTED
from parcels.storage.unit_of_work import UnitOfWork

_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")


def choose_language(uow: UnitOfWork, phone: str, language: str) -> int:
    """Store ``language`` as the preferred one of every customer with ``phone``; how many changed.

    The notifier's later messages to them are written in it."""
    if language not in SUPPORTED:
        raise Refused(f"language must be one of {', '.join(SUPPORTED)}")
    if not _PHONE.fullmatch(phone):
        raise Refused("phone must be in international format, such as +34612345678")
    with uow.begin() as repos:
        return repos.shipments.choose_language(phone, language)
