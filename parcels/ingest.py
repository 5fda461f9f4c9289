"""Ingest carriers' tracking events: validated one by one, stored idempotently, kept in time order.

A batch keeps its valid events even when some are rejected; each rejected event gets
its own error. Ingestion is idempotent on the carrier's event id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from parcels.shipment_records import IncomingEvent
from parcels.stages import UnknownEventCode, lookup
from parcels.storage.unit_of_work import Repositories, UnitOfWork
from parcels.text import Unreadable, bad_character
from parcels.tracking_numbers import validate

MAX_BATCH = 5000


class RecordError(ValueError):
    """One input record that cannot be used, with a message fit for the operator."""


@dataclass(slots=True)
class Rejection:
    """A record left out of a batch: its position, its id (event id or tracking number) and why."""

    index: int
    id: str | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "error": self.error}


@dataclass(slots=True)
class IngestReport:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": len(self.accepted),
            "duplicates": len(self.duplicates),
            "rejected": [r.as_dict() for r in self.rejected],
        }

    def merge(self, other: IngestReport, index_offset: int = 0) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += [Rejection(r.index + index_offset, r.id, r.error) for r in other.rejected]


MAX_ID_NUMBER = 10**18  # a number given where text belongs (an id) is read as its digits, up to this size
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # the years a payment or a tracking event may fall in


def required_text(record: Mapping[str, Any], name: str, max_length: int) -> str:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(f"{name} is missing")
    if isinstance(value, Unreadable):
        raise RecordError(f"{name} {value.reason}")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"{name} must be a string")
    if isinstance(value, int) and abs(value) >= MAX_ID_NUMBER:
        raise RecordError(f"{name} is a number too long to be an id; send it as a string")
    text = str(value).strip()
    if len(text) > max_length:
        raise RecordError(f"{name} is longer than {max_length} characters")
    if (problem := bad_character(text)) is not None:
        raise RecordError(f"{name} {problem}")
    return text


def record_id(record: Any, name: str) -> str | None:
    """A refused record's id as the operator wrote it, to point them at it; None if it is not a usable id."""
    value = record.get(name) if isinstance(record, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID_NUMBER:
        return str(value)
    if isinstance(value, str) and len(value) <= 128 and bad_character(value) is None:
        return value
    return None


def optional_text(record: Mapping[str, Any], name: str, max_length: int) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    return required_text(record, name, max_length)


def aware_time(record: Mapping[str, Any], name: str) -> datetime:
    raw = required_text(record, name, 64)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"{name} {raw!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise RecordError(f"{name} {raw!r} has no UTC offset; add one, e.g. 2026-11-20T10:15:00+01:00")
    out_of_range = RecordError(f"{name} {raw!r} is not between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise out_of_range from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise out_of_range
    return moment


def valid_tracking_number(record: Mapping[str, Any]) -> str:
    raw = required_text(record, "tracking_number", 40)
    candidate = validate(raw)
    if not candidate.valid:
        raise RecordError(f"tracking_number {raw!r} is not a valid S10 or LP number ({candidate.problem})")
    return candidate.number


def parse_event(record: Any) -> IncomingEvent:
    if not isinstance(record, Mapping):
        raise RecordError("an event must be a JSON object")
    event_id = required_text(record, "event_id", 128)
    tracking_number = valid_tracking_number(record)
    raw_code = required_text(record, "code", 48)
    try:
        code = lookup(raw_code)
    except UnknownEventCode:
        raise RecordError(
            f"unknown event code {raw_code!r}: add it to the code table (parcels/event_codes.csv)"
        ) from None
    return IncomingEvent(
        event_id=event_id,
        tracking_number=tracking_number,
        code=code.code,
        stage=int(code.stage),
        kind=str(code.kind),
        occurred_at=aware_time(record, "occurred_at"),
        location=optional_text(record, "location", 120),
    )


def ingest_events(uow: UnitOfWork, records: Sequence[Any], received_at: datetime) -> IngestReport:
    """Store the valid events of a batch in one transaction."""
    if len(records) > MAX_BATCH:
        raise RecordError(f"a batch holds at most {MAX_BATCH} events, got {len(records)}")
    try:
        with uow.begin() as repos:
            return _ingest(repos, records, received_at)
    except IntegrityError:
        # Another writer stored some of the same events meanwhile: they are duplicates now.
        with uow.begin() as repos:
            return _ingest(repos, records, received_at)


def _ingest(repos: Repositories, records: Sequence[Any], received_at: datetime) -> IngestReport:
    report = IngestReport()
    parsed: list[tuple[int, IncomingEvent]] = []
    for index, record in enumerate(records):
        try:
            parsed.append((index, parse_event(record)))
        except RecordError as error:
            report.rejected.append(Rejection(index, record_id(record, "event_id"), str(error)))

    ids = repos.shipments.ids_of(event.tracking_number for _, event in parsed)
    stored = repos.shipments.stored_event_ids(event.event_id for _, event in parsed)
    new: list[tuple[int, IncomingEvent]] = []
    for index, event in parsed:
        shipment_id = ids.get(event.tracking_number)
        if shipment_id is None:
            report.rejected.append(
                Rejection(
                    index,
                    event.event_id,
                    f"unknown tracking number {event.tracking_number}: register the shipment first",
                )
            )
            continue
        if event.event_id in stored:
            report.duplicates.append(event.event_id)
            continue
        stored.add(event.event_id)
        new.append((shipment_id, event))
        report.accepted.append(event.event_id)
    repos.shipments.add_events(new, received_at)
    report.rejected.sort(key=lambda r: r.index)
    return report
