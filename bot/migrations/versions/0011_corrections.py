"""corrections (更正) and withdrawal (撤回) of published replies and channel posts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import knowledge_base.sqltypes

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("draft", "post_draft")  # each row may correct a published row of its own table


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
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
                batch_op.f(f"ix_{table}_corrects_id"), ["corrects_id"], unique=False
            )
            batch_op.create_foreign_key(
                f"fk_{table}_corrects_id_{table}", table, ["corrects_id"], ["id"]
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_corrects_id_{table}", type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_corrects_id"))
            batch_op.drop_column("withdraw_reason")
            batch_op.drop_column("withdrawn_by")
            batch_op.drop_column("withdrawn_at")
            batch_op.drop_column("corrects_id")
