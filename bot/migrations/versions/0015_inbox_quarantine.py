"""inbox updates that cannot be decoded are quarantined: when they were set aside

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import knowledge_base.sqltypes

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The status column is a VARCHAR(32) without a CHECK constraint: 'quarantined' needs no
    # change there. Updates stored before: never quarantined. One still pending that cannot be
    # decoded is quarantined by the replay at the next start.
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "quarantined_at",
                knowledge_base.sqltypes.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    # An older GovReply cannot read 'quarantined' (not one of its states): such rows go back
    # as failed, which it leaves alone and never replays.
    op.execute("UPDATE inbox_update SET status = 'failed' WHERE status = 'quarantined'")
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.drop_column("quarantined_at")
