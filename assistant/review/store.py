"""Storage mechanics of the review queue: sessions, loading, compare-and-swap, audit events.

One short transaction per public call. Writes run in `Database.write` (`db.engine`): on SQLite the
transaction starts with BEGIN IMMEDIATE, and a transaction that lost a race (a compare-and-swap that
matched no row while the caller did not pin a version) or met a busy database is retried whole.
Every update of an item row goes through `_cas`: `UPDATE review_items SET version = base + 1, ...
WHERE id = :id AND version = :base`; no row matched means someone else changed the item first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.accounts.permissions import can_on_item, denied
from assistant.accounts.schemas import Actor
from assistant.accounts.shares import shared_with
from assistant.accounts.users import Directory
from assistant.errors import IllegalTransition, InvalidRequest
from assistant.db.engine import Database, Raced, utcnow
from assistant.db.models import AuditEvent, Item, Revision
from assistant.review.schemas import ConflictSide, EditConflict, ItemPublic
from assistant.review.states import TRANSITIONS


class ItemNotFound(InvalidRequest):
    """No review item with that id."""


class ReviewStore(Database):
    """An engine on one database URL (migrated to head when opened) and the write primitives."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] = utcnow, migrate: bool = True) -> None:
        super().__init__(url, migrate=migrate)
        self.clock = clock
        self.people = Directory(self, clock=clock)

    # --- who ------------------------------------------------------------------------------------

    def actor(self, by: Actor | str) -> Actor:
        """`by` as an Actor: one already resolved (the signed-in user, a share link), or the
        username of an active user (the CLI's `--by`). Never a free-text name."""
        if isinstance(by, Actor):
            return by
        if not isinstance(by, str) or not by.strip():
            raise InvalidRequest("by: say who is doing this (a username: `assistant users list` shows them)")
        try:
            return self.people.actor(by)
        except InvalidRequest as exc:
            raise InvalidRequest(f"by: {exc}") from None

    def shared_items(self, actor: Actor, brands: set[str] | None = None) -> set[int]:
        """The items a client may see: those of their link, or shared with their account's e-mail."""
        if actor.kind == "link":
            return set(actor.share_items)
        return shared_with(self, actor.email, self.clock(), brands)

    def client_share(self, actor: Actor, brand: str) -> set[int]:
        """What a client account was shared on `brand` (read once per call; links carry their own)."""
        if actor.kind == "user" and "client" in actor.roles_on(brand):
            return self.shared_items(actor, {brand})
        return set()

    def may(self, actor: Actor, action: str, brand: str, item_id: int, shared: set[int] | None = None) -> bool:
        """May `actor` do `action` on this item (`accounts.permissions`)? `shared`: `client_share`, if read."""
        return can_on_item(actor, action, brand, item_id, self.client_share(actor, brand) if shared is None else shared)

    def permit(self, actor: Actor, action: str, brand: str, item_id: int) -> None:
        """Raises `PermissionDenied` unless `actor` may `action` on this item."""
        if not self.may(actor, action, brand, item_id):
            raise denied(actor, action, brand, item_id)

    # --- loading --------------------------------------------------------------------------------

    @staticmethod
    def _item(s: Session, item_id: int) -> Item:
        item = s.get(Item, item_id, populate_existing=True)
        if item is None:
            raise ItemNotFound(f"no review item {item_id}: `assistant queue list` shows the ids")
        return item

    @staticmethod
    def _revision(s: Session, item_id: int, number: int) -> Revision:
        return s.scalars(select(Revision).where(Revision.item_id == item_id, Revision.number == number)).one()

    @staticmethod
    def _public(item: Item, current: Revision) -> ItemPublic:
        values = {c.key: getattr(item, c.key) for c in Item.__table__.columns}
        errors = sum(1 for v in current.violations or [] if v.get("severity") == "error")
        return ItemPublic.model_validate({**values, "text": current.text, "error_count": errors})

    def _head(self, item_id: int) -> tuple[str, str, str]:
        """brand, platform, language: fixed for an item's life, so they can be read before writing."""
        item = self.read(lambda s: self._item(s, item_id))
        return item.brand, item.platform, item.language

    # --- writing ------------------------------------------------------------------------------

    def _cas(self, s: Session, item: Item, base_version: int | None, yours: str | None = None, **values: Any) -> None:
        """Compare-and-swap on the version: the only way an item row is ever updated."""
        expected = item.version if base_version is None else base_version
        result = s.execute(update(Item).where(Item.id == item.id, Item.version == expected)
                           .values(version=expected + 1, updated_at=self.clock(), **values)
                           .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            if base_version is None:
                raise Raced()
            raise self._conflict(s, item, base_version, yours)
        s.refresh(item)

    def _conflict(self, s: Session, item: Item, base_version: int, yours: str | None) -> EditConflict:
        s.refresh(item)
        current = self._revision(s, item.id, item.current_revision)
        theirs = ConflictSide(text=current.text, version=item.version, revision=current.number,
                              author=current.author, state=item.state)
        return EditConflict(item.id, base_version=base_version, theirs=theirs, yours=yours)

    def _audit(self, s: Session, item: Item, by: Actor, action: str, from_state: str | None, to_state: str | None,
               note: str | None = None, data: dict[str, Any] | None = None) -> None:
        if by.kind == "link":  # a client through a link: the name and e-mail the link was made for
            data = {**(data or {}), "share_id": by.share_id, "client": {"name": by.name, "email": by.email}}
        s.add(AuditEvent(item_id=item.id, actor=by.label, actor_id=by.user_id, at=self.clock(), action=action,
                         from_state=from_state, to_state=to_state, note=note, data=data))

    # --- changes made by other packages -------------------------------------------------------

    def change_content(self, s: Session, item_id: int, by: Actor, action: str, *, data: dict[str, Any] | None = None,
                       base_version: int | None = None) -> ItemPublic:
        """A change to what an item will publish, made by another package inside its own write
        transaction `s` (the item's media: `assistant.media`). `by` must be allowed to edit the item,
        and its text must still be editable (draft, in review, changes requested: an approved item is
        reopened first); the item's version grows by one (a decision taken on the version before is
        refused as stale) and the audit log records `action` with `data`. Returns the item now."""
        item = self._item(s, item_id)
        self.permit(by, "edit", item.brand, item.id)
        if base_version is not None and item.version != base_version:
            raise self._conflict(s, item, base_version, None)
        if item.archived:
            raise IllegalTransition(f"item {item.id} is archived: it can no longer be changed", code="archived",
                                    item=item.id)
        if item.state not in TRANSITIONS["edit"]:
            raise IllegalTransition(f"cannot change the media of item {item.id}: it is {item.state}; reopen it first "
                                    "(only a draft, an item in review or one sent back can change)",
                                    code="illegal_move", action="edit", item=item.id, state=item.state)
        self._cas(s, item, base_version)
        self._audit(s, item, by, action, item.state, item.state, data=data)
        return self._public(item, self._revision(s, item.id, item.current_revision))
