"""index on outbox_item.sent_message_id (a reply in the group is looked up by it)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:10:07
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_item_sent_message_id"), ["sent_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_item_sent_message_id"))
