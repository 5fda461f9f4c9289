"""Which channel a notification goes out on, from the customer's preference, contact details and consent.

Opting out (BAJA, STOP... on any channel) silences every channel. Otherwise the customer's
preference wins when we can reach them there; WhatsApp is the default for a customer with a
phone number, and a customer without one (or who chose it) reads it in their web chat inbox.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from parcels.detection_records import Contact
from parcels.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Route:
    channel: str | None  # whatsapp | sms | web; None: not sent
    reason: str | None = None  # why not sent

    @property
    def sendable(self) -> bool:
        return self.channel is not None


def choose(customer: Contact | None, opted_out: bool) -> Route:
    if customer is None:
        return Route(None, "the parcel has no customer to tell")
    if opted_out:
        return Route(None, "the customer opted out")
    preferred = customer.preferred_channel
    if preferred in ("whatsapp", "sms") and customer.phone:
        return Route(preferred)
    if preferred == "web" or not customer.phone:
        return Route("web")
    return Route("whatsapp")


def recipient(customer: Contact, channel: str) -> str:
    """The phone number, or for the web inbox the conversation the inbox page continues (``inbox-<key>``):
    a customer reached there has been given an inbox key first (detection stores the new ones)."""
    if channel == "web":
        if customer.inbox_key is None:
            raise ValueError(f"customer {customer.id} has no web inbox key yet")
        return inbox_conversation(customer.inbox_key)
    assert customer.phone is not None
    return customer.phone


def new_inbox_key() -> str:
    return secrets.token_hex(16)


def inbox_conversation(inbox_key: str) -> str:
    """The Rasa sender id of a customer's web chat inbox: the chat page opened on ``?inbox=<key>`` uses it."""
    return f"inbox-{inbox_key}"


def inbox_key_of_parcel(uow: UnitOfWork, tracking_number: str) -> str | None:
    """The web chat inbox key of the parcel's customer, made now if they have none; None: no such parcel/customer.

    For the shop's site, which links a signed-in shopper to their inbox. Two calls at once
    agree on one key: it is only ever set where none is, and read back afterwards."""
    with uow.begin() as repos:
        customer_id = repos.detection.customer_of(tracking_number)
        if customer_id is None:
            return None
        repos.detection.give_inbox_keys({customer_id: new_inbox_key()})
    with uow.begin() as repos:
        return repos.detection.inbox_keys([customer_id]).get(customer_id)
