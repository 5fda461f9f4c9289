"""The database engine: SQLite file by default, ``DATABASE_URL`` for PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'parcels.db'}"


def database_url(url: str | None = None) -> str:
    """``url`` (else ``DATABASE_URL``, else the SQLite default) as SQLAlchemy 2 here reads it."""
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    # Heroku-style and plain postgres URLs mean the psycopg 3 driver here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    event.listen(engine, "connect", _postgresql_in_utc)
    return engine


def _postgresql_in_utc(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Times come back in UTC, as ``datetime.UTC``: one zone object to compare with, not a zoneinfo to convert
    from. Set on the session, so that options given in ``DATABASE_URL`` stay as they are."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@cache
def default_engine() -> Engine:
    return make_engine()


@cache
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def lock_for_writing(session: Session) -> None:
    """Take the database's write lock now, at the start of ``session``'s transaction, when what it reads
    decides what it writes. SQLite otherwise reads before it takes the lock (a deferred transaction), so
    a writer committing in between is not seen; PostgreSQL's conditional updates need nothing here."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = _session_factory(engine or default_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched. ``Session.execute`` is typed as returning any ``Result``; for those
    statements it is a ``CursorResult``, the one that counts them."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"a {type(result).__name__} has no row count: execute an UPDATE or DELETE")
    return result.rowcount
