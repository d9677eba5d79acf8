"""Accounts: users, roles per brand, server-side sign-in sessions, sign-in events, client share
links; and user ids beside every name the review queue recorded.

Names typed before this migration identify nobody: no user existed yet, so none can match, and
each one is kept readable as "(legacy) Name" (AI authors, `ai:<provider>/<model>`, stay as they
are). Their id columns stay empty: four-eyes compares ids, so a legacy name never blocks or
passes anyone.

Revision ID: 0005_accounts
Revises: 0004_knowledge_record
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_accounts"
down_revision = "0004_knowledge_record"
branch_labels = None
depends_on = None

NAME_COLUMNS = (("review_items", "created_by", "created_by_id"), ("review_revisions", "author", "author_id"),
                ("review_comments", "author", "author_id"), ("review_audit", "actor", "actor_id"))
LEGACY = "(legacy) "


def _tables() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "user_roles",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "role", "brand", name="uq_user_roles_user_role_brand"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "auth_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
    )
    op.create_index("ix_auth_events_user", "auth_events", ["user_id", "action", "at"])
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("to_name", sa.String(200), nullable=False),
        sa.Column("to_email", sa.String(254), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index("ix_share_links_brand", "share_links", ["brand", "id"])
    op.create_index("ix_share_links_email", "share_links", ["to_email"])


def upgrade() -> None:
    _tables()
    for table, _, id_column in NAME_COLUMNS:
        # A plain ADD COLUMN, also on SQLite (which allows REFERENCES on a column added with a NULL
        # default): a batch "copy and move" would drop tables that others reference.
        name = f"fk_{table}_{id_column}"
        if op.get_bind().dialect.name == "sqlite":
            op.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {id_column} INTEGER "
                               f"CONSTRAINT {name} REFERENCES users (id)"))
        else:
            op.add_column(table, sa.Column(id_column, sa.Integer(), nullable=True))
            op.create_foreign_key(name, table, "users", [id_column], ["id"])
    for table, name_column, id_column in NAME_COLUMNS:
        op.execute(sa.text(
            f"UPDATE {table} SET {name_column} = substr('{LEGACY}' || {name_column}, 1, 200) "
            f"WHERE {id_column} IS NULL AND {name_column} NOT LIKE 'ai:%' AND {name_column} NOT LIKE '{LEGACY}%'"))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the copy-and-move below drops tables others reference: check the keys at commit
        op.execute(sa.text("PRAGMA defer_foreign_keys=ON"))
    for table, _, id_column in NAME_COLUMNS:
        with op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch:
            if not sqlite:
                batch.drop_constraint(f"fk_{table}_{id_column}", type_="foreignkey")
            batch.drop_column(id_column)
    for index, table in (("ix_share_links_email", "share_links"), ("ix_share_links_brand", "share_links"),
                         ("ix_auth_events_user", "auth_events")):
        op.drop_index(index, table_name=table)
    for table in ("share_links", "auth_events", "auth_sessions", "user_roles", "users"):
        op.drop_table(table)
