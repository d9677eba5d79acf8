"""The review queue's public read API: one item in full, pages of items, metrics, and the
facts other packages read (insights, the report, performance matching) without touching SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from assistant.accounts.permissions import STAFF_ROLES, can, denied
from assistant.accounts.schemas import ALL_BRANDS, Actor
from assistant.accounts.users import normalize_username
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

    def get(self, item_id: int, *, actor: Actor | str | None = None) -> ItemView:
        """One item in full. With `actor`: only if they may see it, with `allowed_actions` cut to
        what they may do, and without costs and sources for those who may not see them (clients)."""
        who = self.actor(actor) if actor is not None else None

        def txn(s: Session) -> ItemView:
            item = self._item(s, item_id)
            shared = self.client_share(who, item.brand) if who is not None else set()  # read once, used below
            if who is not None and not self.may(who, "view", item.brand, item.id, shared):
                raise denied(who, "view", item.brand, item.id)
            revisions = s.scalars(select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)).all()
            comments = s.scalars(select(Comment).where(Comment.item_id == item.id).order_by(Comment.id)).all()
            audit = s.scalars(select(AuditEvent).where(AuditEvent.item_id == item.id).order_by(AuditEvent.id)).all()
            v0, current = revisions[0], revisions[-1]
            public = [RevisionPublic.model_validate(r) for r in revisions]
            if who is not None and not can(who, "view_costs", item.brand):
                public = [r.model_copy(update={"cost_usd": None, "prompt_tokens": None, "completion_tokens": None,
                                               "sources": None}) for r in public]
            actions = [] if item.archived else allowed_actions(item.state)
            if who is not None:
                actions = [a for a in actions if self.may(who, a, item.brand, item.id, shared)]
            return ItemView(
                **self._public(item, current).model_dump(),
                revisions=public,
                comments=[CommentPublic.model_validate(c) for c in comments],
                audit=[AuditEventPublic.model_validate(a) for a in audit],
                diff=rm.diff_ops(v0.text, current.text),
                unified_diff=rm.unified_diff(v0.text, current.text, "v0", f"v{current.number}"),
                metrics=rm.edit_metrics(v0.text, current.text),
                allowed_actions=actions)

        return self.read(txn)

    def visible(self, actor: Actor | str) -> object:
        """The SQL condition for the items `actor` may see: every item of the brands where they hold
        a staff role, and the items shared with them as a client."""
        who = self.actor(actor)
        staff = {g.brand for g in who.grants if g.role in STAFF_ROLES}
        if ALL_BRANDS in staff:
            return Item.id.is_not(None)
        client_brands = {g.brand for g in who.grants if g.role == "client"}
        shared: set[int] = set()
        if who.kind == "link":
            shared = set(who.share_items)
        elif client_brands:  # shared with their e-mail, on the brands where they are a client
            shared = self.shared_items(who, None if ALL_BRANDS in client_brands else client_brands)
        conditions = []
        if staff:
            conditions.append(Item.brand.in_(sorted(staff)))
        if shared:
            conditions.append(Item.id.in_(sorted(shared)))
        return or_(*conditions) if conditions else false()

    def list_items(self, *, state: str | None = None, brand: str | None = None, platform: str | None = None,
                   assignee: str | None = None, archived: bool = False, page: int = 1, per_page: int = 50,
                   actor: Actor | str | None = None) -> Page:
        """Newest first (by id: stable across pages), with the total count for the filters. With
        `actor`, only what they may see ("all brands" means all of theirs)."""
        if state is not None and state not in STATES:
            raise InvalidRequest(f"state: {state!r} is not a state; use one of {', '.join(STATES)}")
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidRequest(f"page starts at 1 and per_page is 1..{MAX_PER_PAGE}")
        where = [Item.archived == archived]
        assignee = normalize_username(assignee) if assignee else None  # a username, as `assign` stores it
        for column, value in ((Item.state, state), (Item.brand, brand), (Item.platform, platform),
                              (Item.assignee, assignee)):
            if value is not None:
                where.append(column == value)
        if actor is not None:
            where.append(self.visible(actor))

        def txn(s: Session) -> Page:
            total = s.scalar(select(func.count()).select_from(Item).where(*where)) or 0
            rows = s.execute(
                select(Item, Revision)
                .join(Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision))
                .where(*where).order_by(Item.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
            return Page(items=[self._public(i, r) for i, r in rows], total=total, page=page, per_page=per_page)

        return self.read(txn)

    def metrics(self, *, brand: str | None = None, platform: str | None = None,
                group_by: tuple[str, ...] | list[str] = ("brand",), actor: Actor | str | None = None) -> rm.MetricsReport:
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
        if actor is not None:
            stmt = stmt.where(self._staff_brands(actor, "view"))
        rows = self.read(lambda s: [rm.MetricsRow(*row) for row in s.execute(stmt)])
        return rm.report(rows, list(group_by))


    list = list_items  # the short name

    def _staff_brands(self, actor: Actor | str, action: str) -> object:
        """Brands where `actor` may `action` as staff (metrics and costs are never a client's)."""
        who = self.actor(actor)
        brands = {g.brand for g in who.grants if g.role in STAFF_ROLES and can(who, action, g.brand)}
        if ALL_BRANDS in brands:
            return Item.id.is_not(None)
        return Item.brand.in_(sorted(brands)) if brands else false()

    def facts(self, *, brand: str | None = None, actor: Actor | str | None = None) -> list[Fact]:
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
        if actor is not None:
            stmt = stmt.where(self._staff_brands(actor, "view_costs"))
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
