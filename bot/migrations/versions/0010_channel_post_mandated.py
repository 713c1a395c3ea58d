"""channel_post.mandated (reposts required by a higher authority, RULES §7)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_post", schema=None) as batch_op:
        # Posts recorded before: not known to be mandated.
        batch_op.add_column(
            sa.Column("mandated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_post", schema=None) as batch_op:
        batch_op.drop_column("mandated")
