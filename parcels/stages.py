"""The seven stages of a cross-border parcel and the table that maps carriers' event codes to them.

The stage model follows the UPU EMSEVT events; carriers' own codes (Cainiao-style
``actionCode``s...) are mapped onto the same stages by ``event_codes.csv``, which an
operator extends without touching code.
"""

from __future__ import annotations

import csv
import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EVENT_CODES_FILE = Path(__file__).with_name("event_codes.csv")


class Stage(enum.IntEnum):
    COLLECTION = 1
    ORIGIN_SORTING = 2
    EXPORT_CUSTOMS = 3
    LINE_HAUL = 4
    IMPORT_CUSTOMS = 5
    DESTINATION_SORTING = 6
    LAST_MILE = 7


class EventKind(enum.StrEnum):
    """What an event means for the shopper, beyond the stage it belongs to."""

    PROGRESS = "progress"
    CUSTOMS_HOLD = "customs_hold"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AT_PICKUP_POINT = "at_pickup_point"  # a station signed: not a delivery to the customer
    ATTEMPT_FAILED = "attempt_failed"
    DELIVERED = "delivered"
    RETURNED = "returned"


class Cause(enum.StrEnum):
    """Who or what an event says caused a delay that is not the carrier's: promise exclusions."""

    WRONG_ADDRESS = "wrong_address"
    REFUSED = "refused"
    NOT_COLLECTED = "not_collected"
    BUYER_DOCUMENTS = "buyer_documents"  # customs wait for documents only the buyer can supply


@dataclass(frozen=True, slots=True)
class EventCode:
    code: str
    system: str
    stage: Stage
    kind: EventKind
    meaning: str
    cause: Cause | None = None


class UnknownEventCode(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown event code {code!r}")
        self.code = code


@cache
def event_codes(path: Path = EVENT_CODES_FILE) -> dict[str, EventCode]:
    """The mapping table, keyed by upper-case code."""
    table: dict[str, EventCode] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            code = row["code"].strip().upper()
            if code in table:
                raise ValueError(f"{path}:{line}: code {code} is listed twice")
            try:
                table[code] = EventCode(
                    code=code,
                    system=row["system"].strip(),
                    stage=Stage(int(row["stage"])),
                    kind=EventKind(row["kind"].strip()),
                    meaning=row["meaning"].strip(),
                    cause=Cause(row["cause"].strip()) if row["cause"].strip() else None,
                )
            except ValueError as error:
                raise ValueError(f"{path}:{line}: {error}") from error
    return table


def cause_of(code: str) -> Cause | None:
    """The exclusion cause an event code carries; None for ordinary codes and codes no longer listed."""
    known = event_codes().get(code.strip().upper())
    return known.cause if known else None


def stages_with(kind: EventKind) -> frozenset[Stage]:
    """The stages that have at least one event code of ``kind``."""
    return frozenset(Stage(entry.stage) for entry in event_codes().values() if entry.kind is kind)


def lookup(code: str) -> EventCode:
    """The stage and kind of a carrier's event code; raises UnknownEventCode."""
    try:
        return event_codes()[code.strip().upper()]
    except KeyError:
        raise UnknownEventCode(code) from None
