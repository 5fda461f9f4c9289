"""Signing in to the staff console: failures limited per account and per client address, and sessions that
live in the database, so that every web process counts the same failures and a sign-out ends the session
for every copy of its cookie.

An account (the email as given, known or not, so that limits tell nothing about which accounts exist) is
locked after ``per_account`` failures since its last success within ``window``; a client address after
``per_address`` failures within ``window``, whatever the emails. While locked, nothing is checked or
counted; the lock ends when the oldest of those failures leaves the window. Every try that is checked
costs one password hash, whatever the email and password (``parcels.staff.verify_staff``).

The use cases take the process's unit of work as their first argument.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from parcels.staff import StaffMember, normalise_email, verify_staff
from parcels.storage.unit_of_work import UnitOfWork

SESSION_LIFETIME = timedelta(hours=8)  # however active: a sign-in lasts a working day
KEEP_ATTEMPTS = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Limits:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SignIn:
    """What became of a try: the staff member signed in (else None), or how long until one may try again."""

    staff: StaffMember | None
    wait: timedelta = timedelta(0)

    @property
    def locked(self) -> bool:
        return self.wait > timedelta(0)


def wait_for(failures: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> timedelta:
    """How long until one more try is allowed, given the failures that count (newest first)."""
    recent = [at for at in failures if now - at < window]
    if len(recent) < limit:
        return timedelta(0)
    return recent[limit - 1] + window - now


def lock_left(uow: UnitOfWork, email: str, address: str, now: datetime, limits: Limits) -> timedelta:
    """How long this email, or this address, must wait before another try (0: it may try now)."""
    start = now - limits.window
    with uow.begin() as repos:
        last_success = repos.sign_in_attempts.last_success(email)
        since = max(start, last_success) if last_success is not None else start
        account = repos.sign_in_attempts.account_failures(email, since, limits.per_account)
        client = repos.sign_in_attempts.address_failures(address, start, limits.per_address)
    return max(
        wait_for(account, limits.per_account, limits.window, now),
        wait_for(client, limits.per_address, limits.window, now),
    )


def attempt_sign_in(
    uow: UnitOfWork, email: str, password: str, address: str, now: datetime, limits: Limits | None = None
) -> SignIn:
    """Check one try at signing in from ``address``, unless the email or the address is locked; record it."""
    limits = limits or Limits()
    email, address = normalise_email(email)[:254], address[:64]
    wait = lock_left(uow, email, address, now, limits)
    if wait > timedelta(0):
        return SignIn(None, wait)
    staff = verify_staff(uow, email, password)
    with uow.begin() as repos:
        repos.sign_in_attempts.add(email, address, staff is not None, now)
        if staff is not None:  # the record of old tries is kept for a while, then let go
            repos.sign_in_attempts.forget_before(now - KEEP_ATTEMPTS)
    return SignIn(staff)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(uow: UnitOfWork, staff_id: int, now: datetime) -> str:
    """A new session for a staff member who has just signed in: the token for their cookie."""
    token = secrets.token_urlsafe(32)
    with uow.begin() as repos:
        repos.staff_sessions.open(_hash(token), staff_id, now, now + SESSION_LIFETIME)
    return token


def staff_of_session(uow: UnitOfWork, token: str, now: datetime) -> StaffMember | None:
    """The active staff member signed in with this token, unless the session was revoked or has expired."""
    with uow.begin() as repos:
        return repos.staff_sessions.staff_of(_hash(token), now)


def revoke_session(uow: UnitOfWork, token: str, now: datetime) -> None:
    """End a session: any copy of its cookie is signed out from now on."""
    with uow.begin() as repos:
        repos.staff_sessions.revoke(_hash(token), now)
