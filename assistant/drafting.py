"""Drafting: request -> one retrieval -> prompt within a token budget -> LLM (streamed) ->
checks -> one repair round if needed -> `Draft` with sources, tokens, cost and latency.
No UI, no SQL: callers (CLI, app) consume `DraftEvent`s or the finished drafts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from assistant import platforms, prompts, tokens
from assistant.brands import Brand
from assistant.errors import InvalidRequest
from assistant.providers import PriceTable, Provider, Usage
from assistant.retrieval import Retriever, Source

Goal = Literal["awareness", "engagement", "traffic", "conversion", "community"]
GOAL_HINTS: dict[str, str] = {
    "awareness": "make people remember the brand and what it stands for; memorable, easy to share.",
    "engagement": "invite reactions and replies; end with something people want to answer.",
    "traffic": "make people want to follow the link; say clearly what they will find there.",
    "conversion": "lead to one concrete action (buy, book, sign up) with a clear call to action.",
    "community": "speak to the people who already follow the brand; warm, inclusive, conversational.",
}
# One explicit angle per variant, so that variants differ in substance, not only in wording.
ANGLES = (
    "lead with the most concrete detail of the brief",
    "open with a short story or a scene from everyday work",
    "open with a question to the reader",
    "give one practical tip the reader can use",
    "start from what makes the brand different, stated plainly",
)
LANGUAGE_NAMES = {"it": "Italian", "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese"}
MAX_EXEMPLARS = 8
MAX_PASSAGES = 4


class DraftRequest(BaseModel):
    brand: str
    platforms: list[str] = Field(min_length=1)
    brief: str = Field(min_length=3, max_length=4000)
    goal: Goal = "engagement"
    language: str | None = None
    variants: int = Field(default=1, ge=1, le=5)
    link: str | None = None
    call_to_action: str | None = None

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: list[str]) -> list[str]:
        out = list(dict.fromkeys(p.strip().lower() for p in value if p.strip()))
        unknown = [p for p in out if p not in platforms.PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform(s) {', '.join(unknown)}: use {', '.join(platforms.PLATFORMS)}")
        return out

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
        return cls(id=source.id, kind=source.kind, score=round(source.score, 4), snippet=source.snippet,
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
    prompt_version: str
    prompt_tokens: int
    completion_tokens: int
    tokens_estimated: bool = False
    cost_usd: float | None
    latency_ms: int
    first_token_ms: int | None = None
    violations: list[dict[str, Any]] = Field(default_factory=list)
    repaired: bool = False
    repair_attempted: bool = False
    first_attempt: str | None = None
    trimmed_sources: int = 0
    parent_id: str | None = None
    instruction: str | None = None
    messages: list[dict[str, str]] = Field(default_factory=list, repr=False)
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v.get("severity") == "error"]

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


@dataclass
class _Generation:
    text: str
    usage: Usage
    latency_ms: int
    first_token_ms: int | None


class Drafter:
    def __init__(self, *, retriever: Retriever, provider: Provider, prices: PriceTable,
                 rules: dict[str, platforms.PlatformRule], load_brand, prompt_budget: int = 2000,
                 max_output_tokens: int = 400, ui_language: str = "it") -> None:
        self.retriever = retriever
        self.provider = provider
        self.prices = prices
        self.rules = rules
        self.load_brand = load_brand
        self.prompt_budget = min(prompt_budget, provider.prompt_budget_cap or prompt_budget)
        self.max_output_tokens = min(max_output_tokens, provider.output_tokens_cap or max_output_tokens)
        self.ui_language = ui_language

    # --- public API -----------------------------------------------------------------------------

    def draft(self, request: DraftRequest) -> list[Draft]:
        return [e.draft for e in self.stream(request) if e.kind == "done" and e.draft is not None]

    def stream(self, request: DraftRequest) -> Iterator[DraftEvent]:
        """Drafts for every platform x variant, streamed token by token."""
        brand: Brand = self.load_brand(request.brand)
        language = (request.language or brand.profile.language).lower()
        if language not in LANGUAGE_NAMES:
            raise InvalidRequest(f"language '{language}' is not supported: use one of {', '.join(LANGUAGE_NAMES)}")
        sources = self.retriever.retrieve(brand.slug, request.brief, k=MAX_EXEMPLARS, k_guidelines=MAX_PASSAGES)
        system = prompts.load("system")
        template = prompts.load("draft")
        version = f"{system.tag}+{template.tag}"
        for platform in request.platforms:
            rule = self.rules[platform]
            for variant in range(1, request.variants + 1):
                angle = ANGLES[(variant - 1) % len(ANGLES)]
                kept, trimmed, messages = self._fit(brand, request, platform, rule, language, angle, sources)
                yield DraftEvent("start", platform, variant)
                gen = yield from self._generate(messages, platform, variant, temperature=_temperature(variant))
                draft = self._finish(brand, request, platform, rule, variant, language, angle, kept, trimmed,
                                     messages, gen, version)
                draft = yield from self._repair(brand, draft, rule)
                yield DraftEvent("done", platform, variant, draft=draft)

    def refine(self, draft: Draft, instruction: str) -> Draft:
        return next(e.draft for e in self.stream_refine(draft, instruction) if e.kind == "done" and e.draft)

    def stream_refine(self, draft: Draft, instruction: str) -> Iterator[DraftEvent]:
        """A new draft from `draft` and an instruction ("più breve", "more formal"), with the
        brand context and the conversation so far."""
        if not instruction.strip():
            raise InvalidRequest("the refinement instruction is empty: say what to change (e.g. 'più breve')")
        brand = self.load_brand(draft.brand)
        rule = self.rules[draft.platform]
        template = prompts.load("refine")
        user = template.render(previous_text=prompts.escape_data(draft.text), platform_label=rule.label,
                               instruction=prompts.escape_data(instruction.strip()),
                               language_name=LANGUAGE_NAMES.get(draft.language, draft.language),
                               required_hashtags=" ".join(brand.profile.required_hashtags), limit_hint=_limit_hint(rule))
        messages = [*draft.messages, {"role": "assistant", "content": draft.text}, {"role": "user", "content": user}]
        yield DraftEvent("start", draft.platform, draft.variant)
        gen = yield from self._generate(messages, draft.platform, draft.variant, temperature=0.6)
        new = draft.model_copy(update={
            "id": uuid.uuid4().hex, "parent_id": draft.id, "instruction": instruction.strip(), "repaired": False,
            "first_attempt": None, "created_at": datetime.now(timezone.utc).isoformat(),
            "prompt_version": f"{draft.prompt_version.split('+refine')[0]}+{template.tag}",
        })
        new = self._with_generation(new, brand, rule, messages, gen)
        new = yield from self._repair(brand, new, rule)
        yield DraftEvent("done", draft.platform, draft.variant, draft=new)

    # --- steps ----------------------------------------------------------------------------------

    def _fit(self, brand: Brand, request: DraftRequest, platform: str, rule, language: str, angle: str,
             sources: list[Source]) -> tuple[list[Source], int, list[dict[str, str]]]:
        """Render the prompt, dropping the lowest-scored sources until it fits the budget."""
        kept = sorted(sources, key=lambda s: -s.score)
        dropped = 0
        while True:
            messages = self._messages(brand, request, platform, rule, language, angle, kept)
            used = sum(tokens.count(m["content"], self.provider.model) for m in messages)
            if used <= self.prompt_budget or not kept:
                return kept, dropped, messages
            kept = kept[:-1]
            dropped += 1

    def _messages(self, brand: Brand, request: DraftRequest, platform: str, rule, language: str, angle: str,
                  sources: list[Source]) -> list[dict[str, str]]:
        p = brand.profile
        passages = [s for s in sources if s.kind == "guideline"]
        posts = sorted((s for s in sources if s.kind != "guideline"),
                       key=lambda s: (s.metadata.get("platform") != platform, -s.score))
        extras = []
        if request.link:
            extras.append(f"Link to include: {prompts.escape_data(request.link)}")
        if request.call_to_action:
            extras.append(f"Call to action: {prompts.escape_data(request.call_to_action)}")
        if p.disclaimer:
            extras.append(f"Include this disclaimer: {prompts.escape_data(p.disclaimer)}")
        system = prompts.load("system").render(brand_name=p.name)
        user = prompts.load("draft").render(
            brand_profile=_profile_block(brand), platform_rules=_rules_block(rule),
            guideline_passages="\n".join(_passage(s) for s in passages) or "(none)",
            exemplar_posts="\n".join(_exemplar(s) for s in posts) or "(none)",
            platform_label=rule.label, brand_name=p.name, language=language,
            language_name=LANGUAGE_NAMES.get(language, language), goal=request.goal, goal_hint=GOAL_HINTS[request.goal],
            angle=angle, brief=prompts.escape_data(request.brief), extras="\n".join(extras),
            required_hashtags=" ".join(p.required_hashtags), limit_hint=_limit_hint(rule),
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _generate(self, messages: list[dict[str, str]], platform: str, variant: int, *, temperature: float,
                  kind: Literal["token", "repair"] = "token"):
        started = time.perf_counter()
        first: int | None = None
        pieces: list[str] = []
        for piece in self.provider.stream(messages, temperature=temperature, max_tokens=self.max_output_tokens):
            if first is None:
                first = int((time.perf_counter() - started) * 1000)
            pieces.append(piece)
            yield DraftEvent(kind, platform, variant, text=piece)
        text = _clean_output("".join(pieces))
        usage = self.provider.last_usage
        if not usage.prompt_tokens:
            usage = Usage(sum(tokens.count(m["content"], self.provider.model) for m in messages),
                          tokens.count(text, self.provider.model), estimated=True)
        return _Generation(text, usage, int((time.perf_counter() - started) * 1000), first)

    def _finish(self, brand, request, platform, rule, variant, language, angle, kept, trimmed, messages, gen,
                version) -> Draft:
        draft = Draft(
            brand=brand.slug, platform=platform, variant=variant, text="", language=language, brief=request.brief,
            goal=request.goal, angle=angle, sources=[SourceRef.of(s) for s in kept], provider=self.provider.name,
            model=self.provider.model, demo_model=self.provider.is_demo_model, prompt_version=version,
            prompt_tokens=0, completion_tokens=0, cost_usd=0.0, latency_ms=0, trimmed_sources=trimmed,
        )
        return self._with_generation(draft, brand, rule, messages, gen)

    def _with_generation(self, draft: Draft, brand: Brand, rule, messages, gen: _Generation) -> Draft:
        return draft.model_copy(update={
            "text": gen.text, "messages": messages, "prompt_tokens": gen.usage.prompt_tokens,
            "completion_tokens": gen.usage.completion_tokens, "tokens_estimated": gen.usage.estimated,
            "cost_usd": self.prices.cost(self.provider.name, self.provider.model, gen.usage.prompt_tokens,
                                         gen.usage.completion_tokens),
            "latency_ms": gen.latency_ms, "first_token_ms": gen.first_token_ms,
            "violations": self._check(gen.text, draft.platform, brand, draft.language),
        })

    def _check(self, text: str, platform: str, brand: Brand, language: str) -> list[dict[str, Any]]:
        return [v.as_dict() for v in platforms.validate(text, platform, brand.profile, ui_language=self.ui_language,
                                                        expected_language=language, rules=self.rules)]

    def _repair(self, brand: Brand, draft: Draft, rule):
        """One automatic repair round for error-severity violations; what remains is reported."""
        if not draft.errors:
            return draft
        listed = "\n".join(f"- {v['code']}: {v['message']}" for v in draft.errors)
        user = prompts.load("repair").render(
            previous_text=prompts.escape_data(draft.text), platform_label=rule.label, violations=listed,
            language_name=LANGUAGE_NAMES.get(draft.language, draft.language),
            required_hashtags=" ".join(brand.profile.required_hashtags), limit_hint=_limit_hint(rule))
        messages = [*draft.messages, {"role": "assistant", "content": draft.text}, {"role": "user", "content": user}]
        gen = yield from self._generate(messages, draft.platform, draft.variant, temperature=0.3, kind="repair")
        violations = self._check(gen.text, draft.platform, brand, draft.language)
        if not gen.text or sum(v["severity"] == "error" for v in violations) >= len(draft.errors):
            # The repair did not reduce the errors: keep what the model wrote first, report what remains.
            return draft.model_copy(update={"repair_attempted": True})
        cost = self.prices.cost(self.provider.name, self.provider.model, gen.usage.prompt_tokens,
                                gen.usage.completion_tokens)
        return draft.model_copy(update={
            "text": gen.text, "first_attempt": draft.text, "repaired": True, "repair_attempted": True,
            "violations": violations,
            "prompt_tokens": draft.prompt_tokens + gen.usage.prompt_tokens,
            "completion_tokens": draft.completion_tokens + gen.usage.completion_tokens,
            "cost_usd": None if cost is None or draft.cost_usd is None else round(draft.cost_usd + cost, 6),
            "latency_ms": draft.latency_ms + gen.latency_ms,
            "prompt_version": f"{draft.prompt_version}+{prompts.load('repair').tag}",
        })


# --- blocks -------------------------------------------------------------------------------------

def _temperature(variant: int) -> float:
    return round(min(0.6 + 0.15 * (variant - 1), 1.2), 2)


def _limit_hint(rule) -> str:
    unit = {"weighted": "weighted characters", "graphemes": "characters"}.get(rule.counting, "characters")
    return f"{rule.limit} {unit}"


def _profile_block(brand: Brand) -> str:
    p = brand.profile
    e = prompts.escape_data
    lines = [f"Name: {e(p.name)}", f"Voice: {e(' '.join(p.voice.split()))}"]
    if p.audience:
        lines.append(f"Audience: {e(' '.join(p.audience.split()))}")
    for label, items in (("Pillars", p.pillars), ("Do", p.do), ("Don't", p.dont),
                         ("Banned words (never use)", p.banned_words), ("Approved hashtags", p.hashtags),
                         ("Required hashtags (always include)", p.required_hashtags)):
        if items:
            lines.append(f"{label}: " + "; ".join(e(i) for i in items))
    emoji = {"none": "no emoji at all", "sparing": f"at most {p.emoji_max} emoji", "free": "emoji allowed"}[p.emoji]
    lines.append(f"Emoji: {emoji}")
    return "\n".join(lines)


def _rules_block(rule) -> str:
    lines = [f"Platform: {rule.label}", f"Limit: {_limit_hint(rule)}"]
    if getattr(rule, "url_weight", None):
        lines.append(f"Every link counts as {rule.url_weight} characters")
    if getattr(rule, "max_hashtags", None):
        lines.append(f"At most {rule.max_hashtags} hashtags")
    if getattr(rule, "max_topic_tags", None):
        lines.append(f"At most {rule.max_topic_tags} topic tag(s)")
    if getattr(rule, "max_links", None):
        lines.append(f"At most {rule.max_links} links")
    if getattr(rule, "links_clickable", True) is False:
        lines.append("Links in the text are not clickable: point to the link in bio instead")
    if getattr(rule, "see_more_at", None):
        lines.append(f"Only the first ~{rule.see_more_at} characters show before 'see more': put the hook there")
    return "\n".join(lines)


def _passage(s: Source) -> str:
    heading = s.metadata.get("heading") or ""
    return f'<passage id="{prompts.attr(s.id[:8])}" heading="{prompts.attr(heading)}">{prompts.escape_data(s.text)}</passage>'


def _exemplar(s: Source) -> str:
    m = s.metadata
    attrs = [f'id="{prompts.attr(s.id[:8])}"', f'platform="{prompts.attr(m.get("platform", ""))}"']
    if "engagement" in m:
        attrs.append(f'engagement="{prompts.attr(m["engagement"])}"')
    if m.get("kind") == "approved":
        attrs.append('approved_by_team="yes"')
    return f"<post {' '.join(attrs)}>{prompts.escape_data(s.text)}</post>"


def _clean_output(text: str) -> str:
    """Only surrounding whitespace is removed: the draft is what the model wrote."""
    return text.strip()
