"""The publishing tables: connected accounts, the outbox of posts to publish, in-app notifications.

Created by the Alembic migration `0009_publishing`; these classes must describe the same tables (a
test compares them with the migrated database). On the same `Base` as every other table.

- `publish_connections`: one network account of one brand. `secret` is a Fernet token (the access
  token or app password encrypted with the installation's key, `assistant.publishing.vault`): never
  the secret in clear. A removed account keeps its row (`removed_at`): its jobs still name it.
- `publish_jobs`: the durable outbox, one row per (item, connection, round). `key` is chosen and
  committed before the first network call and is the same on every retry of the row (the
  network's idempotency key). A new round starts only when an earlier one ended without a post
  (failed or cancelled) and the item is scheduled again.
- `notifications`: what a user should see in the app (a publish that failed), unread until read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db.models import NAME, Base


class PublishConnection(Base):
    __tablename__ = "publish_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(64), index=True)
    network: Mapped[str] = mapped_column(String(16))  # mastodon | bluesky
    base_url: Mapped[str] = mapped_column(Text)  # the Mastodon instance or the Bluesky service (PDS)
    handle: Mapped[str] = mapped_column(String(NAME))  # as given, then as the network confirmed it
    secret: Mapped[str] = mapped_column(Text)  # Fernet token: never the secret itself
    status: Mapped[str] = mapped_column(String(24))  # active | needs_reconnect
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_publish_connections_created_by_id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_tested_at: Mapped[datetime | None]
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_test_message: Mapped[str | None] = mapped_column(Text)  # the handle confirmed, or why not
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(NAME))


class PublishJob(Base):
    __tablename__ = "publish_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", name="fk_publish_jobs_item_id"))
    connection_id: Mapped[int] = mapped_column(ForeignKey("publish_connections.id",
                                                          name="fk_publish_jobs_connection_id"))
    round: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # uuid4 hex, the idempotency key
    state: Mapped[str] = mapped_column(String(16))  # pending | claimed | published | failed | cancelled
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(NAME))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(NAME))  # the worker, e.g. worker:host:pid
    scheduled_by: Mapped[str] = mapped_column(String(NAME))
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_publish_jobs_scheduled_by_id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("item_id", "connection_id", "round", name="uq_publish_jobs_item_connection_round"),
        Index("ix_publish_jobs_state_due", "state", "due_at"),
        Index("ix_publish_jobs_item_id", "item_id"),
    )


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", name="fk_notifications_user_id"))
    brand: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # publish_failed
    item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id", name="fk_notifications_item_id"))
    params: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)
