"""Signing in to the staff console: failures limited per account and per client address, and sessions that
live in the database, so that every web process counts the same failures and a sign-out ends the session
for every copy of its cookie.

An account (the email as given, known or not, so that limits tell nothing about which accounts exist) is
locked after ``per_account`` failures since its last success within ``window``; a client address after
``per_address`` failures within ``window``, whatever the emails. While locked, nothing is checked or
counted; the lock ends when the oldest of those failures leaves the window. Every try that is checked
costs one password hash, whatever the email and password (``parcels.staff.verify_staff``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, func, select, update
from sqlalchemy.orm import Session

from parcels.staff import StaffMember, normalise_email, verify_staff
from parcels.storage.db import session_scope
from parcels.storage.models import SignInAttempt, StaffSession, StaffUser

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


def _failures(session: Session, where: ColumnElement[bool], since: datetime, limit: int) -> list[datetime]:
    rows = session.scalars(
        select(SignInAttempt.at)
        .where(where, SignInAttempt.succeeded.is_(False), SignInAttempt.at > since)
        .order_by(SignInAttempt.at.desc())
        .limit(limit)
    )
    return list(rows)


def lock_left(email: str, address: str, now: datetime, limits: Limits, engine: Engine | None = None) -> timedelta:
    """How long this email, or this address, must wait before another try (0: it may try now)."""
    start = now - limits.window
    with session_scope(engine) as session:
        last_success = session.scalar(
            select(func.max(SignInAttempt.at)).where(SignInAttempt.email == email, SignInAttempt.succeeded.is_(True))
        )
        since = max(start, last_success) if last_success is not None else start
        account = _failures(session, SignInAttempt.email == email, since, limits.per_account)
        client = _failures(session, SignInAttempt.address == address, start, limits.per_address)
    return max(
        wait_for(account, limits.per_account, limits.window, now),
        wait_for(client, limits.per_address, limits.window, now),
    )


def attempt_sign_in(
    email: str, password: str, address: str, now: datetime, limits: Limits | None = None, engine: Engine | None = None
) -> SignIn:
    """Check one try at signing in from ``address``, unless the email or the address is locked; record it."""
    limits = limits or Limits()
    email, address = normalise_email(email)[:254], address[:64]
    wait = lock_left(email, address, now, limits, engine)
    if wait > timedelta(0):
        return SignIn(None, wait)
    staff = verify_staff(email, password, engine)
    with session_scope(engine) as session:
        session.add(SignInAttempt(email=email, address=address, succeeded=staff is not None, at=now))
        if staff is not None:  # the record of old tries is kept for a while, then let go
            session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - KEEP_ATTEMPTS))
    return SignIn(staff)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(staff_id: int, now: datetime, engine: Engine | None = None) -> str:
    """A new session for a staff member who has just signed in: the token for their cookie."""
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(
            StaffSession(token_hash=_hash(token), staff_id=staff_id, created_at=now, expires_at=now + SESSION_LIFETIME)
        )
    return token


def staff_of_session(token: str, now: datetime, engine: Engine | None = None) -> StaffMember | None:
    """The active staff member signed in with this token, unless the session was revoked or has expired."""
    with session_scope(engine) as session:
        row = session.scalars(
            select(StaffUser)
            .join(StaffSession, StaffSession.staff_id == StaffUser.id)
            .where(
                StaffSession.token_hash == _hash(token),
                StaffSession.revoked_at.is_(None),
                StaffSession.expires_at > now,
                StaffUser.active.is_(True),
            )
        ).first()
        return None if row is None else StaffMember.of(row)


def revoke_session(token: str, now: datetime, engine: Engine | None = None) -> None:
    """End a session: any copy of its cookie is signed out from now on."""
    with session_scope(engine) as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
