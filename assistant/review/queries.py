"""The review queue's public read API: one item in full, pages of items, metrics, and the
facts other packages read (insights, the report, performance matching) without touching SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from assistant.db.models import AuditEvent, Comment, Item, Revision
from assistant.errors import InvalidRequest
from assistant.review import metrics as rm
from assistant.review.schemas import (STATES, AuditEventPublic, CommentPublic, ItemView, Page, RevisionPublic)
from assistant.review.states import APPROVED_STATES, allowed_actions
from assistant.review.store import ReviewStore

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Fact:
    """One review item, as the insights see it: its v0's provenance and the whole cost of its AI revisions."""

    id: int
    brand: str
    platform: str
    state: str
    created_at: datetime
    approved_at: datetime | None
    provider: str | None
    model: str | None
    prompt_version: str | None
    words_v0: int | None
    kept_words: int | None
    seconds_to_approval: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    @property
    def approved(self) -> bool:
        return self.state in APPROVED_STATES

    @property
    def decided(self) -> bool:
        return self.approved or self.state == "rejected"


@dataclass(frozen=True)
class PublishedPost:
    """A published item's current text and where it went live."""

    item_id: int
    platform: str
    published_at: datetime | None
    url: str | None
    text: str


class ReviewReader(ReviewStore):
    """Reads only: every method runs in one short read transaction and returns schemas."""

    # --- reading --------------------------------------------------------------------------------

    def get(self, item_id: int) -> ItemView:
        def txn(s: Session) -> ItemView:
            item = self._item(s, item_id)
            revisions = s.scalars(select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)).all()
            comments = s.scalars(select(Comment).where(Comment.item_id == item.id).order_by(Comment.id)).all()
            audit = s.scalars(select(AuditEvent).where(AuditEvent.item_id == item.id).order_by(AuditEvent.id)).all()
            v0, current = revisions[0], revisions[-1]
            return ItemView(
                **self._public(item, current).model_dump(),
                revisions=[RevisionPublic.model_validate(r) for r in revisions],
                comments=[CommentPublic.model_validate(c) for c in comments],
                audit=[AuditEventPublic.model_validate(a) for a in audit],
                diff=rm.diff_ops(v0.text, current.text),
                unified_diff=rm.unified_diff(v0.text, current.text, "v0", f"v{current.number}"),
                metrics=rm.edit_metrics(v0.text, current.text),
                allowed_actions=[] if item.archived else allowed_actions(item.state))

        return self.read(txn)

    def list_items(self, *, state: str | None = None, brand: str | None = None, platform: str | None = None,
                   assignee: str | None = None, archived: bool = False, page: int = 1, per_page: int = 50) -> Page:
        """Newest first (by id: stable across pages), with the total count for the filters."""
        if state is not None and state not in STATES:
            raise InvalidRequest(f"state: {state!r} is not a state; use one of {', '.join(STATES)}")
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidRequest(f"page starts at 1 and per_page is 1..{MAX_PER_PAGE}")
        where = [Item.archived == archived]
        for column, value in ((Item.state, state), (Item.brand, brand), (Item.platform, platform),
                              (Item.assignee, assignee)):
            if value is not None:
                where.append(column == value)

        def txn(s: Session) -> Page:
            total = s.scalar(select(func.count()).select_from(Item).where(*where)) or 0
            rows = s.execute(
                select(Item, Revision)
                .join(Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision))
                .where(*where).order_by(Item.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
            return Page(items=[self._public(i, r) for i, r in rows], total=total, page=page, per_page=per_page)

        return self.read(txn)

    def metrics(self, *, brand: str | None = None, platform: str | None = None,
                group_by: tuple[str, ...] | list[str] = ("brand",)) -> rm.MetricsReport:
        """Human-edit metrics (definitions in `review_metrics`), overall and per group. Archived
        items count: archiving tidies the queue, it does not undo a decision."""
        stmt = (select(Item.brand, Item.platform, Revision.provider, Revision.model, Revision.prompt_version,
                       Item.state, Item.submitted_at.is_not(None), Item.words_v0, Item.kept_words,
                       Item.edit_distance, Item.seconds_to_approval)
                .join(Revision, and_(Revision.item_id == Item.id, Revision.number == 0)))
        if brand is not None:
            stmt = stmt.where(Item.brand == brand)
        if platform is not None:
            stmt = stmt.where(Item.platform == platform)
        rows = self.read(lambda s: [rm.MetricsRow(*row) for row in s.execute(stmt)])
        return rm.report(rows, list(group_by))


    list = list_items  # the short name

    def facts(self, *, brand: str | None = None) -> list[Fact]:
        """Every item (archived included) with its v0's provenance and the cost of all its AI revisions."""
        cost = (select(Revision.item_id, func.coalesce(func.sum(Revision.cost_usd), 0.0).label("cost"),
                       func.coalesce(func.sum(Revision.prompt_tokens), 0).label("pt"),
                       func.coalesce(func.sum(Revision.completion_tokens), 0).label("ct"))
                .group_by(Revision.item_id).subquery())
        stmt = (select(Item.id, Item.brand, Item.platform, Item.state, Item.created_at, Item.approved_at,
                       Revision.provider, Revision.model, Revision.prompt_version, Item.words_v0, Item.kept_words,
                       Item.seconds_to_approval, cost.c.pt, cost.c.ct, cost.c.cost)
                .join(Revision, and_(Revision.item_id == Item.id, Revision.number == 0))
                .join(cost, cost.c.item_id == Item.id)
                .order_by(Item.id))
        if brand:
            stmt = stmt.where(Item.brand == brand)
        return self.read(lambda s: [Fact(*row) for row in s.execute(stmt)])

    def published(self, brand: str, *, start: datetime | None = None, end: datetime | None = None) -> list[PublishedPost]:
        """The brand's published items (current text), oldest first; `start`/`end` bound `published_at`
        (end exclusive)."""
        stmt = (select(Item.id, Item.platform, Item.published_at, Item.published_url, Revision.text)
                .join(Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision))
                .where(Item.brand == brand, Item.state == "published"))
        if start is not None:
            stmt = stmt.where(Item.published_at >= start)
        if end is not None:
            stmt = stmt.where(Item.published_at < end)
        stmt = stmt.order_by(Item.published_at, Item.id)
        return self.read(lambda s: [PublishedPost(*row) for row in s.execute(stmt).all()])

    def item_ids(self, brand: str) -> set[int]:
        """Ids of every item of the brand (archived included)."""
        return set(self.read(lambda s: s.scalars(select(Item.id).where(Item.brand == brand)).all()))
