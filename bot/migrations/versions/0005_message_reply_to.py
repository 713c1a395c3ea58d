"""citizen_message.reply_to_message_id (which message a citizen's message replies to)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("citizen_message") as batch:
        batch.add_column(sa.Column("reply_to_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("citizen_message") as batch:
        batch.drop_column("reply_to_message_id")
