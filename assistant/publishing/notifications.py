"""In-app notifications: what a person should know without watching the queue (a post the network
refused). Written inside the transaction of the event they tell about; unread until the person
marks them read. Their text is the catalogue's `notification.<kind>` with `params`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.accounts.schemas import Actor
from assistant.db.publishing import Notification


@dataclass(frozen=True)
class NotificationPublic:
    id: int
    brand: str
    kind: str
    item_id: int | None
    params: dict[str, Any]
    created_at: datetime
    read_at: datetime | None

    def message(self, lang: str = "en") -> str:
        from assistant.i18n import t

        return t(f"notification.{self.kind}", lang, **self.params)


def notify(s: Session, user_ids: Iterable[int], *, brand: str, kind: str, item_id: int | None,
           params: dict[str, Any], now: datetime) -> int:
    """Inside a transaction: one notification for each user. Returns how many."""
    n = 0
    for user_id in user_ids:
        s.add(Notification(user_id=user_id, brand=brand, kind=kind, item_id=item_id, params=params, created_at=now))
        n += 1
    return n


class Notifications:
    """A person's notifications, in the system of record `db` (a `ReviewQueue`)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def unread(self, user: Actor | str, *, limit: int = 100) -> list[NotificationPublic]:
        actor = self.db.actor(user)
        if actor.user_id is None:
            return []
        stmt = (select(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
                .order_by(Notification.id.desc()).limit(limit))
        return [_public(n) for n in self.db.read(lambda s: s.scalars(stmt).all())]

    def mark_read(self, user: Actor | str, ids: Iterable[int] | None = None) -> int:
        """Mark the person's notifications read (`ids`, or all). Someone else's are never touched."""
        actor = self.db.actor(user)
        wanted = list(ids) if ids is not None else None

        def txn(s: Session) -> int:
            stmt = update(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            if wanted is not None:
                stmt = stmt.where(Notification.id.in_(wanted))
            return s.execute(stmt.values(read_at=self.db.clock()).execution_options(synchronize_session=False)).rowcount

        return self.db.write(txn)


def _public(n: Notification) -> NotificationPublic:
    return NotificationPublic(id=n.id, brand=n.brand, kind=n.kind, item_id=n.item_id, params=dict(n.params or {}),
                              created_at=n.created_at, read_at=n.read_at)
