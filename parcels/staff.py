"""Staff accounts for the console: agents, marketers and admins, with argon2-hashed passwords.

The use cases take the process's unit of work as their first argument.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from parcels.staff_records import Role as Role
from parcels.staff_records import StaffAccount
from parcels.staff_records import StaffMember as StaffMember
from parcels.storage.staff_store import DuplicateStaff
from parcels.storage.unit_of_work import UnitOfWork

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-here-to-spend-the-same-time")


class StaffError(ValueError):
    pass


class StaffExists(StaffError):
    pass


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
    uow: UnitOfWork, email: str, name: str, role: str, password: str, *, update: bool = False
) -> StaffMember:
    """Add a staff member; with ``update``, an existing one gets the new name, role and password."""
    email, name, checked_role = _checked(email, name, role, password)
    password_hash = _hasher.hash(password)
    try:
        with uow.begin() as repos:
            existing = repos.staff.by_email(email)
            if existing is None:
                return repos.staff.add(email, name, checked_role, password_hash, datetime.now(UTC))
            if not update:
                raise StaffExists(f"{email} already has an account")
            member = dataclasses.replace(existing.member, name=name, role=checked_role, active=True)
            repos.staff.save(StaffAccount(member, password_hash))
            return member
    except DuplicateStaff:  # someone created the same email at the same moment
        raise StaffExists(f"{email} already has an account") from None


def find_staff(uow: UnitOfWork, email: str) -> StaffMember | None:
    with uow.begin() as repos:
        account = repos.staff.by_email(normalise_email(email))
        return None if account is None else account.member


def get_staff(uow: UnitOfWork, staff_id: int) -> StaffMember | None:
    """An active staff member by id, or None."""
    with uow.begin() as repos:
        account = repos.staff.get(staff_id)
        return None if account is None or not account.member.active else account.member


def verify_staff(uow: UnitOfWork, email: str, password: str) -> StaffMember | None:
    """The active staff member with this email and password, else None (in about the same time either way)."""
    with uow.begin() as repos:
        account = repos.staff.by_email(normalise_email(email))
        stored = account.password_hash if account is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        if account is None or not account.member.active:
            return None
        if _hasher.check_needs_rehash(stored):
            repos.staff.save(StaffAccount(account.member, _hasher.hash(password)))
        return account.member


def deactivate_staff(uow: UnitOfWork, email: str) -> bool:
    with uow.begin() as repos:
        account = repos.staff.by_email(normalise_email(email))
        if account is None:
            return False
        repos.staff.save(StaffAccount(dataclasses.replace(account.member, active=False), account.password_hash))
        return True
