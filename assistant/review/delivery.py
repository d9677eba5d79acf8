"""How an approved item goes out: marked published (by hand, by an export, or by the publishing
worker with the network's answer), or marked "publish failed" with the network's reason.

A mixin of `ReviewQueue` (`review.commands`): the same permission checks, compare-and-swap and audit
as every other change (`_move`). `data` adds facts to the audit event (the worker's response id,
who scheduled the post); `inside(session)` runs in the same transaction, so that the outbox row and
the item change together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assistant.errors import InvalidRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from assistant.accounts.schemas import Actor
    from assistant.review.schemas import ItemPublic

Inside = Callable[["Session"], None]


class Delivery:
    """`mark_published` and `publish_failed` (needs `_move`, `_exemplar`, `_index` of the queue)."""

    def mark_published(self, item_id: int, *, by: Actor | str, url: str | None = None, at: datetime | None = None,
                       base_version: int | None = None, data: dict[str, Any] | None = None,
                       inside: Inside | None = None) -> ItemPublic:
        """Published by hand or by an export (or by the worker); the text is (again) offered as an exemplar."""
        if at is not None and at.tzinfo is None:
            raise InvalidRequest("at: give a time zone (e.g. 2026-03-14T18:30:00+01:00)")
        when = at or self.clock()  # type: ignore[attr-defined]
        who = self.actor(by)  # type: ignore[attr-defined]

        def also(s: Session, item: Any, public: ItemPublic) -> None:
            if inside is not None:
                inside(s)
            self._exemplar(s, item, public, public.text, who)  # type: ignore[attr-defined]

        public = self._move(item_id, "publish", by=who, base_version=base_version,  # type: ignore[attr-defined]
                            data={"url": url, "published_at": when.isoformat(), **(data or {})},
                            values=lambda item: {"published_at": when, "published_url": url}, inside=also)
        self._index(public)  # type: ignore[attr-defined]
        return public

    def publish_failed(self, item_id: int, *, by: Actor | str, reason: str, data: dict[str, Any] | None = None,
                       inside: Inside | None = None) -> ItemPublic:
        """The network refused the post for good: the item says so, with the network's reason (the
        audit note). Scheduling it again tries again."""
        return self._move(item_id, "publish_failed", by=by, note=reason, data=data,  # type: ignore[attr-defined]
                          inside=(lambda s, item, public: inside(s)) if inside is not None else None)
