"""partial indexes: retries and inbound UIDs only

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_retry')
        batch_op.drop_constraint('uq_message_imap_uid', type_='unique')
    op.create_index(
        'ix_message_retry', 'message', ['next_attempt_at'], unique=False,
        sqlite_where=sa.text("state = 'retry'"), postgresql_where=sa.text("state = 'retry'"),
    )
    op.create_index(
        'uq_message_imap_uid', 'message', ['mailbox', 'folder', 'uidvalidity', 'uid'],
        unique=True,
        sqlite_where=sa.text("direction = 'in'"), postgresql_where=sa.text("direction = 'in'"),
    )


def downgrade() -> None:
    op.drop_index('uq_message_imap_uid', table_name='message')
    op.drop_index('ix_message_retry', table_name='message')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_retry', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_unique_constraint(
            'uq_message_imap_uid', ['mailbox', 'folder', 'uidvalidity', 'uid']
        )
