"""corrections (更正) and withdrawal (撤回) of published channel posts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import knowledge_base.sqltypes

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrects_post_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "withdrawn_at",
                knowledge_base.sqltypes.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("withdrawn_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("withdraw_reason", sa.String(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_post_draft_corrects_post_id"), ["corrects_post_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_post_draft_corrects_post_id_post_draft",
            "post_draft",
            ["corrects_post_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("post_draft", schema=None) as batch_op:
        batch_op.drop_constraint("fk_post_draft_corrects_post_id_post_draft", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_post_draft_corrects_post_id"))
        batch_op.drop_column("withdraw_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("corrects_post_id")
