"""prompts keep the card version the operator pressed on

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        # Prompts asked before: no version, so their replies act as they did then.
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.drop_column("version")
