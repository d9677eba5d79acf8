"""A desk card goes to review with its media, exactly once.

Three writes, each its own transaction: the draft enters the queue (`add_draft`, which returns
the existing item for a draft id it already has), the card's media are attached to that item
(only those it does not have yet), and the card is marked sent. A failure between them (an
attach refused, a crash) leaves the card unsent; sending it again finds the same item and its
media, and attaches only what is missing: never twice, never `media_already_attached`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.accounts.schemas import Actor
from assistant.desk.schemas import DraftMedia, StreamedDraft
from assistant.desk.store import Desk
from assistant.errors import InvalidRequest

if TYPE_CHECKING:
    from assistant.media import Attachment, Attachments
    from assistant.review.schemas import ItemPublic
    from assistant.review import ReviewQueue


def attach_missing(attachments: Attachments, item_id: int, media: Sequence[DraftMedia], *,
                   by: Actor) -> list[Attachment]:
    """Attach those of `media` the item does not have yet, in their order, after those it has,
    each with its alt text (None: the file's own, else a proposal). Returns the item's media."""
    present = {a.media_id for a in attachments.list(item_id)}
    missing = [m for m in media if m.media_id not in present]
    if not missing:
        return attachments.list(item_id)
    return attachments.attach(item_id, [m.media_id for m in missing], by=by, alt_texts=[m.alt for m in missing])


def send_to_review(review: ReviewQueue, attachments: Attachments, desk: Desk, actor: Actor,
                   card: StreamedDraft, text: str) -> ItemPublic:
    """The card's draft in the review queue (submitted if complete, else kept as a draft), `text`
    as its edit when it differs from the model's, with the card's media in the card's order;
    then the card is marked sent. Safe to call again after any failure (see the module). The
    card's media are read as they stand now (a page may hold an older copy of the card)."""
    card = desk.card(actor, card.id)
    if card.sent_item_id is not None:  # sent already: its media are the item's now, changed there
        return review.get(card.sent_item_id, actor=actor)
    d = card.draft
    if d is None:
        raise InvalidRequest(f"draft {card.id} is not finished: wait for it, or resume its job")
    item = review.add_draft(d, by=actor, submit=d.complete, keep_incomplete=not d.complete,
                            edited_text=text if text != d.text else None)
    if card.media:
        attach_missing(attachments, item.id, card.media, by=actor)
    desk.mark_sent(actor, card.id, item.id)
    return item
