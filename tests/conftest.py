"""Shared fixtures: one migrated database per test session (SQLite file, or PostgreSQL
when TEST_DATABASE_URL is set), emptied after every test that uses it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

# Set before anything builds the default engine, so the code under test and the
# processes the end-to-end tests start all use the test database.
_TMP = Path(tempfile.mkdtemp(prefix="parcels-tests-"))
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from parcels.storage.db import default_engine  # noqa: E402
from parcels.storage.migrate import upgrade  # noqa: E402
from parcels.storage.models import Base  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def migrated() -> Engine:
    engine = default_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    return engine


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def db(migrated: Engine) -> Iterator[Engine]:
    """The test database, empty at the start of the test."""
    _empty(migrated)
    yield migrated
    _empty(migrated)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def stack(migrated: Engine, artifacts: Path):  # type: ignore[no-untyped-def]
    """The real rasa, actions and web processes, started once for the end-to-end tests."""
    from tests.processes import running_stack

    with running_stack(artifacts / "logs") as running:
        yield running


@pytest.fixture(scope="session")
def production(migrated: Engine, artifacts: Path):  # type: ignore[no-untyped-def]
    """The production profile (two of every process behind HAProxy, Redis, PostgreSQL), started once."""
    from tests.production import available, running_production

    if (why := available()) is not None:
        pytest.skip(why)
    with running_production(artifacts / "logs" / "production") as running:
        yield running
