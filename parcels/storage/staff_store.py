"""The staff accounts and their console sessions: what the use cases ask of storage, and the SQL implementations.

``parcels.storage.memory`` holds their in-memory fakes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcels.staff_records import Role, StaffAccount, StaffMember
from parcels.storage.models import StaffSession, StaffUser


class DuplicateStaff(Exception):
    """The email already has an account (perhaps made by someone else a moment ago)."""


class StaffRepository(Protocol):
    def by_email(self, email: str) -> StaffAccount | None: ...

    def get(self, staff_id: int) -> StaffAccount | None: ...

    def add(self, email: str, name: str, role: Role, password_hash: str, created_at: datetime) -> StaffMember:
        """Store a new, active account; raises DuplicateStaff when the email has one."""
        ...

    def save(self, account: StaffAccount) -> None:
        """Store the account's name, role, activity and password hash."""
        ...


class StaffSessionRepository(Protocol):
    def open(self, token_hash: str, staff_id: int, created_at: datetime, expires_at: datetime) -> None: ...

    def staff_of(self, token_hash: str, now: datetime) -> StaffMember | None:
        """The active staff member of a session neither revoked nor expired at ``now``."""
        ...

    def revoke(self, token_hash: str, now: datetime) -> None: ...


def staff_member(row: StaffUser) -> StaffMember:
    return StaffMember(id=row.id, email=row.email, name=row.name, role=Role(row.role), active=row.active)


def staff_account(row: StaffUser) -> StaffAccount:
    return StaffAccount(staff_member(row), row.password_hash)


class SqlStaff:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_email(self, email: str) -> StaffAccount | None:
        row = self._session.scalar(select(StaffUser).where(StaffUser.email == email))
        return None if row is None else staff_account(row)

    def get(self, staff_id: int) -> StaffAccount | None:
        row = self._session.get(StaffUser, staff_id)
        return None if row is None else staff_account(row)

    def add(self, email: str, name: str, role: Role, password_hash: str, created_at: datetime) -> StaffMember:
        row = StaffUser(
            email=email, name=name, role=str(role), password_hash=password_hash, active=True, created_at=created_at
        )
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError as error:
            raise DuplicateStaff(email) from error
        return staff_member(row)

    def save(self, account: StaffAccount) -> None:
        member = account.member
        row = self._session.get(StaffUser, member.id)
        if row is None:
            raise LookupError(member.id)
        row.name, row.role, row.active, row.password_hash = (
            member.name,
            str(member.role),
            member.active,
            account.password_hash,
        )
        self._session.flush()


class SqlStaffSessions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open(self, token_hash: str, staff_id: int, created_at: datetime, expires_at: datetime) -> None:
        self._session.add(
            StaffSession(token_hash=token_hash, staff_id=staff_id, created_at=created_at, expires_at=expires_at)
        )
        self._session.flush()

    def staff_of(self, token_hash: str, now: datetime) -> StaffMember | None:
        row = self._session.scalars(
            select(StaffUser)
            .join(StaffSession, StaffSession.staff_id == StaffUser.id)
            .where(
                StaffSession.token_hash == token_hash,
                StaffSession.revoked_at.is_(None),
                StaffSession.expires_at > now,
                StaffUser.active.is_(True),
            )
        ).first()
        return None if row is None else staff_member(row)

    def revoke(self, token_hash: str, now: datetime) -> None:
        self._session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == token_hash, StaffSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
