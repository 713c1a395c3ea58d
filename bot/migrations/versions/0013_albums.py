"""albums in channel posts: the operators' album items, a post's album, album channel posts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import knowledge_base.sqltypes

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("media_group_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("caption", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "received_at", knowledge_base.sqltypes.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id"),
    )
    with op.batch_alter_table("group_media", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_media_media_group_id"), ["media_group_id"], unique=False
        )
    with op.batch_alter_table("post_draft", schema=None) as batch_op:
        # Posts proposed before: no album.
        batch_op.add_column(
            sa.Column("album", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column(
                "album_message_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
    with op.batch_alter_table("channel_post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("album", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_post", schema=None) as batch_op:
        batch_op.drop_column("album")
    with op.batch_alter_table("post_draft", schema=None) as batch_op:
        batch_op.drop_column("album_message_ids")
        batch_op.drop_column("album")
    with op.batch_alter_table("group_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_media_media_group_id"))
    op.drop_table("group_media")
