"""What leaves the review queue: pydantic schemas (never ORM objects), and the queue's errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assistant.errors import IllegalTransition, ReviewConflict
from assistant.platforms.checks import Violation
from assistant.review.metrics import EditMetrics

State = Literal["draft", "in_review", "changes_requested", "client_review", "approved", "rejected", "scheduled",
                "published", "publish_failed"]
STATES: tuple[str, ...] = State.__args__  # type: ignore[attr-defined]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class RevisionPublic(_Public):
    number: int
    text: str
    author: str
    author_id: int | None = None  # None: the model (author "ai:..."), or a name from before accounts
    created_at: datetime
    violations: list[Violation]
    sources: list[dict[str, Any]] | None = None
    provider: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    meta: dict[str, Any] | None = None

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]


class CommentPublic(_Public):
    id: int
    author: str
    author_id: int | None = None
    text: str
    created_at: datetime


class AuditEventPublic(_Public):
    id: int
    actor: str
    actor_id: int | None = None
    at: datetime
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None
    data: dict[str, Any] | None


class ItemPublic(_Public):
    """An item as listed: its current text and where it stands."""

    id: int
    draft_id: str | None
    brand: str
    platform: str
    brief: str
    goal: str
    language: str
    state: State
    assignee: str | None
    scheduled_for: datetime | None
    published_at: datetime | None
    published_url: str | None
    version: int
    current_revision: int
    archived: bool
    created_by: str
    created_by_id: int | None = None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    text: str  # the current revision's text
    error_count: int  # error-severity violations of the current revision
    ai_kept_share: float | None = None  # the AI's v0 words kept: at approval, or so far (review.disclosure)
    ai_generated: bool = False  # ai_kept_share >= the brand's ai_generated_threshold (review.disclosure)


class ItemView(ItemPublic):
    """One item in full: every revision, comment and audit event, and what changed since v0."""

    revisions: list[RevisionPublic]
    comments: list[CommentPublic]
    audit: list[AuditEventPublic]
    diff: list[dict[str, str]]  # word-level ops v0 -> current (review_metrics.diff_ops)
    unified_diff: str  # line-level, v0 -> current
    metrics: EditMetrics  # v0 -> current (for an approved item: what was approved)
    allowed_actions: list[str]


class Page(BaseModel):
    items: list[ItemPublic]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class ConflictSide(BaseModel):
    """The item as it is now, for a conflict dialog."""

    text: str
    version: int
    revision: int
    author: str
    state: str


class EditConflict(ReviewConflict):
    """The change was based on version `base_version`, but the item is at `theirs.version`.
    Nothing was written: merge `yours` into `theirs.text` and save again with `theirs.version`."""

    def __init__(self, item_id: int, *, base_version: int, theirs: ConflictSide, yours: str | None) -> None:
        self.item_id = item_id
        self.base_version = base_version
        self.theirs = theirs
        self.yours = yours
        super().__init__(
            f"item {item_id} changed since you opened it (you had version {base_version}, it is now "
            f"{theirs.version}: revision {theirs.revision} by {theirs.author}, {theirs.state}); nothing was "
            f"saved: reload it, merge your changes and save again with base version {theirs.version}")


class ApprovalBlocked(IllegalTransition):
    """The current text breaks error-severity rules: fix it, or approve with a written override reason."""

    def __init__(self, message: str, violations: list[Violation] | None = None, **params: object) -> None:
        super().__init__(message, code="approval_blocked", **params)
        self.violations = violations or []


class FourEyesRequired(IllegalTransition):
    """The brand requires a second person: whoever put the item in the queue or edited its text
    cannot approve it."""
