"""The record of tries at signing in to the console, which every web process counts the same: the protocol the
sign-in use case asks of storage and its SQL implementation (the fake is in ``parcels.storage.memory``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from parcels.storage.models import SignInAttempt


class SignInAttemptRepository(Protocol):
    def last_success(self, email: str) -> datetime | None: ...

    def account_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        """The times of at most ``limit`` failures for the email after ``since``, newest first."""
        ...

    def address_failures(self, address: str, since: datetime, limit: int) -> list[datetime]:
        """The times of at most ``limit`` failures from the address after ``since``, newest first."""
        ...

    def add(self, email: str, address: str, succeeded: bool, at: datetime) -> None: ...

    def forget_before(self, at: datetime) -> None:
        """Let go of the tries older than ``at``."""
        ...


class SqlSignInAttempts:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _failures(self, where: ColumnElement[bool], since: datetime, limit: int) -> list[datetime]:
        rows = self._session.scalars(
            select(SignInAttempt.at)
            .where(where, SignInAttempt.succeeded.is_(False), SignInAttempt.at > since)
            .order_by(SignInAttempt.at.desc())
            .limit(limit)
        )
        return list(rows)

    def last_success(self, email: str) -> datetime | None:
        return self._session.scalar(
            select(func.max(SignInAttempt.at)).where(SignInAttempt.email == email, SignInAttempt.succeeded.is_(True))
        )

    def account_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        return self._failures(SignInAttempt.email == email, since, limit)

    def address_failures(self, address: str, since: datetime, limit: int) -> list[datetime]:
        return self._failures(SignInAttempt.address == address, since, limit)

    def add(self, email: str, address: str, succeeded: bool, at: datetime) -> None:
        self._session.add(SignInAttempt(email=email, address=address, succeeded=succeeded, at=at))
        self._session.flush()

    def forget_before(self, at: datetime) -> None:
        self._session.execute(delete(SignInAttempt).where(SignInAttempt.at < at))
