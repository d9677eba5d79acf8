"""What goes into a draft and what comes out: the request, the draft with its provenance, the
events of a streamed run. Plain pydantic models, shared by the drafter, the queue, CLI and app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from assistant.knowledge.retrieval import Source
from assistant.platforms import PLATFORMS, Violation
from assistant.text.snippets import snippet

Goal = Literal["awareness", "engagement", "traffic", "conversion", "community"]
GOALS: tuple[str, ...] = Goal.__args__  # type: ignore[attr-defined]
LANGUAGE_NAMES = {"it": "Italian", "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese"}
MAX_BRIEF = 4000
MIN_BRIEF = 3
Incomplete = Literal["cut_off", "length", "empty", "filtered", "over_limit"]

class DraftRequest(BaseModel):
    brand: str
    platforms: list[str] = Field(min_length=1)
    brief: str = Field(min_length=MIN_BRIEF, max_length=MAX_BRIEF)
    goal: Goal = "engagement"
    language: str | None = None
    variants: int = Field(default=1, ge=1, le=5)
    link: str | None = None
    call_to_action: str | None = None

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: list[str]) -> list[str]:
        out = list(dict.fromkeys(p.strip().lower() for p in value if p.strip()))
        unknown = [p for p in out if p not in PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform(s) {', '.join(unknown)}: use {', '.join(PLATFORMS)}")
        return out

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        from assistant.text.urls import safe_link

        if value is None or not value.strip():
            return None
        if safe_link(value) is None:
            raise ValueError("link: use a web address starting with https:// (e.g. https://www.example.com/page)")
        return value.strip()

    @field_validator("brief")
    @classmethod
    def _brief(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the brief is empty: say what the post is about")
        return value.strip()


class SourceRef(BaseModel):
    id: str
    kind: str
    score: float
    snippet: str
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, source: Source) -> SourceRef:
        return cls(id=source.id, kind=source.kind, score=round(source.score, 4), snippet=snippet(source.text, 160),
                   text=source.text, metadata=source.metadata)


class Draft(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    brand: str
    platform: str
    variant: int
    text: str
    language: str
    brief: str
    goal: str
    angle: str = ""
    sources: list[SourceRef] = Field(default_factory=list)
    provider: str
    model: str
    demo_model: bool = False
    test_model: bool = False  # written by the fake provider (tests): never real copy
    prompt_version: str
    prompt_tokens: int
    completion_tokens: int
    tokens_estimated: bool = False
    cost_usd: float | None
    latency_ms: int
    first_token_ms: int | None = None
    violations: list[Violation] = Field(default_factory=list)
    # Complete only when the provider said it finished; otherwise `incomplete` says why:
    # cut_off (no finish signal), length (the token limit), empty, filtered, over_limit (still
    # over the platform's hard limit after the repair round). Never queued as a normal draft.
    complete: bool = True
    incomplete: Incomplete | None = None
    repaired: bool = False
    repair_attempted: bool = False
    first_attempt: str | None = None
    trimmed_sources: int = 0  # retrieved but left out of the prompt (whole sources, lowest-scored first)
    # How many sources retrieval found (None: a draft stored before this was recorded), and the
    # token budget the prompt had to fit: the model's own (a small-context model, `context_by_model`)
    # or ASSISTANT_PROMPT_BUDGET.
    sources_retrieved: int | None = None
    context_tokens: int | None = None
    context_by_model: bool = False
    parent_id: str | None = None
    instruction: str | None = None
    messages: list[dict[str, str]] = Field(default_factory=list, repr=False)
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    def incomplete_message(self, lang: str = "en") -> str | None:
        """Why this draft is incomplete, in `lang` (None when complete)."""
        if self.complete:
            return None
        from assistant.i18n import t

        return t(f"draft.incomplete.{self.incomplete}", lang, tokens=self.completion_tokens, model=self.model)

    def source_note(self, lang: str = "en") -> str | None:
        """Why the prompt holds fewer sources than retrieval found, in `lang`: "The bundled model
        reads about 1,400 tokens: 3 of 8 sources used."; that nothing was found for the brand; or
        None when every source found was used."""
        from assistant.i18n import number, t

        used = len(self.sources)
        found = self.sources_retrieved if self.sources_retrieved is not None else used + self.trimmed_sources
        if found == 0:
            return t("draft.sources_none_found", lang)
        if used >= found:
            return None
        if self.context_tokens is None:
            limit = t("draft.context.unknown", lang)
        else:
            who = ("demo" if self.demo_model else "model") if self.context_by_model else "budget"
            limit = t(f"draft.context.{who}", lang, tokens=number(self.context_tokens, lang), model=self.model)
        if used == 0:
            return t("draft.sources_none_fitted", lang, limit=limit, total=number(found, lang))
        return t("draft.sources_used", lang, limit=limit, n=used, total=number(found, lang))

    def public(self) -> dict[str, Any]:
        """Everything but the raw conversation (which repeats the sources)."""
        return self.model_dump(exclude={"messages"})


@dataclass
class DraftEvent:
    kind: Literal["start", "token", "repair", "done"]
    platform: str
    variant: int
    text: str = ""
    draft: Draft | None = None

