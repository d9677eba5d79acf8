"""Typed views of the desk's rows: what the pages and the CLI read."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.drafting.schemas import Draft

TurnState = Literal["running", "done", "failed", "interrupted"]
DraftState = Literal["streaming", "done", "interrupted", "replaced"]


class DeskOptions(BaseModel):
    """The drafting form as the user left it (restored on reload)."""

    platforms: list[str] = Field(default_factory=list)
    goal: str = "engagement"
    language: str | None = None
    variants: int = 1
    link: str = ""
    cta: str = ""


MAX_MEDIA = 20  # files chosen on one card: above any platform's carousel (the media rules check those)


class DraftMedia(BaseModel):
    """A file of the brand's library chosen on a card, in the card's order. `alt`: the alt text
    typed on the card; None: the file's own alt text (typed at upload), else a proposal."""

    model_config = ConfigDict(frozen=True)

    media_id: int
    alt: str | None = None


class StreamedDraft(BaseModel):
    id: int
    turn_id: int
    platform: str
    variant: int
    state: DraftState
    text: str  # what streamed so far (the whole text once done)
    repairing: bool = False
    draft: Draft | None = None  # the finished draft, exactly as the drafter returned it
    edited_text: str | None = None
    edited_at: datetime | None = None
    sent_item_id: int | None = None
    discarded: bool = False
    media: list[DraftMedia] = Field(default_factory=list)  # attached to the review item when sent

    @property
    def current_text(self) -> str:
        """What the card shows and sends: the user's edit, else the model's text."""
        if self.edited_text is not None:
            return self.edited_text
        return self.draft.text if self.draft is not None else self.text


class Turn(BaseModel):
    id: int
    kind: Literal["brief", "refine"]
    text: str
    request: dict[str, Any]
    state: TurnState
    error: dict[str, Any] | None = None
    owner: str | None = None
    heartbeat_at: datetime | None = None
    created_at: datetime
    finished_at: datetime | None = None
    drafts: list[StreamedDraft] = Field(default_factory=list)

    @property
    def shown(self) -> list[StreamedDraft]:
        return [d for d in self.drafts if d.state != "replaced" and not d.discarded]


class DeskSessionView(BaseModel):
    id: int
    brand: str
    user_id: int
    title: str
    options: DeskOptions
    refine_target: str | None = None
    created_at: datetime
    updated_at: datetime
    turns: list[Turn] = Field(default_factory=list)

    @property
    def running(self) -> Turn | None:
        return next((t for t in self.turns if t.state == "running"), None)

    def find(self, draft_id: str | None) -> StreamedDraft | None:
        for turn in self.turns:
            for d in turn.drafts:
                if draft_id is not None and d.draft is not None and d.draft.id == draft_id:
                    return d
        return None


class SessionSummary(BaseModel):
    id: int
    title: str
    updated_at: datetime
    drafts: int
    running: bool
