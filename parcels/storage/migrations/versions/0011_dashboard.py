"""the dashboard: unkept_promises (each unkept promise's review, kept until its events or policy change), and
the indexes its periods are read from (shipments by promised day, notifications by when they were written)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
PROMISED = ['promised_date', 'product_code', 'destination_postal_code', 'first_attempt_at', 'deadline_at']


def upgrade() -> None:
    op.create_table('unkept_promises',
    sa.Column('shipment_id', BIG_ID, nullable=False),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('excluded_by', sa.String(length=24), nullable=True),
    sa.Column('stage_seconds', sa.JSON(), nullable=False),
    sa.Column('open_stage', sa.SmallInteger(), nullable=True),
    sa.Column('open_since', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_unkept_promises_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shipment_id', name=op.f('pk_unkept_promises'))
    )
    # On a large production table, build these two by hand first with CREATE INDEX CONCURRENTLY.
    op.create_index('ix_shipments_promised', 'shipments', PROMISED, unique=False)
    op.create_index('ix_notifications_created', 'notifications', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notifications_created', table_name='notifications')
    op.drop_index('ix_shipments_promised', table_name='shipments')
    op.drop_table('unkept_promises')
