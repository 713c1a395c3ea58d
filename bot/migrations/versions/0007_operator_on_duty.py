"""operator.on_duty (值班, RULES §7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:28:02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operator", schema=None) as batch_op:
        # Existing operators start off duty.
        batch_op.add_column(
            sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_column("on_duty")
