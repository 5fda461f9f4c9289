"""In-memory fakes of the repositories and the unit of work, for unit tests of the use cases.

They keep the promises of the SQL ones that the use cases rely on: one claim per order (``DuplicateClaim``),
one account per email (``DuplicateStaff``), steps in the order they were taken, and nothing kept from a
transaction that raised.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from parcels.claim_records import ClaimStatus, ClaimView, Parcel, TransitionView
from parcels.staff_records import Role, StaffAccount, StaffMember
from parcels.storage.repositories import DuplicateClaim
from parcels.storage.staff_store import DuplicateStaff
from parcels.storage.unit_of_work import Repositories
from parcels.template_records import Version, VersionStatus


@dataclass(frozen=True)
class SignInTry:
    email: str
    address: str
    succeeded: bool
    at: datetime


@dataclass(frozen=True)
class StaffSessionRecord:
    staff_id: int
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass
class MemoryState:
    parcels: dict[str, Parcel] = field(default_factory=dict)
    claims: dict[str, ClaimView] = field(default_factory=dict)  # by reference, in the order they were made
    shipment_of: dict[str, int] = field(default_factory=dict)  # claim reference -> shipment id
    steps: dict[str, list[TransitionView]] = field(default_factory=dict)
    staff: dict[int, StaffAccount] = field(default_factory=dict)  # by id
    staff_sessions: dict[str, StaffSessionRecord] = field(default_factory=dict)  # by token hash
    sign_in_tries: list[SignInTry] = field(default_factory=list)
    template_versions: dict[int, Version] = field(default_factory=dict)  # by id, in the order they were made


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


class MemoryStaff:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def by_email(self, email: str) -> StaffAccount | None:
        return next((a for a in self._state.staff.values() if a.member.email == email), None)

    def get(self, staff_id: int) -> StaffAccount | None:
        return self._state.staff.get(staff_id)

    def add(self, email: str, name: str, role: Role, password_hash: str, created_at: datetime) -> StaffMember:
        if self.by_email(email) is not None:
            raise DuplicateStaff(email)
        member = StaffMember(id=len(self._state.staff) + 1, email=email, name=name, role=role, active=True)
        self._state.staff[member.id] = StaffAccount(member, password_hash)
        return member

    def save(self, account: StaffAccount) -> None:
        if account.member.id not in self._state.staff:
            raise LookupError(account.member.id)
        self._state.staff[account.member.id] = account


class MemoryStaffSessions:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def open(self, token_hash: str, staff_id: int, created_at: datetime, expires_at: datetime) -> None:
        self._state.staff_sessions[token_hash] = StaffSessionRecord(staff_id, expires_at)

    def staff_of(self, token_hash: str, now: datetime) -> StaffMember | None:
        record = self._state.staff_sessions.get(token_hash)
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            return None
        account = self._state.staff.get(record.staff_id)
        return None if account is None or not account.member.active else account.member

    def revoke(self, token_hash: str, now: datetime) -> None:
        record = self._state.staff_sessions.get(token_hash)
        if record is not None and record.revoked_at is None:
            self._state.staff_sessions[token_hash] = dataclasses.replace(record, revoked_at=now)


class MemorySignInAttempts:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _failures(self, tries: list[SignInTry], since: datetime, limit: int) -> list[datetime]:
        return sorted((t.at for t in tries if not t.succeeded and t.at > since), reverse=True)[:limit]

    def last_success(self, email: str) -> datetime | None:
        return max((t.at for t in self._state.sign_in_tries if t.email == email and t.succeeded), default=None)

    def account_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        return self._failures([t for t in self._state.sign_in_tries if t.email == email], since, limit)

    def address_failures(self, address: str, since: datetime, limit: int) -> list[datetime]:
        return self._failures([t for t in self._state.sign_in_tries if t.address == address], since, limit)

    def add(self, email: str, address: str, succeeded: bool, at: datetime) -> None:
        self._state.sign_in_tries.append(SignInTry(email, address, succeeded, at))

    def forget_before(self, at: datetime) -> None:
        self._state.sign_in_tries = [t for t in self._state.sign_in_tries if t.at >= at]


class MemoryTemplateVersions:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def get(self, version_id: int) -> Version | None:
        return self._state.template_versions.get(version_id)

    def in_use(self, message: str, channel: str, locale: str) -> Version | None:
        published = [v for v in self.history(message, channel, locale) if v.status is VersionStatus.PUBLISHED]
        return max(published, key=lambda v: (v.published_at, v.id), default=None)

    def history(self, message: str, channel: str, locale: str) -> list[Version]:
        key = (message, channel, locale)
        mine = [v for v in self._state.template_versions.values() if (v.message, v.channel, v.locale) == key]
        return sorted(mine, key=lambda v: v.number, reverse=True)

    def add_draft(
        self, message: str, channel: str, locale: str, source: str, author: str, comment: str | None, at: datetime
    ) -> Version:
        last = max((v.number for v in self.history(message, channel, locale)), default=0)
        version = Version(
            id=len(self._state.template_versions) + 1,
            message=message,
            channel=channel,
            locale=locale,
            number=last + 1,
            source=source,
            status=VersionStatus.DRAFT,
            author=author,
            comment=comment,
            created_at=at,
            published_at=None,
        )
        self._state.template_versions[version.id] = version
        return version

    def save(self, version: Version) -> None:
        if version.id not in self._state.template_versions:
            raise LookupError(version.id)
        self._state.template_versions[version.id] = version


class MemoryUnitOfWork:
    """Each transaction works on a copy of the state, which replaces it only when the block ends cleanly."""

    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()
        self.commits = 0

    @contextmanager
    def _transaction(self) -> Iterator[Repositories]:
        working = copy.deepcopy(self.state)
        yield Repositories(
            parcels=MemoryParcels(working),
            claims=MemoryClaims(working),
            staff=MemoryStaff(working),
            staff_sessions=MemoryStaffSessions(working),
            sign_in_attempts=MemorySignInAttempts(working),
            template_versions=MemoryTemplateVersions(working),
        )
        self.state = working
        self.commits += 1

    def begin(self) -> AbstractContextManager[Repositories]:
        return self._transaction()
