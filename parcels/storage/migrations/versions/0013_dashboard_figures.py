"""the dashboard's figures added up in SQL: unkept_promises keeps each review's figures that never move with the
clock, with the shipment's promised day, product, market, province and deadline (the table only caches
reviews: it is made anew, and the dashboard reviews the promises again on its next call); a notification keeps
the key of the conversation a reply to it arrives in; the notifications of a period are counted from their
index alone; a shipment keeps its province, by which its promises are counted in the order of their index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import hashlib

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
COUNTED = ['created_at', 'kind', 'channel', 'locale', 'status']
BATCH = 5000
PROMISED = ['promised_date', 'product_code', 'province', 'first_attempt_at', 'deadline_at']
PROMISED_BEFORE = ['promised_date', 'product_code', 'destination_postal_code', 'first_attempt_at', 'deadline_at']
UNKEPT_GROUPS = ['promised_date', 'product_code', 'province', 'market_code', 'excluded_by', 'attempted',
                 'policy_version', 'deadline_at', 'owed']
UNKEPT_STAGES = ['promised_date', 'product_code', 'open_stage', 'policy_version', 'attempted', 'deadline_at',
                 'excluded_by', 'open_from', *(f'over_{stage}' for stage in range(1, 8))]


def _conversation_key(channel: str, recipient: str) -> str:
    sender = f'whatsapp:{recipient}' if channel == 'whatsapp' else recipient
    return hashlib.sha256(sender.encode('utf-8', 'surrogatepass')).hexdigest()


def _keys_of_notifications_sent() -> None:
    connection = op.get_bind()
    notifications = sa.table('notifications', sa.column('id'), sa.column('channel'), sa.column('recipient'),
                             sa.column('conversation_key'))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(notifications.c.id, notifications.c.channel, notifications.c.recipient)
            .where(notifications.c.id > last, notifications.c.channel.in_(('whatsapp', 'sms')),
                   notifications.c.recipient.is_not(None))
            .order_by(notifications.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            sa.update(notifications).where(notifications.c.id == sa.bindparam('row_id'))
            .values(conversation_key=sa.bindparam('key')),
            [{'row_id': row.id, 'key': _conversation_key(row.channel, row.recipient)} for row in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table('shipments') as batch_op:
        batch_op.add_column(sa.Column('province', sa.String(length=4), nullable=True))
    op.execute("UPDATE shipments SET province = substr(trim(destination_postal_code), 1, 2)")
    with op.batch_alter_table('shipments') as batch_op:
        batch_op.alter_column('province', existing_type=sa.String(length=4), nullable=False)
    op.drop_index('ix_shipments_promised', table_name='shipments')
    op.create_index('ix_shipments_promised', 'shipments', PROMISED, unique=False)
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.add_column(sa.Column('conversation_key', sa.String(length=64), nullable=True))
    _keys_of_notifications_sent()
    # On a large production table, build these two by hand first with CREATE INDEX CONCURRENTLY.
    op.create_index('ix_notifications_conversation_key', 'notifications', ['conversation_key'], unique=False)
    op.drop_index('ix_notifications_created', table_name='notifications')
    op.create_index('ix_notifications_created', 'notifications', COUNTED, unique=False)
    op.drop_table('unkept_promises')
    op.create_table('unkept_promises',
    sa.Column('shipment_id', BIG_ID, nullable=False),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('promised_date', sa.Date(), nullable=False),
    sa.Column('product_code', sa.String(length=32), nullable=False),
    sa.Column('market_code', sa.String(length=8), nullable=False),
    sa.Column('province', sa.String(length=4), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('excluded_by', sa.String(length=24), nullable=True),
    sa.Column('attempted', sa.Boolean(), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=True),
    sa.Column('owed', sa.Numeric(precision=12, scale=2), nullable=True),
    *(sa.Column(f'over_{stage}', sa.Float(), nullable=True) for stage in range(1, 8)),
    sa.Column('open_stage', sa.SmallInteger(), nullable=True),
    sa.Column('open_from', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_unkept_promises_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shipment_id', name=op.f('pk_unkept_promises'))
    )
    op.create_index('ix_unkept_promises_groups', 'unkept_promises', UNKEPT_GROUPS, unique=False)
    op.create_index('ix_unkept_promises_stages', 'unkept_promises', UNKEPT_STAGES, unique=False)


def downgrade() -> None:
    op.drop_index('ix_shipments_promised', table_name='shipments')
    op.create_index('ix_shipments_promised', 'shipments', PROMISED_BEFORE, unique=False)
    with op.batch_alter_table('shipments') as batch_op:
        batch_op.drop_column('province')
    op.drop_index('ix_notifications_created', table_name='notifications')
    op.create_index('ix_notifications_created', 'notifications', ['created_at'], unique=False)
    op.drop_index('ix_notifications_conversation_key', table_name='notifications')
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_column('conversation_key')
    op.drop_index('ix_unkept_promises_stages', table_name='unkept_promises')
    op.drop_index('ix_unkept_promises_groups', table_name='unkept_promises')
    op.drop_table('unkept_promises')
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
