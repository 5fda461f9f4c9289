"""claim_transitions: every step of a claim, who took it, when, from which status to which, and the note

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('claim_transitions',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('claim_id', BIG_ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_transitions_claim_id_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_transitions'))
    )
    op.create_index(op.f('ix_claim_transitions_claim_id'), 'claim_transitions', ['claim_id'], unique=False)
    # Claims made before the history was kept: one step to the status they stand at, by no one known.
    op.execute(
        "INSERT INTO claim_transitions (claim_id, at, actor_kind, actor, from_status, to_status, note) "
        "SELECT id, updated_at, 'system', 'before claim history was kept', NULL, status, note FROM claims"
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_claim_transitions_claim_id'), table_name='claim_transitions')
    op.drop_table('claim_transitions')
