"""email verification

Accounts that exist before this revision are treated as verified: they were created before the rule existed,
when an account's address was taken on trust, and locking them out of invitations and certificates they already
use would punish their owners for our omission. Their `email_verified_at` is set to their `created_at` (the
moment their address was accepted); accounts registered from now on start unverified.

Revision ID: 18cffeb2aeeb
Revises: 555e134d996d
Create Date: 2026-12-03 13:24:26.078105
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import edu.db

revision: str = '18cffeb2aeeb'
down_revision: str | Sequence[str] | None = '555e134d996d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('email_verification_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', edu.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', edu.db.UTCDateTime(), nullable=False),
    sa.Column('used_at', edu.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_verification_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_verification_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_verification_tokens_token_hash'))
    )
    with op.batch_alter_table('email_verification_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_email_verification_tokens_user_id', ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', edu.db.UTCDateTime(), nullable=True))

    users = sa.table('users', sa.column('created_at', sa.DateTime()), sa.column('email_verified_at', sa.DateTime()))
    op.execute(users.update().where(users.c.email_verified_at.is_(None)).values(email_verified_at=users.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('email_verification_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_email_verification_tokens_user_id')

    op.drop_table('email_verification_tokens')
