"""The "where is my parcel?" use case: numbers in, one answer per number out."""

from __future__ import annotations

import enum
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime

from parcels.status import ParcelStatus, summarize
from parcels.storage.unit_of_work import UnitOfWork
from parcels.tracking_numbers import Candidate, Problem


class Finding(enum.StrEnum):
    FOUND = "found"
    UNKNOWN = "unknown"  # well-formed, but we have no such shipment
    CHECK_DIGIT = "check_digit"
    LENGTH = "length"


@dataclass(frozen=True, slots=True)
class TrackAnswer:
    number: str
    finding: Finding
    status: ParcelStatus | None = None


def finding_of(candidate: Candidate, known: Container[str]) -> Finding:
    """What became of a number the shopper wrote: a wrong check digit or length, one of ours, or unknown."""
    if candidate.problem is Problem.CHECK_DIGIT:
        return Finding.CHECK_DIGIT
    if candidate.problem is Problem.LENGTH:
        return Finding.LENGTH
    return Finding.FOUND if candidate.number in known else Finding.UNKNOWN


def track_candidates(uow: UnitOfWork, candidates: Iterable[Candidate], now: datetime) -> list[TrackAnswer]:
    candidates = list(candidates)
    with uow.begin() as repos:
        found = repos.parcels.find([c.number for c in candidates if c.valid])
    answers = []
    for candidate in candidates:
        finding = finding_of(candidate, found)
        parcel = found.get(candidate.number)
        status = summarize(parcel.facts, parcel.events, now) if parcel and finding is Finding.FOUND else None
        answers.append(TrackAnswer(candidate.number, finding, status))
    return answers


def answer_message(answer: TrackAnswer) -> tuple[str, dict[str, object]]:
    """The catalogue message that answers ``answer`` and the variables it needs."""
    status = answer.status
    if status is None:
        return "tracking_number_problem", {"number": answer.number, "problem": str(answer.finding)}
    last = status.last_event
    return "parcel_status", {
        "number": answer.number,
        "progress": str(status.progress),
        "stage": int(status.stage) if status.stage else None,
        "last_event_at": last.occurred_at if last else None,
        "last_event_place": last.location if last else None,
        "promised_date": status.shipment.promised_date,
        "delivered_at": status.delivered_at,
        "on_time": status.on_time,
        "time_zone": status.shipment.time_zone,
    }
