"""The media library: files per brand by content hash (`media`), and their attachments to review
items in order with alt text (`media_attachments`). See `assistant/db/media.py`.

Revision ID: 0008_media
Revises: 0007_record_guard
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_media"
down_revision = "0007_record_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("mime", sa.String(64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("has_original", sa.Boolean(), nullable=False),
        sa.Column("alt_text", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_media_created_by_id"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("brand", "sha256", name="uq_media_brand_sha256"),
    )
    op.create_index("ix_media_brand", "media", ["brand", "id"])
    op.create_table(
        "media_attachments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id", name="fk_media_attachments_item_id"),
                  nullable=False),
        sa.Column("media_id", sa.Integer(), sa.ForeignKey("media.id", name="fk_media_attachments_media_id"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.Text(), nullable=True),
        sa.Column("alt_source", sa.String(16), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_by_id", sa.Integer(),
                  sa.ForeignKey("users.id", name="fk_media_attachments_updated_by_id"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("item_id", "position", name="uq_media_attachments_item_position"),
        sa.UniqueConstraint("item_id", "media_id", name="uq_media_attachments_item_media"),
    )
    op.create_index("ix_media_attachments_media", "media_attachments", ["media_id"])


def downgrade() -> None:
    op.drop_index("ix_media_attachments_media", table_name="media_attachments")
    op.drop_table("media_attachments")
    op.drop_index("ix_media_brand", table_name="media")
    op.drop_table("media")
