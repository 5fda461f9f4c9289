"""Staff accounts for the console: agents, marketers and admins, with argon2-hashed passwords."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from parcels.storage.db import session_scope
from parcels.storage.models import StaffUser

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-here-to-spend-the-same-time")


class Role(enum.StrEnum):
    AGENT = "agent"
    MARKETER = "marketer"
    ADMIN = "admin"


class StaffError(ValueError):
    pass


class StaffExists(StaffError):
    pass


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    email: str
    name: str
    role: Role
    active: bool

    @classmethod
    def of(cls, row: StaffUser) -> StaffMember:
        return cls(id=row.id, email=row.email, name=row.name, role=Role(row.role), active=row.active)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _checked(email: str, name: str, role: str, password: str) -> tuple[str, str, Role]:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise StaffError(f"{email!r} is not an email address")
    name = name.strip()
    if not name or len(name) > 200:
        raise StaffError("the name must be 1 to 200 characters")
    try:
        checked_role = Role(role)
    except ValueError:
        raise StaffError(f"unknown role {role!r}; known: {', '.join(Role)}") from None
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffError(f"the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return email, name, checked_role


def create_staff(
    email: str, name: str, role: str, password: str, engine: Engine | None = None, *, update: bool = False
) -> StaffMember:
    """Add a staff member; with ``update``, an existing one gets the new name, role and password."""
    email, name, checked_role = _checked(email, name, role, password)
    password_hash = _hasher.hash(password)
    try:
        with session_scope(engine) as session:
            row = session.scalar(select(StaffUser).where(StaffUser.email == email))
            if row is not None and not update:
                raise StaffExists(f"{email} already has an account")
            if row is None:
                row = StaffUser(email=email, created_at=datetime.now(UTC))
                session.add(row)
            row.name, row.role, row.password_hash, row.active = name, str(checked_role), password_hash, True
            session.flush()
            return StaffMember.of(row)
    except IntegrityError:  # someone created the same email at the same moment
        raise StaffExists(f"{email} already has an account") from None


def find_staff(email: str, engine: Engine | None = None) -> StaffMember | None:
    with session_scope(engine) as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
        return None if row is None else StaffMember.of(row)


def get_staff(staff_id: int, engine: Engine | None = None) -> StaffMember | None:
    """An active staff member by id, or None."""
    with session_scope(engine) as session:
        row = session.get(StaffUser, staff_id)
        return None if row is None or not row.active else StaffMember.of(row)


def verify_staff(email: str, password: str, engine: Engine | None = None) -> StaffMember | None:
    """The active staff member with this email and password, else None (in about the same time either way)."""
    with session_scope(engine) as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        if _hasher.check_needs_rehash(stored):
            row.password_hash = _hasher.hash(password)
        return StaffMember.of(row)


def deactivate_staff(email: str, engine: Engine | None = None) -> bool:
    with session_scope(engine) as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
        if row is None:
            return False
        row.active = False
        return True
