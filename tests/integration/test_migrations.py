"""The migrations build exactly the schema the models describe (on SQLite, and on PostgreSQL in its run)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from parcels.shipments import register_shipments
from parcels.storage.migrate import upgrade
from parcels.storage.models import Base
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import shipment_record


def test_the_migrated_schema_is_the_models_schema(migrated: Engine) -> None:
    with migrated.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_notifiers_partial_indexes_exist(migrated: Engine) -> None:
    indexes = {index["name"] for index in inspect(migrated).get_indexes("shipments")}
    assert {"ix_shipments_undelivered_deadline", "ix_shipments_late_delivered", "ix_shipments_late_progress"} <= indexes
    assert "ix_shipments_delivered_at" not in indexes  # replaced: SQLite preferred it and read far more


def test_claims_made_before_their_history_get_one_step(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    engine = create_engine(url)
    register_shipments(SqlUnitOfWork(engine), [shipment_record("LP00012345678901")])
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO claims (reference, order_key, shipment_id, tracking_number, status, amount, currency,"
                ' form, "grant", days_late, policy_version, channel, verified_by, note, requested_at, updated_at)'
                " SELECT 'C-23456789', 'ORD-1', id, tracking_number, 'paid', 3, 'EUR', 'coupon', 'automatic', 2,"
                " '2026-11-01', 'web', 'postal_code', 'sent', '2026-11-20 10:00:00', '2026-11-21 10:00:00'"
                " FROM shipments"
            )
        )
    upgrade(url)
    with engine.connect() as connection:
        steps = connection.execute(text("SELECT actor_kind, from_status, to_status, note FROM claim_transitions"))
        assert steps.all() == [("system", None, "paid", "sent")]
    engine.dispose()
