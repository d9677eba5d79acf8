"""Media attached to review items, in order (a carousel), each with its alt text.

Every change is a person's and goes through the review queue (`ReviewStore.change_content`): the
person must be allowed to edit the item, the item must still be editable (an approved item is
reopened first, so nothing unreviewed is published), its version grows by one (a decision taken
on the item as it was before is refused as stale) and the item's audit log records the change.
Alt text is `human` when a person typed or confirmed it, `proposal` when it was suggested (from
the brief and the file name, or by a model) and no person has confirmed it yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from assistant.accounts.schemas import Actor
from assistant.brands import BrandProfile
from assistant.db.engine import utcnow
from assistant.db.media import Media, MediaAttachment
from assistant.db.models import Item
from assistant.media import alt
from assistant.media.errors import MediaError
from assistant.media.library import MediaLibrary
from assistant.media.schemas import Attachment, FileFacts, MediaPublic, PlannedAttachment
from assistant.platforms.media import check_media
from assistant.platforms.checks import Violation
from assistant.review.schemas import ItemPublic
from assistant.review.store import ItemNotFound, ReviewStore

MAX_ALT = alt.MAX_ALT


class Attachments:
    def __init__(self, queue: ReviewStore, library: MediaLibrary, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.queue = queue
        self.library = library
        self.clock = clock

    # --- changes --------------------------------------------------------------------------------

    def attach(self, item_id: int, media_ids: Sequence[int], *, by: Actor | str,
               alt_texts: Sequence[str | None] = (), base_version: int | None = None) -> list[Attachment]:
        """Attach media of the item's brand after those it has, in the order given. `alt_texts[i]`
        is the alt text of `media_ids[i]` (typed by `by`: `human`); without one, the alt text typed
        at upload, else a proposal from the file name and the brief, to be confirmed."""
        ids = [int(m) for m in media_ids]
        if not ids:
            raise MediaError("give at least one media id (`assistant media list BRAND` shows them)",
                             code="media_none_given")
        if len(set(ids)) != len(ids):
            raise MediaError("the same media id is given twice: attach each file once", code="media_twice")
        if len(alt_texts) > len(ids):
            raise MediaError(f"{len(alt_texts)} alt texts for {len(ids)} media: give at most one per file, in order",
                             code="media_alt_count", n=len(alt_texts), media=len(ids))
        actor = self.queue.actor(by)
        texts = [alt.clean(a) for a in alt_texts] + [None] * (len(ids) - len(alt_texts))

        def change(s: Session, item: ItemPublic) -> None:
            rows = {m.id: m for m in s.scalars(select(Media).where(Media.id.in_(ids)))}
            present = set(s.scalars(select(MediaAttachment.media_id).where(MediaAttachment.item_id == item.id)))
            last = s.scalar(select(func.max(MediaAttachment.position)).where(MediaAttachment.item_id == item.id))
            start = 0 if last is None else last + 1  # (not `last or -1`: position 0 is a position)
            for offset, (media_id, text) in enumerate(zip(ids, texts)):
                media = rows.get(media_id)
                if media is None:
                    raise MediaError(f"no media {media_id}: `assistant media list {item.brand}` shows the ids",
                                     code="media_unknown", id=media_id)
                if media.brand != item.brand:
                    raise MediaError(f"media {media_id} belongs to brand {media.brand}, item {item.id} to {item.brand}: "
                                     f"upload the file to {item.brand} (`assistant media add {item.brand} FILE`)",
                                     code="media_wrong_brand", id=media_id, media_brand=media.brand,
                                     item=item.id, brand=item.brand)
                if media_id in present:
                    raise MediaError(f"media {media_id} is already attached to item {item.id}",
                                     code="media_already_attached", id=media_id, item=item.id)
                # typed here, else at upload (both by a person), else a proposal to confirm
                text, source = alt.first(text, media.alt_text, media.original_name, item.brief, item.language)
                s.add(MediaAttachment(item_id=item.id, media_id=media_id, position=start + offset, alt_text=text,
                                      alt_source=source, updated_by=actor.label, updated_by_id=actor.user_id,
                                      updated_at=self.clock()))

        return self._change(item_id, actor, "media_attach", {"media": ids}, change, base_version)

    def reorder(self, item_id: int, media_ids: Sequence[int], *, by: Actor | str,
                base_version: int | None = None) -> list[Attachment]:
        """Put the item's media in this order (every attached id, once)."""
        ids = [int(m) for m in media_ids]
        actor = self.queue.actor(by)

        def change(s: Session, item: ItemPublic) -> None:
            rows = {r.media_id: r for r in s.scalars(select(MediaAttachment).where(MediaAttachment.item_id == item.id))}
            if sorted(ids) != sorted(rows):
                raise MediaError(f"give every media id attached to item {item.id} once, in the new order "
                                 f"(attached: {', '.join(map(str, sorted(rows))) or 'none'})", code="media_order",
                                 item=item.id, attached=", ".join(map(str, sorted(rows))) or "-")
            _renumber(s, [rows[i] for i in ids])

        return self._change(item_id, actor, "media_reorder", {"media": ids}, change, base_version)

    def detach(self, item_id: int, media_id: int, *, by: Actor | str, base_version: int | None = None) -> list[Attachment]:
        """Take a file off the item (it stays in the brand's library); the others close up."""
        actor = self.queue.actor(by)

        def change(s: Session, item: ItemPublic) -> None:
            self._row(s, item, media_id)
            s.execute(delete(MediaAttachment).where(MediaAttachment.item_id == item.id,
                                                    MediaAttachment.media_id == media_id))
            _renumber(s, list(s.scalars(select(MediaAttachment).where(MediaAttachment.item_id == item.id)
                                        .order_by(MediaAttachment.position))))

        return self._change(item_id, actor, "media_detach", {"media_id": media_id}, change, base_version)

    def set_alt(self, item_id: int, media_id: int, text: str | None, *, by: Actor | str, proposal: bool = False,
                base_version: int | None = None) -> Attachment:
        """Set (or clear, with None or "") the alt text of one attached file: typed by `by`
        (`human`), or a suggestion to confirm (`proposal=True`, e.g. a model's)."""
        actor = self.queue.actor(by)
        text = alt.clean(text)
        source = None if text is None else "proposal" if proposal else "human"

        def change(s: Session, item: ItemPublic) -> None:
            row = self._row(s, item, media_id)
            row.alt_text, row.alt_source = text, source
            row.updated_by, row.updated_by_id, row.updated_at = actor.label, actor.user_id, self.clock()

        out = self._change(item_id, actor, "media_alt", {"media_id": media_id, "alt_source": source}, change,
                           base_version)
        return next(a for a in out if a.media_id == media_id)

    def confirm_alt(self, item_id: int, media_id: int, *, by: Actor | str, base_version: int | None = None) -> Attachment:
        """A person confirms the proposed alt text as it is: it becomes theirs (`human`)."""
        current = next((a for a in self.list(item_id) if a.media_id == media_id), None)
        if current is None or not current.alt_text:
            raise MediaError(f"media {media_id} of item {item_id} has no alt text to confirm: write one",
                             code="media_no_alt", id=media_id, item=item_id)
        return self.set_alt(item_id, media_id, current.alt_text, by=by, base_version=base_version)

    def _change(self, item_id: int, actor: Actor, action: str, data: dict[str, Any],
                change: Callable[[Session, ItemPublic], None], base_version: int | None) -> list[Attachment]:
        def txn(s: Session) -> list[Attachment]:
            item = self.queue.change_content(s, item_id, actor, action, data=data, base_version=base_version)
            change(s, item)
            s.flush()
            return self._read(s, item_id)

        try:
            return self.queue.write(txn)
        except ItemNotFound:
            raise MediaError(f"no review item {item_id}: `assistant queue list` shows the ids",
                             code="media_item_unknown", item=item_id) from None

    @staticmethod
    def _row(s: Session, item: ItemPublic, media_id: int) -> MediaAttachment:
        row = s.scalars(select(MediaAttachment).where(MediaAttachment.item_id == item.id,
                                                      MediaAttachment.media_id == media_id)).first()
        if row is None:
            raise MediaError(f"media {media_id} is not attached to item {item.id}", code="media_not_attached",
                             id=media_id, item=item.id)
        return row

    # --- reading --------------------------------------------------------------------------------

    def list(self, item_id: int, *, actor: Actor | str | None = None) -> list[Attachment]:
        """The item's media in order. With `actor`: only if they may see the item."""
        if actor is not None:
            who = self.queue.actor(actor)
            brand = self.queue.read(lambda s: s.scalar(select(Item.brand).where(Item.id == item_id)))
            if brand is None:
                raise MediaError(f"no review item {item_id}: `assistant queue list` shows the ids",
                                 code="media_item_unknown", item=item_id)
            self.queue.permit(who, "view", brand, item_id)
        return self.queue.read(lambda s: self._read(s, item_id))

    def check(self, item_id: int, platform: str, brand: BrandProfile | None = None) -> list[Violation]:
        """The item's media against the platform's media rules and the brand's alt-text rule."""
        return check_media(platform, self.list(item_id), brand)

    def check_in(self, s: Session, item_id: int, platform: str, brand: BrandProfile | None = None) -> list[Violation]:
        """`check` inside the caller's transaction `s` (an approval: what it approves is what was checked)."""
        return check_media(platform, self._read(s, item_id), brand)

    def _read(self, s: Session, item_id: int) -> list[Attachment]:
        rows = s.execute(select(MediaAttachment, Media).join(Media, Media.id == MediaAttachment.media_id)
                         .where(MediaAttachment.item_id == item_id).order_by(MediaAttachment.position)).all()
        out = []
        for link, media in rows:
            public = self.library.public(media)
            out.append(Attachment(item_id=item_id, media_id=media.id, position=link.position, kind=media.kind,
                                  mime=media.mime, path=public.path, thumbnail_path=public.thumbnail_path,
                                  width=media.width, height=media.height, bytes=media.bytes, duration=media.duration,
                                  original_name=media.original_name, alt_text=link.alt_text,
                                  alt_source=link.alt_source, updated_by=link.updated_by, updated_at=link.updated_at))
        return out


def preview(files: Sequence[MediaPublic], alt_texts: Sequence[str | None], *, brief: str,
            language: str) -> list[PlannedAttachment]:
    """Files of a library as they would be attached, in this order, with the alt text `attach`
    would give them (`alt_texts[i]` typed for `files[i]`, else the upload's, else a proposal):
    what `check_media` reads, before there is a review item (a card on the drafting desk)."""
    texts = [alt.clean(a) for a in alt_texts] + [None] * max(0, len(files) - len(alt_texts))
    out = []
    for position, (m, typed) in enumerate(zip(files, texts)):
        text, source = alt.first(typed, m.alt_text, m.original_name, brief, language)
        out.append(PlannedAttachment(**m.model_dump(include=set(FileFacts.model_fields)), media_id=m.id,
                                     position=position, alt_text=text, alt_source=source))
    return out


def _renumber(s: Session, rows: list[MediaAttachment]) -> None:
    """Positions 0, 1, ... in this order, without ever holding one position twice (the unique
    constraint is checked row by row): first out of the way (negative), then in place."""
    for i, row in enumerate(rows):
        row.position = -1 - i
    s.flush()
    for i, row in enumerate(rows):
        row.position = i
    s.flush()
