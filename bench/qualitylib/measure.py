"""What the harness measures on one finished draft, as one flat JSON-ready record.

Everything is computed with the project's own public functions, so the harness judges a draft the
way the app does: `platforms.validate` and `guards.echoes` (the checks the drafter runs),
`platforms.count` (the platform's own counting), `language.detect` (the detector the checks use)
and `platforms.find_phrases` (the banned-word matcher, reused for the phrases a brief expects).
The voice score comes from `services.voice` when that package exists; until then, or for a brand
without a voice model, the record says why there is no score instead of inventing one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from assistant import platforms
from assistant.brands import BrandProfile
from assistant.drafting import guards
from assistant.drafting.schemas import Draft
from assistant.text import language
from bench.qualitylib.briefs import Brief, Norm

TABLE_NORM_SOURCE = "platform table: see_more_at (assistant/platforms/rules.py)"


class VoiceScorer:
    """`services.voice.score(slug, text) -> VoiceScore | None`, looked up on first use.

    The voice package is written at the same time as this harness: when `services.voice` is not
    there (no attribute, or its import fails) every score is None with that reason, and the run
    goes on. A scorer that raises is reported per draft, never fatal to the run."""

    def __init__(self, services: Any) -> None:
        self._services = services
        self._scorer: Any = None
        self._missing: str | None = None
        self._looked_up = False

    def _lookup(self) -> Any:
        if not self._looked_up:
            self._looked_up = True
            try:
                self._scorer = self._services.voice
            except (AttributeError, ImportError) as exc:
                self._missing = f"voice scoring not available yet (services.voice: {type(exc).__name__})"
        return self._scorer

    def score(self, slug: str, text: str) -> dict[str, Any]:
        scorer = self._lookup()
        if scorer is None:
            return {"score": None, "brand_median": None, "reason": self._missing}
        try:
            found = scorer.score(slug, text)
        except Exception as exc:  # noqa: BLE001 - a scorer's failure is reported per draft, never fatal
            return {"score": None, "brand_median": None, "reason": f"voice scoring failed: {type(exc).__name__}: {exc}"}
        if found is None:
            return {"score": None, "brand_median": None, "reason": f"no voice model for brand '{slug}'"}
        median = getattr(found, "brand_median", None)
        return {"score": round(float(found.score), 1),
                "brand_median": None if median is None else round(float(median), 1), "reason": None}


@dataclass
class Context:
    """What measuring needs from the run: the platform table, the norms, brands, the voice."""

    rules: dict[str, platforms.PlatformRule]
    norms: dict[str, Norm]
    profile: Callable[[str], BrandProfile]
    voice: VoiceScorer


def summarize(violations: Iterable[platforms.Violation]) -> dict[str, Any]:
    """Codes in text order (repeated when a rule is broken twice) and the counts by severity."""
    found = list(violations)
    return {"codes": [v.code for v in found], "errors": sum(v.severity == "error" for v in found),
            "warnings": sum(v.severity == "warning" for v in found)}


def violations_before(draft: Draft, ctx: Context) -> list[platforms.Violation]:
    """The checks of what the model wrote first. A kept repair leaves that text in
    `first_attempt`, checked again here exactly as the drafter checks; otherwise the draft's text
    is the first attempt and its violations are the ones before (and after)."""
    if not draft.repaired or draft.first_attempt is None:
        return list(draft.violations)
    exemplars = [s.text for s in draft.sources if s.kind != "guideline"]
    return [*platforms.validate(draft.first_attempt, draft.platform, ctx.profile(draft.brand),
                                expected_language=draft.language, rules=ctx.rules),
            *guards.echoes(draft.first_attempt, exemplars)]


def length(text: str, platform: str, ctx: Context) -> dict[str, Any]:
    """The length as the platform counts it, against its limit and its norm (the table's "see
    more" cut when it has one, else the data file's norm)."""
    rule = ctx.rules[platform]
    count = platforms.count(text, platform, ctx.rules)
    if rule.see_more_at:
        norm, source = rule.see_more_at, TABLE_NORM_SOURCE
    elif platform in ctx.norms:
        norm, source = ctx.norms[platform].chars, ctx.norms[platform].source
    else:
        norm, source = None, None
    return {"count": count, "counting": rule.counting, "limit": rule.limit, "over_limit": count > rule.limit,
            "norm": norm, "norm_source": source, "over_norm": None if norm is None else count > norm,
            "norm_ratio": None if norm is None else round(count / norm, 3)}


def mentions(text: str, expected: list[str]) -> dict[str, Any]:
    found = {phrase for phrase, _, _ in platforms.find_phrases(text, expected)}
    return {"expected": len(expected), "found": sum(p in found for p in expected),
            "missing": [p for p in expected if p not in found]}


def measure(draft: Draft, brief: Brief, ctx: Context) -> dict[str, Any]:
    """One draft's record (see bench/quality.py's docstring for the fields)."""
    before, after = summarize(violations_before(draft, ctx)), summarize(draft.violations)
    detected = language.detect(draft.text)
    return {
        "brief_id": brief.id, "brand": draft.brand, "platform": draft.platform, "variant": draft.variant,
        "goal": draft.goal, "hard": list(brief.hard),
        "language_asked": brief.language, "language_detected": detected,
        "language_ok": None if detected is None else detected == brief.language,
        "violations_before": before, "violations_after": after,
        "repair_attempted": draft.repair_attempted, "repaired": draft.repaired,
        "complete": draft.complete, "incomplete": draft.incomplete,
        "prompt_echo": "prompt_echo" in after["codes"], "copied_exemplar": "copied_exemplar" in after["codes"],
        "prompt_echo_before": "prompt_echo" in before["codes"],
        "copied_exemplar_before": "copied_exemplar" in before["codes"],
        "voice": ctx.voice.score(draft.brand, draft.text),
        "length": length(draft.text, draft.platform, ctx),
        "mentions": mentions(draft.text, brief.must_mention),
        "first_token_ms": draft.first_token_ms, "latency_ms": draft.latency_ms,
        "prompt_tokens": draft.prompt_tokens, "completion_tokens": draft.completion_tokens,
        "tokens_estimated": draft.tokens_estimated, "cost_usd": draft.cost_usd,
        "provider": draft.provider, "model": draft.model, "prompt_version": draft.prompt_version,
        "sources": len(draft.sources), "trimmed_sources": draft.trimmed_sources,
        "angle": draft.angle,
        # The drafter's own mark on a variant it found (nearly) the same as an earlier one, and
        # the exact repeat of an earlier variant's text (set by mark_identical once all are in).
        "same_as_variant": next((v.params.get("variant") for v in draft.violations if v.code == "same_as_variant"),
                                None),
        "identical_to_variant": None,
        "text": draft.text, "first_attempt": draft.first_attempt,
    }


def mark_identical(rows: list[dict[str, Any]]) -> None:
    """`identical_to_variant`: the first earlier variant of the same brief and platform whose text
    is exactly the same (variants are drafted with different angles and temperatures: identical
    ones mean the model ignored both)."""
    first_seen: dict[tuple[str, str, str], int] = {}
    for row in sorted(rows, key=lambda r: (r["brief_id"], r["platform"], r["variant"])):
        key = (row["brief_id"], row["platform"], row["text"])
        if key in first_seen:
            row["identical_to_variant"] = first_seen[key]
        else:
            first_seen[key] = row["variant"]
