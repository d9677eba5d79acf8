"""Review queue: items, revisions, comments, audit events.

Revision ID: 0001_review_queue
Revises: (none)
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_review_queue"
down_revision = None
branch_labels = None
depends_on = None

NAME = 200


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("draft_id", sa.String(64), nullable=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("goal", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("assignee", sa.String(NAME), nullable=True),
        _ts("scheduled_for", True),
        _ts("published_at", True),
        sa.Column("published_url", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current_revision", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(NAME), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("submitted_at", True),
        _ts("approved_at", True),
        sa.Column("words_v0", sa.Integer(), nullable=True),
        sa.Column("words_final", sa.Integer(), nullable=True),
        sa.Column("kept_words", sa.Integer(), nullable=True),
        sa.Column("edit_distance", sa.Integer(), nullable=True),
        sa.Column("seconds_to_approval", sa.Float(), nullable=True),
        sa.UniqueConstraint("draft_id", name="uq_review_items_draft_id"),
    )
    op.create_index("ix_review_items_state", "review_items", ["state", "archived", "id"])
    op.create_index("ix_review_items_brand", "review_items", ["brand", "archived", "id"])
    op.create_index("ix_review_items_brand_state", "review_items", ["brand", "state", "archived", "id"])
    op.create_index("ix_review_items_brand_platform", "review_items", ["brand", "platform", "archived", "id"])
    op.create_index("ix_review_items_platform", "review_items", ["platform", "archived", "id"])
    op.create_index("ix_review_items_assignee", "review_items", ["assignee", "state", "archived", "id"])

    op.create_table(
        "review_revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(NAME), nullable=False),
        _ts("created_at"),
        sa.Column("violations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("provider", sa.String(64), nullable=True),
        sa.Column("model", sa.String(NAME), nullable=True),
        sa.Column("prompt_version", sa.String(64), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.UniqueConstraint("item_id", "number", name="uq_review_revisions_item_number"),
    )

    op.create_table(
        "review_comments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("author", sa.String(NAME), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_review_comments_item_id", "review_comments", ["item_id"])

    op.create_table(
        "review_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("actor", sa.String(NAME), nullable=False),
        _ts("at"),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_review_audit_item_id", "review_audit", ["item_id"])


def downgrade() -> None:
    for table in ("review_audit", "review_comments", "review_revisions", "review_items"):
        op.drop_table(table)
