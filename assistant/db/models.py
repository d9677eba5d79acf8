"""Every table of the system of record (SQLAlchemy 2, typed declarative). Portable: SQLite and PostgreSQL.

The schema itself is created and changed only by the Alembic migrations in
`assistant/migrations/versions/`; these classes must describe the same tables (a test compares
them with the migrated database). Timestamps are timezone-aware UTC on every backend.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAME = 200  # people's names, assignees, "ai:<provider>/<model>"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes everywhere (SQLite stores naive text: UTC is implied)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware datetime (UTC)")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Item(Base):
    """One post under review. `version` grows by one on every change of this row (optimistic locking)."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[str | None] = mapped_column(String(64))
    brand: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    brief: Mapped[str] = mapped_column(Text)
    goal: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))
    assignee: Mapped[str | None] = mapped_column(String(NAME))
    scheduled_for: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_url: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    current_revision: Mapped[int] = mapped_column(Integer)
    archived: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_review_items_created_by_id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Metrics inputs, set when they happen (see assistant/review_metrics.py).
    submitted_at: Mapped[datetime | None]  # first submission
    approved_at: Mapped[datetime | None]  # latest approval
    words_v0: Mapped[int | None] = mapped_column(Integer)
    words_final: Mapped[int | None] = mapped_column(Integer)
    kept_words: Mapped[int | None] = mapped_column(Integer)
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    seconds_to_approval: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("draft_id", name="uq_review_items_draft_id"),
        Index("ix_review_items_state", "state", "archived", "id"),
        Index("ix_review_items_brand", "brand", "archived", "id"),
        Index("ix_review_items_brand_state", "brand", "state", "archived", "id"),
        Index("ix_review_items_brand_platform", "brand", "platform", "archived", "id"),
        Index("ix_review_items_platform", "platform", "archived", "id"),
        Index("ix_review_items_assignee", "assignee", "state", "archived", "id"),
    )


class Revision(Base):
    """A text of an item. Number 0 is exactly what the model wrote; every human edit adds one."""

    __tablename__ = "review_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(NAME))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_review_revisions_author_id"))
    created_at: Mapped[datetime]
    violations: Mapped[list[Any]]
    sources: Mapped[list[Any] | None]
    provider: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(NAME))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    meta: Mapped[dict[str, Any] | None]  # the rest of the Draft: latency, angle, repair, ...

    __table_args__ = (UniqueConstraint("item_id", "number", name="uq_review_revisions_item_number"),)


class Comment(Base):
    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    author: Mapped[str] = mapped_column(String(NAME))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_review_comments_author_id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only history: who did what, when, from which state to which."""

    __tablename__ = "review_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"), index=True)
    actor: Mapped[str] = mapped_column(String(NAME))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_review_audit_actor_id"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]


# --- performance --------------------------------------------------------------------------------

# The `performance` table: post figures imported from the platforms' exports (SQLAlchemy 2).
#
# On the same declarative `Base` as the review queue, in the same database. The table itself is
# created by the Alembic migration `0002_performance`; this class must describe the same table.
#
# One row is one measurement of one published post: figures as the platform reported them on
# `measured_at`. A post is known by `post_key` (a hash of its normalised URL, else of its
# platform and normalised text), so that the same post measured again on another day is a new
# row, and the same file imported again is not (unique on brand, post_key, measured_at).
class PerformanceRecord(Base):
    __tablename__ = "performance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    post_key: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id"))  # a published queue item
    doc_id: Mapped[str | None] = mapped_column(String(64))  # a past post (or exemplar) in the brand's collection
    matched_by: Mapped[str | None] = mapped_column(String(16))  # "url" | "text" | None (unmatched)
    match_score: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(Text)  # as exported
    text_snippet: Mapped[str | None] = mapped_column(Text)
    measured_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    likes: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    shares: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    reach: Mapped[int | None] = mapped_column(Integer)
    engagement: Mapped[int | None] = mapped_column(Integer)
    engagement_rate: Mapped[float | None] = mapped_column(Float)
    rate_basis: Mapped[str | None] = mapped_column(String(16))  # "impressions" | "reach"
    source_file: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("brand", "post_key", "measured_at", name="uq_performance_brand_post_measured"),
        Index("ix_performance_brand_platform", "brand", "platform", "measured_at"),
        Index("ix_performance_item_id", "item_id"),
    )


# --- the knowledge base's record ---------------------------------------------------------------
# Every post, guideline passage and approved exemplar of every brand, as ingested: the system of
# record of the knowledge base. Chroma is an index of these rows, rebuilt from them at any time
# (`assistant doctor --repair`). `pending` is set in the same transaction that writes a row and
# cleared once the index has it: a crash in between leaves pending rows that the next sync indexes.
class KnowledgeRecord(Base):
    __tablename__ = "knowledge_docs"

    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # post | guideline | approved
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]]
    source: Mapped[str | None] = mapped_column(String(255))
    key: Mapped[str | None] = mapped_column(String(64))  # which post this is (edited posts replace their key)
    pending: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_knowledge_docs_kind", "brand", "kind"),
        Index("ix_knowledge_docs_key", "brand", "key"),
        Index("ix_knowledge_docs_source", "brand", "source"),
        Index("ix_knowledge_docs_pending", "brand", "pending"),
    )


class KnowledgeState(Base):
    """Per brand: the fingerprint of the files last ingested whole (freshness of `make run`)."""

    __tablename__ = "knowledge_brands"

    brand: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # False until the documents of an index older than the record were copied into it (see
    # `knowledge.index.IndexSync.adopt`): until then nothing may be deleted from that index.
    adopted: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


# --- accounts ----------------------------------------------------------------------------------
# People and what they may do (`assistant.accounts`). Every name the queue records has a user id
# beside it; names from before accounts read "(legacy) Name" and have no id (migration 0005).
class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(NAME))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower case
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id; None: OpenID Connect only
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(8))  # interface language; None: the default
    timezone: Mapped[str | None] = mapped_column(String(64))  # times shown in; None: the brand's


class UserRole(Base):
    """A role on one brand, or on every brand (`brand == "*"`)."""

    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    brand: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("user_id", "role", "brand", name="uq_user_roles_user_role_brand"),)


class AuthSession(Base):
    """A signed-in browser: the cookie carries a random token, only its sha256 is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(16))  # password | oidc
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AuthEvent(Base):
    """Append-only: sign-ins, failures, locks, sign-outs, and changes to accounts and share links."""

    __tablename__ = "auth_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # whom it is about
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who did it (None: the person signing in)
    address: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None]

    __table_args__ = (Index("ix_auth_events_user", "user_id", "action", "at"),)


class ShareLink(Base):
    """A client approval link for some items of one brand; the token is stored as its sha256."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64))
    item_ids: Mapped[list[Any]]
    to_name: Mapped[str] = mapped_column(String(NAME))
    to_email: Mapped[str | None] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_share_links_brand", "brand", "id"), Index("ix_share_links_email", "to_email"))


# --- the drafting desk (migration 0006_desk) -------------------------------------------------


class DeskSession(Base):
    """One user's drafting session on one brand: the first brief is its title, the form's options
    are kept, `refine_target` is the draft the next message refines."""

    __tablename__ = "desk_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    brand: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]]
    refine_target: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    discarded_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_desk_sessions_user_brand", "user_id", "brand", "updated_at"),)


class DeskTurn(Base):
    """A brief or a refinement, run as a job: running -> done | failed | interrupted. `owner` names
    the process running it; its heartbeat stops when that process dies."""

    __tablename__ = "desk_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("desk_sessions.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[dict[str, Any] | None]
    owner: Mapped[str | None] = mapped_column(String(80))
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_desk_turns_session", "session_id", "id"), Index("ix_desk_turns_state", "state"))


class DeskDraft(Base):
    """A draft as it streams (`text` grows), then whole (`draft`: the `Draft` as JSON); the
    user's card edits, the media chosen on the card and whether it went to review."""

    __tablename__ = "desk_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("desk_turns.id"))
    platform: Mapped[str] = mapped_column(String(32))
    variant: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # streaming | done | interrupted
    text: Mapped[str] = mapped_column(Text)
    repairing: Mapped[bool] = mapped_column(Boolean)
    draft_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    draft: Mapped[dict[str, Any] | None]
    edited_text: Mapped[str | None] = mapped_column(Text)
    edited_at: Mapped[datetime | None]
    sent_item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id"))
    discarded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # The media chosen on the card, in order: [{"media_id": int, "alt": str | None}] (None: the
    # library file's own alt text, else a proposal); attached to the review item when it is sent.
    media: Mapped[list[Any] | None] = mapped_column(default=list)

    __table_args__ = (Index("ix_desk_drafts_turn", "turn_id", "id"),)
