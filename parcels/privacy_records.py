"""What a shopper's data request is about and what it finds: plain values between the privacy use cases
(``parcels.privacy``) and storage."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from parcels.errors import Refused

MAX_KEY = 128  # characters of one key, as given
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}")
_TRACKING = re.compile(r"[A-Z0-9]{8,32}")


class KeyKind(StrEnum):
    """What a shopper can be found by."""

    PHONE = "phone"
    EMAIL = "email"
    TRACKING_NUMBER = "tracking_number"
    ORDER = "order"
    CONVERSATION = "conversation"


class RequestKind(StrEnum):
    FIND = "find"
    EXPORT = "export"
    ERASE = "erase"
    PURGE = "purge"  # the day's deletion of what is past its time (``parcels.retention``)


@dataclass(frozen=True, slots=True)
class SubjectKey:
    """One key to a shopper's data, normalised: ``+34600111222``, ``ana@example.com``, ``LP00000000000001``."""

    kind: KeyKind
    value: str

    @classmethod
    def parse(cls, kind: str, given: str) -> SubjectKey:
        """The key as we store it; Refused with what is wrong."""
        try:
            key_kind = KeyKind(kind)
        except ValueError:
            raise Refused(f"a key is one of {', '.join(k.value for k in KeyKind)}, not {kind[:40]!r}") from None
        value = given.strip()
        if not value or len(value) > MAX_KEY:
            raise Refused(f"a {key_kind.value} has 1 to {MAX_KEY} characters")
        if key_kind is KeyKind.PHONE:
            value = re.sub(r"[\s().-]", "", value.removeprefix("whatsapp:"))
            value = "+" + value[2:] if value.startswith("00") else value
            if not _PHONE.fullmatch(value):
                raise Refused("a phone number is written in international form, like +34600111222")
        elif key_kind is KeyKind.EMAIL:
            value = value.lower()
            if not _EMAIL.fullmatch(value):
                raise Refused("that is not an email address")
        elif key_kind is KeyKind.TRACKING_NUMBER:
            value = value.replace(" ", "").upper()
            if not _TRACKING.fullmatch(value):
                raise Refused("a tracking number has 8 to 32 letters and digits")
        return cls(key_kind, value)

    @property
    def masked(self) -> str:
        """Enough to tell requests apart in the audit log, not enough to reach the shopper."""
        return mask(self.value)

    @property
    def digest(self) -> str:
        """The key's SHA-256: the audit log can tell whether a key was asked about without holding it."""
        return hashlib.sha256(f"{self.kind}:{self.value}".encode()).hexdigest()


def mask(text: str) -> str:
    """``+346•••••••22``, ``a•••@example.com``, ``LP00•••••••••001``: the first and last few characters only."""
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}{'•' * 3}@{domain}"
    keep = 4 if len(text) > 10 else 2 if len(text) > 5 else 0
    tail = 3 if len(text) > 10 else 2 if len(text) > 5 else 0
    return text[:keep] + "•" * (len(text) - keep - tail) + (text[-tail:] if tail else "")


@dataclass(frozen=True, slots=True)
class Subject:
    """Everything one shopper's data is filed under, widened from the key: their customer records, phone
    numbers, email addresses, parcels and conversations (Rasa sender ids)."""

    customer_ids: frozenset[int] = frozenset()
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    shipment_ids: frozenset[int] = frozenset()
    tracking_numbers: frozenset[str] = frozenset()
    order_refs: frozenset[str] = frozenset()
    conversations: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Holdings:
    """What we hold about one shopper, by kind of record (``customers``, ``shipments``, ``claims``,
    ``notifications``, ``consents``, ``handoffs``, ``conversation_days``, ``conversations``...), each record a
    plain JSON-ready mapping."""

    subject: Subject
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(rows) for kind, rows in self.records.items() if rows}

    @property
    def empty(self) -> bool:
        return not self.counts


@dataclass(frozen=True, slots=True)
class PrivacyRequestRow:
    """One request in the audit log: what was asked, by whom, on what ground, and what came of it."""

    id: int
    reference: str
    kind: RequestKind
    key_kind: KeyKind | None  # None: a purge
    key_masked: str
    actor: str
    ground: str
    outcome: dict[str, int]
    at: datetime
