"""privacy_requests: every request about a shopper's data (find, export, erase), and each day's purge of what is
past its time, with its outcome; shipments, claims and handoffs note when their shopper's data was erased

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
ERASED = ('shipments', 'claims', 'handoffs')


def upgrade() -> None:
    op.create_table('privacy_requests',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key_kind', sa.String(length=16), nullable=True),
    sa.Column('key_masked', sa.String(length=160), nullable=True),
    sa.Column('key_digest', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('ground', sa.String(length=500), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_requests')),
    sa.UniqueConstraint('reference', name='uq_privacy_requests_reference')
    )
    op.create_index('ix_privacy_requests_at', 'privacy_requests', ['at'], unique=False)
    op.create_index(op.f('ix_privacy_requests_key_digest'), 'privacy_requests', ['key_digest'], unique=False)
    for table in ERASED:
        op.add_column(table, sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ERASED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('erased_at')
    op.drop_index(op.f('ix_privacy_requests_key_digest'), table_name='privacy_requests')
    op.drop_index('ix_privacy_requests_at', table_name='privacy_requests')
    op.drop_table('privacy_requests')
