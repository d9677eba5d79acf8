"""Drafting: request -> one retrieval -> prompt within a token budget -> LLM (streamed) ->
checks -> one repair round if needed -> `Draft` with sources, tokens, cost and latency.
No UI, no SQL: callers (CLI, app) consume `DraftEvent`s or the finished drafts.

The prompt starts with the brand's part (system message, profile, the brand's fixed guideline
passages, platform rules, its fixed posts for the platform: `blocks.py`, `passages.py`), the same
for every draft of the brand on a platform, so a server that caches prompts reuses it, and `warm`
can send it before the first brief; then the draft's own part (what was retrieved for the brief,
the task)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from assistant.accounts.permissions import can, require
from assistant.accounts.schemas import Actor
from assistant.brands import Brand
from assistant.drafting import blocks, duplicates, guards, passages, prompts
from assistant.drafting.policy import Refused, check_provider
from assistant.drafting.pricing import PriceTable
from assistant.drafting.providers.base import Message, Provider, Usage
from assistant.drafting.schemas import LANGUAGE_NAMES, Draft, DraftEvent, DraftRequest, SourceRef
from assistant.drafting.warming import Warmer, Warming, caches
from assistant.errors import InvalidRequest, ProviderNotAllowed
from assistant.knowledge.embeddings import check_embedder
from assistant.knowledge.retrieval import Retriever, Source
from assistant import platforms
from assistant.text import tokens

HARD_LIMITS = frozenset({"too_long", "too_many_bytes", "empty"})  # what the platform refuses outright
MAX_EXEMPLARS = 8
MAX_PASSAGES = 4


@dataclass(frozen=True)
class _Context:
    """What every variant of one request shares."""

    brand: Brand
    request: DraftRequest
    language: str
    fixed: list[Source]  # the brand's fixed passages, scored for this brief
    brief_sources: list[Source]  # retrieved for the brief (exemplars, passages not among the fixed)
    query: Any  # the brief's embedding: scores the brand's fixed posts of each platform


@dataclass(frozen=True)
class _Fit:
    kept: list[Source]  # what the prompt holds: the fixed passages, then the brief's sources kept
    trimmed: int
    messages: list[Message]
    prefix: list[Message]  # the brand's part, as sent (a warm-up of it is what this draft reuses)


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
                 max_output_tokens: int = 400, actor: Actor | None = None, refused: Refused | None = None,
                 warmer: Warmer | None = None, choices: passages.Choices | None = None) -> None:
        self.actor = actor  # who asks: must hold a role that drafts on the brand (None: the library's own use)
        self.refused = refused  # records a refusal of the brand's policy (where its material may go)
        self.retriever = retriever
        self.provider = provider
        self.prices = prices
        self.rules = rules
        self.load_brand = load_brand
        self.prompt_budget = min(prompt_budget, provider.prompt_budget_cap or prompt_budget)
        self.max_output_tokens = min(max_output_tokens, provider.output_tokens_cap or max_output_tokens)
        # Shared per process (Services): warm-ups deduplicated, the brand's fixed passages chosen once.
        self.warmer = warmer or Warmer()
        self.choices = choices or passages.Choices()

    # --- public API -----------------------------------------------------------------------------

    def draft(self, request: DraftRequest) -> list[Draft]:
        return [e.draft for e in self.stream(request) if e.kind == "done" and e.draft is not None]

    def stream(self, request: DraftRequest, *, skip: frozenset[tuple[str, int]] = frozenset(),
               written: Mapping[tuple[str, int], str] | None = None) -> Iterator[DraftEvent]:
        """Drafts for every platform x variant, streamed token by token (but the `(platform,
        variant)` pairs in `skip`: a resumed job's drafts that already finished). A variant that
        comes out the same as an earlier one of its platform is written again once (`duplicates`),
        its new tokens streamed as "repair" events. Earlier means written in this call, or given in
        `written` ((platform, variant) -> text: a resumed job's finished drafts); without it, a
        skipped variant is not compared, as its text is not known here."""
        if self.actor is not None:
            require(self.actor, "draft", request.brand)
        brand: Brand = self.load_brand(request.brand)
        self._allowed(brand, retrieval=True)  # before anything is sent: the query embedding included
        language = (request.language or brand.profile.language).lower()
        if language not in LANGUAGE_NAMES:
            raise InvalidRequest(f"language '{language}' is not supported: use one of {', '.join(LANGUAGE_NAMES)}")
        query = self.retriever.embedder.query(request.brief)  # one embedding: retrieval and the fixed passages
        sources = self.retriever.retrieve(brand.slug, request.brief, k=MAX_EXEMPLARS, k_guidelines=MAX_PASSAGES,
                                          query_embedding=query)
        fixed = self._fixed_passages(brand)
        brief_sources = [s for s in sources if s.id not in fixed.ids]
        context = _Context(brand, request, language, fixed.for_brief(query), brief_sources, query)
        with self.warmer.drafting(self.provider):  # no warm-up starts on the server while drafts are written
            for platform in request.platforms:
                earlier = {v: text for (p, v), text in (written or {}).items() if p == platform}
                yield from self._platform(context, platform, skip, earlier)

    def warm(self, slug: str, platform: str | None = None) -> Warming | None:
        """Send the brand's part of the prompt (for `platform`, default the brand's first) to the
        provider in the background, once, so that the first draft after choosing a brand reuses
        it instead of reading it cold; the local embedding model the brief's retrieval needs is
        loaded in the background too, whatever the provider. Returns at once; None (nothing sent)
        when the provider keeps no prompt cache, the person may not draft on the brand, the
        brand's policy refuses the provider (not recorded as a refusal: nobody asked for a draft),
        or the embedding model is remote (the brand's fixed posts embed its voice description)."""
        if self.actor is not None and not can(self.actor, "draft", slug):
            return None
        embedder = self.retriever.embedder
        if embedder.provider == "local":  # this machine's model: loading it sends nothing anywhere
            self.warmer.once(f"embedder:{embedder.name}", lambda: embedder.query("warm up"))
        if not caches(self.provider):
            return None
        brand: Brand = self.load_brand(slug)
        try:
            check_provider(brand.profile, self.provider)
        except ProviderNotAllowed:
            return None
        if not embedder.on_this_machine:  # the brand's fixed posts embed its voice description
            return None
        name = platform or next((p for p in brand.profile.platforms if p in self.rules), None) or next(iter(self.rules))
        if name not in self.rules:
            raise InvalidRequest(f"unknown platform '{name}': use one of {', '.join(self.rules)}")
        fixed = [*self._fixed_passages(brand).sources, *self._fixed_posts(brand, name).sources]
        return self.warmer.warm(self.provider, brand.slug, blocks.brand_messages(brand, self.rules[name], fixed))

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
                               required_hashtags=blocks.hashtags(brand), limit_hint=blocks.limit_hint(rule))
        messages = [*draft.messages, {"role": "assistant", "content": draft.text}, {"role": "user", "content": user}]
        with self.warmer.drafting(self.provider):  # no warm-up starts on the server meanwhile
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

    def _platform(self, context: _Context, platform: str, skip: frozenset[tuple[str, int]], earlier: dict[int, str]):
        """The variants of one platform; a variant the same as an earlier one is written again once
        with an angle no variant took and a higher temperature, and marked if still the same."""
        request = context.request
        angles = list(prompts.phrases("angles").values())
        taken = {angles[(v - 1) % len(angles)] for v in range(1, request.variants + 1)}
        for variant in range(1, request.variants + 1):
            if (platform, variant) in skip:
                continue
            angle = angles[(variant - 1) % len(angles)]
            yield DraftEvent("start", platform, variant)
            draft = yield from self._variant(context, platform, variant, angle, _temperature(variant), "token")
            if (repeated := duplicates.same_as(draft.text, earlier)) is not None:
                angle = duplicates.other_angle(angles, taken, angle)
                taken.add(angle)
                again = yield from self._variant(context, platform, variant, angle,
                                                 duplicates.retry_temperature(_temperature(variant)), "repair")
                draft = _absorbed(again, draft)
                if (repeated := duplicates.same_as(draft.text, earlier)) is not None:
                    draft = draft.model_copy(update={"violations": [*draft.violations, duplicates.violation(repeated)]})
            earlier[variant] = draft.text
            yield DraftEvent("done", platform, variant, draft=draft)

    def _variant(self, context: _Context, platform: str, variant: int, angle: str, temperature: float,
                 kind: Literal["token", "repair"]):
        brand, request, language = context.brand, context.request, context.language
        rule = self.rules[platform]
        posts = self._fixed_posts(brand, platform)  # then the brief's own, without these
        fit = self._fit(brand, request, platform, rule, language, angle, [*context.fixed, *posts.for_brief(context.query)],
                        [s for s in context.brief_sources if s.id not in posts.ids])
        gen = yield from self._generate(fit.messages, platform, variant, temperature=temperature, kind=kind)
        self.warmer.sent(self.provider, fit.prefix)  # the server holds this prefix now: no warm-up needed
        version = f"{prompts.load('system').tag}+{prompts.load('brand').tag}+{prompts.load('draft').tag}" \
                  f"#{prompts.fingerprint()}"
        draft = self._finish(brand, request, platform, rule, variant, language, angle, fit.kept, fit.trimmed,
                             fit.messages, gen, version)
        return (yield from self._repair(brand, draft, rule))

    def _fixed_passages(self, brand: Brand) -> passages.FixedPassages:
        return passages.for_brand(self.retriever.store, brand, budget=self.prompt_budget, model=self.provider.model,
                                  choices=self.choices)

    def _fixed_posts(self, brand: Brand, platform: str) -> passages.FixedPassages:
        return passages.for_platform(self.retriever.store, self.retriever.embedder, brand, platform,
                                     budget=self.prompt_budget, model=self.provider.model, choices=self.choices)

    def _fit(self, brand: Brand, request: DraftRequest, platform: str, rule, language: str, angle: str,
             fixed: list[Source], brief_sources: list[Source]) -> _Fit:
        """The prompt within the budget, WHOLE sources only. The brand's fixed sources (passages,
        then posts) stay, so the prefix is the same from draft to draft; the brief's sources are
        trimmed, best-scored first, one that does not fit left out while shorter ones are still
        tried. Only when the brand's part and the task alone exceed the budget (a very long brief)
        are fixed sources dropped too, last first: the budget wins over the cache for that draft."""
        ranked = sorted(brief_sources, key=lambda s: -s.score)

        def render(chosen: list[Source], prefix: list[Message]) -> tuple[int, list[Message]]:
            messages = blocks.draft_messages(prefix, brand, request, platform, rule, language, angle, chosen)
            return sum(tokens.count(m["content"], self.provider.model) for m in messages), messages

        prefix = blocks.brand_messages(brand, rule, fixed)
        used, messages = render(ranked, prefix)
        if used <= self.prompt_budget or not (ranked or fixed):
            return _Fit([*fixed, *ranked], 0, messages, prefix)
        used, messages = render([], prefix)
        if used > self.prompt_budget:  # even without the brief's sources: the brief and the brand fill it
            kept = list(fixed)
            while kept and used > self.prompt_budget:
                kept.pop()
                used, messages = render([], prefix := blocks.brand_messages(brand, rule, kept))
            return _Fit(kept, len(ranked) + len(fixed) - len(kept), messages, prefix)
        chosen: list[Source] = []
        for source in ranked:
            trial_used, trial = render([*chosen, source], prefix)
            if trial_used <= self.prompt_budget:
                chosen, messages = [*chosen, source], trial
        return _Fit([*fixed, *chosen], len(ranked) - len(chosen), messages, prefix)

    def _generate(self, messages: list[dict[str, str]], platform: str, variant: int, *, temperature: float,
                  kind: Literal["token", "repair"] = "token"):
        started, first, pieces = time.perf_counter(), None, []
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
            required_hashtags=blocks.hashtags(brand), limit_hint=blocks.limit_hint(rule))
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


# --- helpers ------------------------------------------------------------------------------------

def _absorbed(kept: Draft, discarded: Draft) -> Draft:
    """The variant written again, with the discarded attempt's tokens, cost and time counted (they
    were spent), and its first token's time (when the person first saw text)."""
    cost = None if kept.cost_usd is None or discarded.cost_usd is None else round(kept.cost_usd + discarded.cost_usd, 6)
    return kept.model_copy(update={
        "prompt_tokens": kept.prompt_tokens + discarded.prompt_tokens, "cost_usd": cost,
        "completion_tokens": kept.completion_tokens + discarded.completion_tokens,
        "latency_ms": kept.latency_ms + discarded.latency_ms, "first_token_ms": discarded.first_token_ms,
    })


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


def _clean_output(text: str) -> str:
    """Only surrounding whitespace is removed: the draft is what the model wrote."""
    return text.strip()
