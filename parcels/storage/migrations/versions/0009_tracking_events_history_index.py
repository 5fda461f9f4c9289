"""tracking_events: the index on (shipment_id, occurred_at) becomes one that covers what a shipment's history
is read with (ix_tracking_events_shipment_history), so that the notifier reads thousands of histories from the
index alone, in order, instead of one table lookup per event

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

HISTORY = ['shipment_id', 'occurred_at', 'stage', 'event_id', 'code', 'kind', 'location']


def upgrade() -> None:
    op.create_index('ix_tracking_events_shipment_history', 'tracking_events', HISTORY, unique=False)
    op.drop_index('ix_tracking_events_shipment_time', table_name='tracking_events')


def downgrade() -> None:
    op.create_index('ix_tracking_events_shipment_time', 'tracking_events', ['shipment_id', 'occurred_at'], unique=False)
    op.drop_index('ix_tracking_events_shipment_history', table_name='tracking_events')
