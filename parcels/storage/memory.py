"""In-memory fakes of the repositories and the unit of work, for unit tests of the use cases.

They keep the promises of the SQL ones that the use cases rely on: one claim per order (``DuplicateClaim``),
steps in the order they were taken, and nothing kept from a transaction that raised.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from parcels.claim_records import ClaimStatus, ClaimView, Parcel, TransitionView
from parcels.storage.repositories import DuplicateClaim
from parcels.storage.unit_of_work import Repositories


@dataclass
class MemoryState:
    parcels: dict[str, Parcel] = field(default_factory=dict)
    claims: dict[str, ClaimView] = field(default_factory=dict)  # by reference, in the order they were made
    shipment_of: dict[str, int] = field(default_factory=dict)  # claim reference -> shipment id
    steps: dict[str, list[TransitionView]] = field(default_factory=dict)


class MemoryParcels:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def get(self, tracking_number: str) -> Parcel | None:
        return self._state.parcels.get(tracking_number)


class MemoryClaims:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def for_orders(self, order_keys: Collection[str]) -> dict[str, ClaimView]:
        return {claim.order_key: claim for claim in self._state.claims.values() if claim.order_key in order_keys}

    def get(self, reference: str, for_update: bool = False) -> ClaimView | None:
        return self._state.claims.get(reference)

    def page(self, status: ClaimStatus | None, limit: int, offset: int) -> tuple[list[ClaimView], int]:
        chosen = [c for c in self._state.claims.values() if status is None or c.status is status]
        newest_first = sorted(chosen, key=lambda c: c.requested_at, reverse=True)
        return newest_first[offset : offset + limit], len(chosen)

    def add(self, claim: ClaimView, shipment_id: int) -> None:
        taken = {c.order_key for c in self._state.claims.values()}
        if claim.reference in self._state.claims or claim.order_key in taken:
            raise DuplicateClaim(claim.order_key)
        self._state.claims[claim.reference] = claim
        self._state.shipment_of[claim.reference] = shipment_id
        self._state.steps[claim.reference] = []

    def update(self, claim: ClaimView) -> None:
        if claim.reference not in self._state.claims:
            raise LookupError(claim.reference)
        self._state.claims[claim.reference] = claim

    def record(self, reference: str, step: TransitionView) -> None:
        if reference not in self._state.claims:
            raise LookupError(reference)
        self._state.steps[reference].append(step)

    def history(self, reference: str) -> tuple[TransitionView, ...]:
        return tuple(self._state.steps.get(reference, ()))


class MemoryUnitOfWork:
    """Each transaction works on a copy of the state, which replaces it only when the block ends cleanly."""

    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()
        self.commits = 0

    @contextmanager
    def _transaction(self) -> Iterator[Repositories]:
        working = copy.deepcopy(self.state)
        yield Repositories(MemoryParcels(working), MemoryClaims(working))
        self.state = working
        self.commits += 1

    def begin(self) -> AbstractContextManager[Repositories]:
        return self._transaction()
