"""handoffs to agents, their notes, and the agents' action log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('handoffs',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('conversation', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agent_id', BIG_ID, nullable=True),
    sa.Column('tracking_numbers', sa.JSON(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['staff_users.id'], name=op.f('fk_handoffs_agent_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs'))
    )
    op.create_index('ix_handoffs_status_requested', 'handoffs', ['status', 'requested_at'], unique=False)
    open_only = sa.text("status != 'resolved'")
    op.create_index('uq_handoffs_open_conversation', 'handoffs', ['conversation'], unique=True,
                    sqlite_where=open_only, postgresql_where=open_only)
    op.create_table('handoff_notes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('handoff_id', BIG_ID, nullable=False),
    sa.Column('author_id', BIG_ID, nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff_users.id'], name=op.f('fk_handoff_notes_author_id_staff_users')),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_handoff_notes_handoff_id_handoffs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_notes'))
    )
    op.create_index(op.f('ix_handoff_notes_handoff_id'), 'handoff_notes', ['handoff_id'], unique=False)
    op.create_table('agent_actions',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('staff_id', BIG_ID, nullable=False),
    sa.Column('handoff_id', BIG_ID, nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_agent_actions_handoff_id_handoffs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_agent_actions_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_actions'))
    )
    op.create_index('ix_agent_actions_handoff_at', 'agent_actions', ['handoff_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_agent_actions_handoff_at', table_name='agent_actions')
    op.drop_table('agent_actions')
    op.drop_index(op.f('ix_handoff_notes_handoff_id'), table_name='handoff_notes')
    op.drop_table('handoff_notes')
    op.drop_index('uq_handoffs_open_conversation', table_name='handoffs')
    op.drop_index('ix_handoffs_status_requested', table_name='handoffs')
    op.drop_table('handoffs')
