"""Performance: post figures imported from platform exports.

Revision ID: 0002_performance
Revises: 0001_review_queue
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_performance"
down_revision = "0001_review_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "performance",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("post_key", sa.String(64), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=True),
        sa.Column("doc_id", sa.String(64), nullable=True),
        sa.Column("matched_by", sa.String(16), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("text_snippet", sa.Text(), nullable=True),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("shares", sa.Integer(), nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=True),
        sa.Column("impressions", sa.Integer(), nullable=True),
        sa.Column("reach", sa.Integer(), nullable=True),
        sa.Column("engagement", sa.Integer(), nullable=True),
        sa.Column("engagement_rate", sa.Float(), nullable=True),
        sa.Column("rate_basis", sa.String(16), nullable=True),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("brand", "post_key", "measured_at", name="uq_performance_brand_post_measured"),
    )
    op.create_index("ix_performance_brand_platform", "performance", ["brand", "platform", "measured_at"])
    op.create_index("ix_performance_item_id", "performance", ["item_id"])


def downgrade() -> None:
    op.drop_table("performance")
