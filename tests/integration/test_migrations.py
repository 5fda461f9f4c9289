"""The migrations build exactly the schema the models describe (on SQLite, and on PostgreSQL in its run)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from parcels.conversation_records import conversation_key
from parcels.storage.migrate import upgrade
from parcels.storage.models import Base


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
    with engine.begin() as connection:  # the shipments table as it was then
        connection.execute(
            text(
                "INSERT INTO shipments (tracking_number, order_ref, product_code, market_code, origin_country,"
                " destination_postal_code, destination_city, paid_at, promised_date, deadline_at, created_at)"
                " VALUES ('LP00012345678901', 'ORD-1', 'CHOICE_9', 'ES', 'CN', '28013', 'Madrid',"
                " '2026-11-27 10:00:00', '2026-12-06', '2026-12-06 23:00:00', '2026-11-27 10:00:00')"
            )
        )
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


def test_handoffs_made_before_the_clock_get_a_reference_a_due_date_and_their_first_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0009")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_users (id, email, name, password_hash, role, active, created_at)"
                " VALUES (1, 'ana@example.com', 'Ana', 'x', 'agent', 1, '2026-11-01 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO handoffs (conversation, channel, language, reason, status, agent_id, tracking_numbers,"
                " requested_at) VALUES ('c-1', 'whatsapp', 'es', 'asked', 'assigned', 1, '[]', '2026-12-04 10:00:00'),"
                " ('c-2', 'socketio', 'en', 'asked', 'waiting', NULL, '[]', '2026-12-11 11:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO agent_actions (staff_id, handoff_id, action, at) VALUES"
                " (1, 1, 'take', '2026-12-04 10:01:00'), (1, 1, 'message', '2026-12-04 10:02:30'),"
                " (1, 1, 'message', '2026-12-04 10:09:00')"
            )
        )
    upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT reference, answer_due_on, first_reply_at FROM handoffs ORDER BY id")
        ).all()
    engine.dispose()
    assert [(str(due), str(first)) for _, due, first in rows] == [
        ("2026-12-29", "2026-12-04 10:02:30"),  # 8 and 25 December are national holidays
        ("2027-01-05", "None"),
    ]
    assert all(reference.startswith("H-") and len(reference) == 10 for reference, _, _ in rows)


def test_shipments_get_their_province_and_notifications_the_conversation_a_reply_arrives_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0012")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO shipments (id, tracking_number, product_code, market_code, origin_country,"
                " destination_postal_code, paid_at, promised_date, deadline_at, created_at)"
                " VALUES (1, 'LP00012345678901', 'CHOICE_9', 'ES', 'CN', ' 35001', '2026-11-27 10:00:00',"
                " '2026-12-06', '2026-12-06 23:00:00', '2026-11-27 10:00:00')"
            )
        )
        for n, (channel, recipient) in enumerate((("whatsapp", "+34600000001"), ("sms", "+34600000002"), ("web", "k"))):
            connection.execute(
                text(
                    "INSERT INTO notifications (dedupe_key, shipment_id, kind, channel, recipient, locale, variables,"
                    " status, not_before, attempts, created_at, updated_at) VALUES (:key, 1, 'promise_broken',"
                    " :channel, :recipient, 'es', '{}', 'sent', '2026-12-07 10:00:00', 1, '2026-12-07 10:00:00',"
                    " '2026-12-07 10:00:00')"
                ),
                {"key": f"1:{n}", "channel": channel, "recipient": recipient},
            )
    upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT province FROM shipments")).scalar_one() == "35"
        keys = connection.execute(text("SELECT channel, conversation_key FROM notifications ORDER BY id")).all()
    assert keys == [
        ("whatsapp", conversation_key("whatsapp:+34600000001")),
        ("sms", conversation_key("+34600000002")),
        ("web", None),
    ]
    engine.dispose()
