"""Publishing for real: connected accounts of each brand (secrets encrypted at rest), the durable
outbox of posts to publish (one row per item and account, its idempotency key chosen before the
first network call, a lease for the worker that claimed it) and in-app notifications.

Revision ID: 0009_publishing
Revises: 0008_media
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_publishing"
down_revision = "0008_media"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "publish_connections",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("handle", sa.String(200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.Integer(),
                  sa.ForeignKey("users.id", name="fk_publish_connections_created_by_id"), nullable=True),
        _at("created_at", False), _at("updated_at", False), _at("last_tested_at"),
        sa.Column("last_test_ok", sa.Boolean(), nullable=True),
        sa.Column("last_test_message", sa.Text(), nullable=True),
        _at("removed_at"),
        sa.Column("removed_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_publish_connections_brand", "publish_connections", ["brand"])
    op.create_table(
        "publish_jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id", name="fk_publish_jobs_item_id"),
                  nullable=False),
        sa.Column("connection_id", sa.Integer(),
                  sa.ForeignKey("publish_connections.id", name="fk_publish_jobs_connection_id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(32), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        _at("due_at", False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at"),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        _at("claimed_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        _at("published_at"),
        sa.Column("published_by", sa.String(200), nullable=True),
        sa.Column("scheduled_by", sa.String(200), nullable=False),
        sa.Column("scheduled_by_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_publish_jobs_scheduled_by_id"),
                  nullable=True),
        _at("created_at", False), _at("updated_at", False),
        sa.UniqueConstraint("item_id", "connection_id", "round", name="uq_publish_jobs_item_connection_round"),
    )
    op.create_index("ix_publish_jobs_state_due", "publish_jobs", ["state", "due_at"])
    op.create_index("ix_publish_jobs_item_id", "publish_jobs", ["item_id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_notifications_user_id"), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id", name="fk_notifications_item_id"),
                  nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        _at("created_at", False), _at("read_at"),
    )
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_publish_jobs_item_id", table_name="publish_jobs")
    op.drop_index("ix_publish_jobs_state_due", table_name="publish_jobs")
    op.drop_table("publish_jobs")
    op.drop_index("ix_publish_connections_brand", table_name="publish_connections")
    op.drop_table("publish_connections")
