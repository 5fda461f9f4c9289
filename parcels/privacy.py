"""A shopper's data on request (GDPR articles 15, 17 and 20): find everything about one person from one key,
export it, erase it; each request and its outcome in the audit log.

What a person is found by: their phone number, email, a tracking number or order reference of theirs, or a
conversation id (Rasa's sender id). From the key, storage widens once to their customer records and every phone,
email, parcel and conversation of theirs; the tracker store adds the conversations in which any of those was
written (a web chat has no phone number).

Erasure deletes their conversations from the tracker store first (while the app database still says which they
are: a failure half-way is finished by erasing again), then, in one transaction of the app database, deletes or
strips the person from every record (``parcels.storage.privacy_store``) and logs the request. What must stay
stays without the person: a granted claim is accounting (reference, amount, dates), a handoff's times prove how
fast the shopper was attended, a consent record says what was agreed and when, a parcel's promise is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from parcels.errors import Refused
from parcels.privacy_records import Holdings, PrivacyRequestRow, RequestKind, SubjectKey
from parcels.references import PRIVACY, PURGE, new_reference
from parcels.retention import Kept, Retention
from parcels.storage.conversation_archive import ConversationArchive
from parcels.storage.unit_of_work import UnitOfWork

MAX_GROUND = 500
PURGE_BATCH = 500  # records per transaction
MAX_ACTOR = 254


@dataclass(frozen=True, slots=True)
class Answer:
    """A request done: its reference in the audit log, and what it found (or, for an erasure, what it erased)."""

    reference: str
    holdings: Holdings
    erased: dict[str, int]


def _checked(actor: str, ground: str) -> tuple[str, str]:
    actor, ground = actor.strip(), " ".join(ground.split())
    if not actor or len(actor) > MAX_ACTOR:
        raise Refused(f"who asks is named in 1 to {MAX_ACTOR} characters")
    if not ground or len(ground) > MAX_GROUND:
        raise Refused(f"the shopper's request this answers is described in 1 to {MAX_GROUND} characters")
    return actor, ground


def _holdings(uow: UnitOfWork, archive: ConversationArchive, key: SubjectKey) -> Holdings:
    with uow.begin() as repos:
        subject = repos.privacy.subject(key)
    written = subject.tracking_numbers | subject.phones | subject.emails
    found = archive.mentioning(written) | archive.existing(subject.conversations)
    with uow.begin() as repos:
        subject = repos.privacy.widened(subject, found)
        records = repos.privacy.records(subject)
    transcripts = archive.transcripts(subject.conversations)
    if transcripts:
        records["conversations"] = [{"conversation": c, "events": events} for c, events in sorted(transcripts.items())]
    return Holdings(subject, records)


def _log(
    uow: UnitOfWork, kind: RequestKind, key: SubjectKey, actor: str, ground: str, outcome: dict[str, int], at: datetime
) -> str:
    reference = new_reference(PRIVACY)
    with uow.begin() as repos:
        repos.privacy.record_request(reference, kind, key, actor, ground, outcome, at)
    return reference


def find(
    uow: UnitOfWork, archive: ConversationArchive, key: SubjectKey, actor: str, ground: str, at: datetime
) -> Answer:
    """Everything we hold about the person ``key`` leads to, by kind of record."""
    actor, ground = _checked(actor, ground)
    holdings = _holdings(uow, archive, key)
    return Answer(_log(uow, RequestKind.FIND, key, actor, ground, holdings.counts, at), holdings, {})


def export(
    uow: UnitOfWork, archive: ConversationArchive, key: SubjectKey, actor: str, ground: str, at: datetime
) -> tuple[Answer, dict[str, Any]]:
    """The same, and the document the shopper receives: every record, machine-readable (article 20)."""
    actor, ground = _checked(actor, ground)
    holdings = _holdings(uow, archive, key)
    reference = _log(uow, RequestKind.EXPORT, key, actor, ground, holdings.counts, at)
    document = {
        "reference": reference,
        "made_at": at.isoformat(),
        "asked_by": {"kind": str(key.kind), "value": key.value},
        "counts": holdings.counts,
        "records": holdings.records,
    }
    return Answer(reference, holdings, {}), document


def erase(
    uow: UnitOfWork, archive: ConversationArchive, key: SubjectKey, actor: str, ground: str, at: datetime
) -> Answer:
    """Erase the person ``key`` leads to (article 17): what was found, and what of it was deleted or stripped."""
    actor, ground = _checked(actor, ground)
    holdings = _holdings(uow, archive, key)
    conversations = archive.erase(holdings.subject.conversations)
    reference = new_reference(PRIVACY)
    with uow.begin() as repos:
        erased = repos.privacy.erase(holdings.subject, at)
        if conversations:
            erased["conversation_events"] = conversations
        repos.privacy.record_request(reference, RequestKind.ERASE, key, actor, ground, erased, at)
    return Answer(reference, holdings, erased)


def purge(
    uow: UnitOfWork, archive: ConversationArchive, retention: Retention, now: datetime, batch: int = PURGE_BATCH
) -> dict[str, int]:
    """Delete, or strip the person from, every record past its time (``config/retention.yml``), kind by kind, in
    transactions of at most ``batch`` records each: the chat's tables are never held for long. What was done, by
    kind; a second purge at the same moment does nothing."""
    done: dict[str, int] = {}
    for kind, before in retention.cutoffs(now).items():
        if kind is Kept.CONVERSATIONS:
            while conversations := archive.expired(before.timestamp(), batch):
                done["conversations"] = done.get("conversations", 0) + len(conversations)
                archive.erase(conversations)
        while True:
            with uow.begin() as repos:
                count = repos.privacy.purge(kind, before, now, batch)
            if count:
                name = "handoffs_without_the_shopper" if kind is Kept.CONVERSATIONS else str(kind)
                done[name] = done.get(name, 0) + count
            if count < batch:
                break
    return done


def daily_purge(
    uow: UnitOfWork, archive: ConversationArchive, retention: Retention, now: datetime
) -> dict[str, int] | None:
    """The day's purge (UTC), once whichever process gets to it first, logged as ``R-YYYYMMDD``; None when it was
    started already. A purge cut short is finished by the next day's."""
    reference = f"{PURGE}-{now.astimezone(UTC):%Y%m%d}"
    with uow.begin() as repos:
        if not repos.privacy.start_purge(reference, now):
            return None
    done = purge(uow, archive, retention, now)
    with uow.begin() as repos:
        repos.privacy.finish_purge(reference, done)
    return done


@dataclass(frozen=True, slots=True)
class HeldKind:
    """One kind of record in a shopper's export: how many, held since when, and until when at the latest."""

    kind: str
    count: int
    since: datetime | None
    until: datetime | None  # None: until the shopper asks us to erase it
    records: list[list[Field]]  # each record's fields with a value, as a page shows them


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record on the readable export: its name, its value, and how to show it: ``moment`` (an
    aware datetime), ``day`` (a date), ``list`` (of lists of fields), ``flag`` or ``text``."""

    name: str
    value: Any
    shape: str


_DAYS = {"day", "promised_date", "answer_due_on"}


def _field(name: str, value: Any) -> Field:
    if isinstance(value, list):
        return Field(
            name, [_fields(item) if isinstance(item, dict) else [Field("", item, "text")] for item in value], "list"
        )
    if isinstance(value, bool):
        return Field(name, value, "flag")
    if name in _DAYS and value:
        return Field(name, date.fromisoformat(str(value)[:10]), "day")
    if (name.endswith("_at") or name in {"since", "at", "timestamp"}) and value is not None:
        return Field(name, _moment(value), "moment")
    if isinstance(value, dict):
        return Field(name, ", ".join(f"{k}: {v}" for k, v in value.items()), "text")
    return Field(name, value, "text")


def _fields(record: dict[str, Any]) -> list[Field]:
    return [_field(name, value) for name, value in record.items() if value not in (None, "", [], {})]


# per kind of record: the field it is held since, the field its time runs from, and the time it is kept for
_HELD = {
    "customers": ("since", None, Kept.CUSTOMERS),
    "shipments": ("paid_at", None, Kept.CUSTOMERS),
    "claims": ("requested_at", "updated_at", Kept.CLAIMS),
    "notifications": ("written_at", "written_at", Kept.NOTIFICATIONS),
    "consents": ("at", "at", Kept.CONSENTS),
    "handoffs": ("requested_at", "requested_at", Kept.CONVERSATIONS),
    "conversation_days": ("day", "day", Kept.CONVERSATION_DAYS),
}


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def held_kinds(holdings: Holdings, retention: Retention) -> list[HeldKind]:
    """What the readable export says of each kind of record: since when we hold it and until when we will (its
    retention from its latest moment; a customer's from their latest parcel)."""
    latest_parcel = max(
        (m for m in (_moment(p.get("paid_at")) for p in holdings.records.get("shipments", [])) if m), default=None
    )
    held: list[HeldKind] = []
    for kind, records in holdings.records.items():
        if kind == "conversations":
            moments = [m for c in records for m in (_moment(e.get("timestamp")) for e in c["events"]) if m]
            since, basis, kept = min(moments, default=None), max(moments, default=None), Kept.CONVERSATIONS
        else:
            since_field, basis_field, kept = _HELD[kind]
            since = min((m for m in (_moment(r.get(since_field)) for r in records) if m), default=None)
            bases = [m for m in (_moment(r.get(basis_field)) for r in records) if m] if basis_field else []
            basis = max(bases, default=None) if basis_field else latest_parcel
        days = retention.days.get(kept)
        until = basis + timedelta(days=days) if basis is not None and days is not None else None
        shown = [_fields(r) for r in records]
        held.append(HeldKind(kind, len(records), since, until, shown))
    return held


def audit_log(uow: UnitOfWork, limit: int = 100) -> list[PrivacyRequestRow]:
    with uow.begin() as repos:
        return repos.privacy.requests(limit)
