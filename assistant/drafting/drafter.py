"""Drafting: request -> one retrieval -> prompt within a token budget -> LLM (streamed) ->
checks -> one repair round if needed -> `Draft` with sources, tokens, cost and latency.
No UI, no SQL: callers (CLI, app) consume `DraftEvent`s or the finished drafts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal


from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.brands import Brand
from assistant.drafting import guards, prompts
from assistant.drafting.policy import Refused, check_provider
from assistant.drafting.pricing import PriceTable
from assistant.drafting.providers.base import Provider, Usage
from assistant.drafting.schemas import LANGUAGE_NAMES, Draft, DraftEvent, DraftRequest, SourceRef
from assistant.errors import InvalidRequest, ProviderNotAllowed
from assistant.knowledge.embeddings import check_embedder
from assistant.knowledge.retrieval import Retriever, Source
from assistant import platforms
from assistant.text import tokens

HARD_LIMITS = frozenset({"too_long", "too_many_bytes", "empty"})  # what the platform refuses outright
MAX_EXEMPLARS = 8
MAX_PASSAGES = 4


@dataclass
class _Generation:
    text: str
    usage: Usage
    latency_ms: int
    first_token_ms: int | None
    finish: str | None  # the provider's finish signal; None: the stream ended without one


class Drafter:
    def __init__(self, *, retriever: Retriever, provider: Provider, prices: PriceTable,
                 rules: dict[str, platforms.PlatformRule], load_brand, prompt_budget: int = 2000,
                 max_output_tokens: int = 400, actor: Actor | None = None, refused: Refused | None = None) -> None:
        self.actor = actor  # who asks: must hold a role that drafts on the brand (None: the library's own use)
        self.refused = refused  # records a refusal of the brand's policy (where its material may go)
        self.retriever = retriever
        self.provider = provider
        self.prices = prices
        self.rules = rules
        self.load_brand = load_brand
        self.prompt_budget = min(prompt_budget, provider.prompt_budget_cap or prompt_budget)
        self.max_output_tokens = min(max_output_tokens, provider.output_tokens_cap or max_output_tokens)

    # --- public API -----------------------------------------------------------------------------

    def draft(self, request: DraftRequest) -> list[Draft]:
        return [e.draft for e in self.stream(request) if e.kind == "done" and e.draft is not None]

    def stream(self, request: DraftRequest, *, skip: frozenset[tuple[str, int]] = frozenset()) -> Iterator[DraftEvent]:
        """Drafts for every platform x variant, streamed token by token (but the `(platform,
        variant)` pairs in `skip`: a resumed job's drafts that already finished)."""
        if self.actor is not None:
            require(self.actor, "draft", request.brand)
        brand: Brand = self.load_brand(request.brand)
        self._allowed(brand, retrieval=True)  # before anything is sent: the query embedding included
        language = (request.language or brand.profile.language).lower()
        if language not in LANGUAGE_NAMES:
            raise InvalidRequest(f"language '{language}' is not supported: use one of {', '.join(LANGUAGE_NAMES)}")
        sources = self.retriever.retrieve(brand.slug, request.brief, k=MAX_EXEMPLARS, k_guidelines=MAX_PASSAGES)
        version = f"{prompts.load('system').tag}+{prompts.load('draft').tag}#{prompts.fingerprint()}"
        angles = list(prompts.phrases("angles").values())
        for platform in request.platforms:
            rule = self.rules[platform]
            for variant in range(1, request.variants + 1):
                if (platform, variant) in skip:
                    continue
                angle = angles[(variant - 1) % len(angles)]
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
        if self.actor is not None:
            require(self.actor, "draft", draft.brand)
        brand = self.load_brand(draft.brand)
        self._allowed(brand)
        rule = self.rules[draft.platform]
        template = prompts.load("refine")
        user = template.render(previous_text=prompts.escape_data(draft.text), platform_label=rule.label,
                               instruction=prompts.escape_data(instruction.strip()),
                               language_name=LANGUAGE_NAMES.get(draft.language, draft.language),
                               required_hashtags=_hashtags(brand), limit_hint=_limit_hint(rule))
        messages = [*draft.messages, {"role": "assistant", "content": draft.text}, {"role": "user", "content": user}]
        yield DraftEvent("start", draft.platform, draft.variant)
        gen = yield from self._generate(messages, draft.platform, draft.variant, temperature=0.6)
        new = draft.model_copy(update={
            "id": uuid.uuid4().hex, "parent_id": draft.id, "instruction": instruction.strip(), "repaired": False,
            "first_attempt": None, "created_at": datetime.now(timezone.utc).isoformat(),
            "prompt_version": _with_tag(draft.prompt_version.split("+refine")[0], template.tag),
        })
        new = self._with_generation(new, brand, rule, messages, gen)
        new = yield from self._repair(brand, new, rule)
        yield DraftEvent("done", draft.platform, draft.variant, draft=new)

    # --- steps ----------------------------------------------------------------------------------

    def _allowed(self, brand: Brand, *, retrieval: bool = False) -> None:
        """The brand's policy on where its material may go, for the provider this drafter was built
        with (and, with `retrieval`, the embedding model the query goes to): refused before any byte
        is sent, and the refusal recorded against who asked."""
        try:
            check_provider(brand.profile, self.provider)
            if retrieval:
                check_embedder(brand.profile, self.retriever.embedder)
        except ProviderNotAllowed as exc:
            if self.refused is not None:
                self.refused(exc, self.actor)
            raise

    def _fit(self, brand: Brand, request: DraftRequest, platform: str, rule, language: str, angle: str,
             sources: list[Source]) -> tuple[list[Source], int, list[dict[str, str]]]:
        """Render the prompt with as many WHOLE sources as fit the budget: every source when they
        all fit; else best-scored first, and a source that does not fit is left out whole (never
        cut) while the next, shorter ones are still tried. A small-context model gets fewer sources."""
        ranked = sorted(sources, key=lambda s: -s.score)

        def render(chosen: list[Source]) -> tuple[int, list[dict[str, str]]]:
            messages = self._messages(brand, request, platform, rule, language, angle, chosen)
            return sum(tokens.count(m["content"], self.provider.model) for m in messages), messages

        used, messages = render(ranked)
        if used <= self.prompt_budget or not ranked:
            return ranked, 0, messages
        kept: list[Source] = []
        used, messages = render(kept)
        if used > self.prompt_budget:  # even without sources: the brief and the brand fill the budget
            return kept, len(ranked), messages
        for source in ranked:
            trial_used, trial = render([*kept, source])
            if trial_used <= self.prompt_budget:
                kept, messages = [*kept, source], trial
        return kept, len(ranked) - len(kept), messages

    def _messages(self, brand: Brand, request: DraftRequest, platform: str, rule, language: str, angle: str,
                  sources: list[Source]) -> list[dict[str, str]]:
        p = brand.profile
        passages = [s for s in sources if s.kind == "guideline"]
        posts = sorted((s for s in sources if s.kind != "guideline"),
                       key=lambda s: (s.metadata.get("platform") != platform, -s.score))
        extras = [prompts.phrase("phrases", key, value=prompts.escape_data(value))
                  for key, value in (("extras.link", request.link), ("extras.cta", request.call_to_action),
                                     ("extras.disclaimer", p.disclaimer)) if value]
        none = prompts.phrase("phrases", "none")
        name = prompts.escape_data(p.name)
        system = prompts.load("system").render(brand_name=name)
        user = prompts.load("draft").render(
            brand_profile=_profile_block(brand), platform_rules=_rules_block(rule),
            guideline_passages="\n".join(_passage(s) for s in passages) or none,
            exemplar_posts="\n".join(_exemplar(s) for s in posts) or none,
            platform_label=rule.label, brand_name=name, language=language,
            language_name=LANGUAGE_NAMES.get(language, language), goal=request.goal,
            goal_hint=prompts.phrase("goals", request.goal), angle=angle, brief=prompts.escape_data(request.brief),
            extras="\n".join(extras), required_hashtags=_hashtags(brand), limit_hint=_limit_hint(rule),
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
        return _Generation(text, usage, int((time.perf_counter() - started) * 1000), first, self.provider.last_finish)

    def _finish(self, brand, request, platform, rule, variant, language, angle, kept, trimmed, messages, gen,
                version) -> Draft:
        draft = Draft(
            brand=brand.slug, platform=platform, variant=variant, text="", language=language, brief=request.brief,
            goal=request.goal, angle=angle, sources=[SourceRef.of(s) for s in kept], provider=self.provider.name,
            model=self.provider.model, demo_model=self.provider.is_demo_model,
            test_model=self.provider.is_test_model, prompt_version=version,
            prompt_tokens=0, completion_tokens=0, cost_usd=0.0, latency_ms=0, trimmed_sources=trimmed,
            sources_retrieved=len(kept) + trimmed, context_tokens=self.prompt_budget,
            context_by_model=self.provider.prompt_budget_cap is not None
            and self.prompt_budget == self.provider.prompt_budget_cap,
        )
        return self._with_generation(draft, brand, rule, messages, gen)

    def _with_generation(self, draft: Draft, brand: Brand, rule, messages, gen: _Generation) -> Draft:
        return draft.model_copy(update={
            "text": gen.text, "messages": messages, "prompt_tokens": gen.usage.prompt_tokens,
            "completion_tokens": gen.usage.completion_tokens, "tokens_estimated": gen.usage.estimated,
            "cost_usd": self.prices.cost(self.provider.name, self.provider.model, gen.usage.prompt_tokens,
                                         gen.usage.completion_tokens),
            "latency_ms": gen.latency_ms, "first_token_ms": gen.first_token_ms,
            "violations": self._check(gen.text, draft.platform, brand, draft.language, draft.sources),
            **_completeness(gen),
        })

    def _check(self, text: str, platform: str, brand: Brand, language: str,
                sources: list[SourceRef] = ()) -> list[platforms.Violation]:
        """The platform's and brand's rules, and the guards: the prompt echoed, an exemplar copied."""
        exemplars = [s.text for s in sources if s.kind != "guideline"]
        return [*platforms.validate(text, platform, brand.profile, expected_language=language, rules=self.rules),
                *guards.echoes(text, exemplars)]

    def _repair(self, brand: Brand, draft: Draft, rule):
        """One automatic repair round for error-severity violations; what remains is reported. A
        draft still over the platform's hard limit afterwards is marked incomplete (over_limit)."""
        if not draft.complete:
            return draft  # a cut answer is shown as it is; the person retries or keeps it
        if not draft.errors:
            return draft
        draft = yield from self._repair_round(brand, draft, rule)
        if any(v.code in HARD_LIMITS for v in draft.errors):
            draft = draft.model_copy(update={"complete": False, "incomplete": "over_limit"})
        return draft

    def _repair_round(self, brand: Brand, draft: Draft, rule):
        self._allowed(brand)  # the repair is one more request: the same policy
        listed = "\n".join(prompts.phrase("phrases", "violation", code=v.code, message=prompts.escape_data(v.message("en")))
                           for v in draft.errors)
        user = prompts.load("repair").render(
            previous_text=prompts.escape_data(draft.text), platform_label=rule.label, violations=listed,
            language_name=LANGUAGE_NAMES.get(draft.language, draft.language),
            required_hashtags=_hashtags(brand), limit_hint=_limit_hint(rule))
        messages = [*draft.messages, {"role": "assistant", "content": draft.text}, {"role": "user", "content": user}]
        gen = yield from self._generate(messages, draft.platform, draft.variant, temperature=0.3, kind="repair")
        violations = self._check(gen.text, draft.platform, brand, draft.language, draft.sources)
        introduced = {v.code for v in violations} & guards.GUARD_CODES - {v.code for v in draft.violations}
        if not gen.text or _completeness(gen)["incomplete"] or introduced or sum(
                v.severity == "error" for v in violations) >= len(draft.errors):
            # The repair did not reduce the errors, or it echoed its prompt or copied an exemplar
            # (never kept): keep what the model wrote first, report what remains.
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
            "prompt_version": _with_tag(draft.prompt_version, prompts.load("repair").tag),
        })


# --- blocks -------------------------------------------------------------------------------------

def _temperature(variant: int) -> float:
    return round(min(0.6 + 0.15 * (variant - 1), 1.2), 2)


def _completeness(gen: _Generation) -> dict[str, object]:
    """Complete only when the provider said "stop" and something arrived."""
    if not gen.text.strip():
        reason = "empty"
    elif gen.finish is None:
        reason = "cut_off"
    elif gen.finish == "length":
        reason = "length"
    elif gen.finish != "stop":
        reason = "filtered"
    else:
        return {"complete": True, "incomplete": None}
    return {"complete": False, "incomplete": reason}


def _with_tag(version: str, tag: str) -> str:
    """`tag` added before the prompts' fingerprint: "system@1+draft@3+repair@1#1a2b3c4d"."""
    base, sep, digest = version.partition("#")
    return f"{base}+{tag}{sep}{digest}"


def _hashtags(brand: Brand) -> str:
    return " ".join(prompts.escape_data(tag) for tag in brand.profile.required_hashtags)


def _limit_hint(rule) -> str:
    key = "limit.weighted" if rule.counting == "weighted" else "limit.other"
    return prompts.phrase("phrases", key, limit=rule.limit)


def _profile_block(brand: Brand) -> str:
    """The brand profile as the model reads it: every field escaped like retrieved text."""
    p = brand.profile
    e = prompts.escape_data

    def line(key: str, value: str) -> str:
        return prompts.phrase("phrases", f"profile.{key}", value=value)

    lines = [line("name", e(p.name)), line("voice", e(" ".join(p.voice.split())))]
    if p.audience:
        lines.append(line("audience", e(" ".join(p.audience.split()))))
    for key in ("pillars", "do", "dont", "banned_words", "hashtags", "required_hashtags"):
        if items := getattr(p, key):
            lines.append(line(key, "; ".join(e(i) for i in items)))
    lines.append(prompts.phrase("phrases", f"profile.emoji.{p.emoji}", max=p.emoji_max))
    return "\n".join(lines)


def _rules_block(rule) -> str:
    def line(key: str, **values: object) -> str:
        return prompts.phrase("phrases", f"rules.{key}", **values)

    lines = [line("platform", label=rule.label), line("limit", limit=_limit_hint(rule))]
    if rule.url_weight:
        lines.append(line("url_weight", weight=rule.url_weight))
    for key in ("max_hashtags", "max_topic_tags", "max_links"):
        if getattr(rule, key):
            lines.append(line(key, max=getattr(rule, key)))
    if rule.links_clickable is False:
        lines.append(line("links_not_clickable"))
    if rule.see_more_at:
        lines.append(line("see_more", cut=rule.see_more_at))
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
