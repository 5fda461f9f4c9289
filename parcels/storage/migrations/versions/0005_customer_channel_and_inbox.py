"""customers' preferred channel and web chat inbox key; the notifier's indexes; early statuses

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('early_statuses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_early_statuses'))
    )
    op.create_index(op.f('ix_early_statuses_provider_sid'), 'early_statuses', ['provider_sid'], unique=False)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('inbox_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_customers_inbox_key'), ['inbox_key'])
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_status_updated', ['status', 'updated_at'], unique=False)
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True))
    undelivered = sa.text('delivered_at IS NULL')
    late = sa.text('first_attempt_at >= deadline_at')
    op.create_index('ix_shipments_undelivered_deadline', 'shipments', ['deadline_at'],
                    sqlite_where=undelivered, postgresql_where=undelivered)
    op.create_index('ix_shipments_late_delivered', 'shipments', ['delivered_at'],
                    sqlite_where=late, postgresql_where=late)
    op.create_index('ix_shipments_late_progress', 'shipments', ['progress_at'],
                    sqlite_where=late, postgresql_where=late)
    # Replaced by the partial indexes: without statistics SQLite preferred these, and read far more.
    op.drop_index('ix_shipments_delivered_at', table_name='shipments')
    op.drop_index('ix_shipments_deadline_open', table_name='shipments')
    op.create_index('ix_notifications_shipment_kind', 'notifications', ['shipment_id', 'kind'])
    op.drop_index('ix_notifications_shipment_id', table_name='notifications')


def downgrade() -> None:
    op.drop_index(op.f('ix_early_statuses_provider_sid'), table_name='early_statuses')
    op.drop_table('early_statuses')
    op.create_index('ix_notifications_shipment_id', 'notifications', ['shipment_id'])
    op.drop_index('ix_notifications_shipment_kind', table_name='notifications')
    op.create_index('ix_shipments_deadline_open', 'shipments', ['deadline_at', 'delivered_at'])
    op.create_index('ix_shipments_delivered_at', 'shipments', ['delivered_at'])
    op.drop_index('ix_shipments_late_progress', table_name='shipments')
    op.drop_index('ix_shipments_late_delivered', table_name='shipments')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('progress_at')
    op.drop_index('ix_shipments_undelivered_deadline', table_name='shipments')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_status_updated')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_customers_inbox_key'), type_='unique')
        batch_op.drop_column('inbox_key')
        batch_op.drop_column('preferred_channel')
