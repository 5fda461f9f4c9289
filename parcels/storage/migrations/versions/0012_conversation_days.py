"""conversation_days: each day a shopper wrote to the assistant, by a hash of the conversation, with its channel
and language, so that the dashboard can tell the conversations settled without a person and the notifications
replied to

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_days',
    sa.Column('conversation_key', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('conversation_key', 'day', name=op.f('pk_conversation_days'))
    )
    op.create_index('ix_conversation_days_day', 'conversation_days', ['day'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_days_day', table_name='conversation_days')
    op.drop_table('conversation_days')
