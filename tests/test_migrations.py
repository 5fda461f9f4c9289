"""The migrations build exactly the schema the models describe (on SQLite, and on PostgreSQL in its run)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from parcels.storage.models import Base


def test_the_migrated_schema_is_the_models_schema(migrated: Engine) -> None:
    with migrated.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_notifiers_partial_indexes_exist(migrated: Engine) -> None:
    indexes = {index["name"] for index in inspect(migrated).get_indexes("shipments")}
    assert {"ix_shipments_undelivered_deadline", "ix_shipments_late_delivered", "ix_shipments_late_progress"} <= indexes
    assert "ix_shipments_delivered_at" not in indexes  # replaced: SQLite preferred it and read far more
