"""outbox delivery

The outbox becomes the queue every message goes through: a row is written in the transaction that sends the mail
and delivered after it commits, so the table gains a state (queued, sent, failed), the attempts made, the last
attempt's time and error, and when it was sent. Rows that exist before this revision are copies of mail the log
backend already "sent", so they are marked sent (one attempt, at the time they were written) and nothing old is
delivered again.

Revision ID: d352c598daf9
Revises: 7adb2dd1f3a4
Create Date: 2026-12-03 14:06:34.711240
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import edu.db

revision: str = 'd352c598daf9'
down_revision: str | Sequence[str] | None = '7adb2dd1f3a4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', edu.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('sent_at', edu.db.UTCDateTime(), nullable=True))

    outbox = sa.table(
        'outbox_messages',
        sa.column('state', sa.String()),
        sa.column('attempts', sa.Integer()),
        sa.column('created_at', sa.DateTime()),
        sa.column('last_attempt_at', sa.DateTime()),
        sa.column('sent_at', sa.DateTime()),
    )
    op.execute(
        outbox.update().values(state='sent', attempts=1, last_attempt_at=outbox.c.created_at, sent_at=outbox.c.created_at)
    )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('attempts', existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_outbox_messages_state'), "state IN ('queued', 'sent', 'failed')")
        batch_op.create_check_constraint(op.f('ck_outbox_messages_attempts'), 'attempts >= 0')
        batch_op.create_index(batch_op.f('ix_outbox_messages_state'), ['state'], unique=False)


def downgrade() -> None:
    # Queued and failed messages lose what says they were never sent: the table goes back to being a list of copies.
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_state'))
        batch_op.drop_constraint(op.f('ck_outbox_messages_attempts'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbox_messages_state'), type_='check')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('state')
