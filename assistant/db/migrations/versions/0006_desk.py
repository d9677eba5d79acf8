"""The drafting desk: a user's drafting sessions per brand, each brief or refinement as a job
(its state, the process that runs it and that process's heartbeat), and every draft as it
streams, with the user's card edits. A reload, another tab or another app process reads the
same rows; a job whose process died is found by its stale heartbeat and marked interrupted.
Also each user's preferences: the interface language and the time zone times are shown in
(empty: the app's default language, the brand's zone).

Revision ID: 0006_desk
Revises: 0005_accounts
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_desk"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(8), nullable=True))
    op.add_column("users", sa.Column("timezone", sa.String(64), nullable=True))
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("refine_target", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_desk_sessions_user_brand", "desk_sessions", ["user_id", "brand", "updated_at"])
    op.create_table(
        "desk_turns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("desk_sessions.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(80), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_desk_turns_session", "desk_turns", ["session_id", "id"])
    op.create_index("ix_desk_turns_state", "desk_turns", ["state"])
    op.create_table(
        "desk_drafts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("turn_id", sa.Integer(), sa.ForeignKey("desk_turns.id"), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("variant", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("repairing", sa.Boolean(), nullable=False),
        sa.Column("draft_id", sa.String(64), nullable=True, unique=True),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("edited_text", sa.Text(), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=True),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_desk_drafts_turn", "desk_drafts", ["turn_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_desk_drafts_turn", table_name="desk_drafts")
    op.drop_table("desk_drafts")
    op.drop_index("ix_desk_turns_state", table_name="desk_turns")
    op.drop_index("ix_desk_turns_session", table_name="desk_turns")
    op.drop_table("desk_turns")
    op.drop_index("ix_desk_sessions_user_brand", table_name="desk_sessions")
    op.drop_table("desk_sessions")
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would drop a table others reference
    op.execute("ALTER TABLE users DROP COLUMN timezone")
    op.execute("ALTER TABLE users DROP COLUMN language")
