"""handoffs: the shopper's reference for the request, the day its answer is due, and when an agent first wrote
(the clock to a person stops), so that attendance can be shown and proved per handoff

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _due(requested_at: datetime) -> date:
    """15 business days after the request's date in Madrid, national holidays: the region is not recorded."""
    if requested_at.tzinfo is None:
        requested_at = requested_at.replace(tzinfo=UTC)
    day = requested_at.astimezone(ZoneInfo("Europe/Madrid")).date()
    left = 15
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays.country_holidays("ES", years=day.year):
            left -= 1
    return day


def upgrade() -> None:
    with op.batch_alter_table('handoffs') as batch:
        batch.add_column(sa.Column('reference', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('answer_due_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    handoffs = sa.table('handoffs', sa.column('id'), sa.column('requested_at', sa.DateTime(timezone=True)),
                        sa.column('reference'), sa.column('answer_due_on'), sa.column('first_reply_at'))
    actions = sa.table('agent_actions', sa.column('handoff_id'), sa.column('action'), sa.column('at'))
    first_message = (
        sa.select(sa.func.min(actions.c.at))
        .where(actions.c.handoff_id == handoffs.c.id, actions.c.action == 'message')
        .scalar_subquery()
    )
    connection.execute(sa.update(handoffs).values(first_reply_at=first_message))
    for handoff_id, requested_at in connection.execute(sa.select(handoffs.c.id, handoffs.c.requested_at)).all():
        reference = "H-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
        connection.execute(
            sa.update(handoffs).where(handoffs.c.id == handoff_id)
            .values(reference=reference, answer_due_on=_due(requested_at))
        )
    with op.batch_alter_table('handoffs') as batch:
        batch.alter_column('reference', existing_type=sa.String(length=16), nullable=False)
        batch.alter_column('answer_due_on', existing_type=sa.Date(), nullable=False)
        batch.create_unique_constraint('uq_handoffs_reference', ['reference'])
    op.create_index('ix_handoffs_requested', 'handoffs', ['requested_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_handoffs_requested', table_name='handoffs')
    with op.batch_alter_table('handoffs') as batch:
        batch.drop_constraint('uq_handoffs_reference', type_='unique')
        batch.drop_column('first_reply_at')
        batch.drop_column('answer_due_on')
        batch.drop_column('reference')
