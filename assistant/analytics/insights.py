"""Insights: the numbers behind the charts, from the review queue. Plain rows (list of dicts), so
that the UI can chart them and offer each table as CSV. Definitions follow `review_metrics`:
approval rate = approved / decided (approved + rejected); share of AI text kept = words of v0
kept in the approved text / words of v0, pooled over items; time to approval from first submit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from statistics import median
from typing import Any

from assistant.review.queries import Fact, ReviewReader


def facts(queue: ReviewReader, *, brand: str | None = None, actor: Any = None) -> list[Fact]:
    """Every item with its v0's provenance and the whole cost of its AI revisions (with `actor`:
    of the brands where they may see costs)."""
    return queue.facts(brand=brand, actor=actor)


def _group(rows: Iterable[Fact], key: Callable[[Fact], Any]) -> dict[Any, list[Fact]]:
    out: dict[Any, list[Fact]] = defaultdict(list)
    for f in rows:
        out[key(f)].append(f)
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def overall(rows: list[Fact]) -> dict[str, Any]:
    """Items, decided, approved, approval rate and AI text kept over all of `rows` (one group)."""
    return _rates(rows)


def _rates(group: list[Fact]) -> dict[str, Any]:
    decided = [f for f in group if f.decided]
    approved = [f for f in group if f.approved]
    kept = [f for f in approved if f.words_v0]
    v0_words = sum(f.words_v0 or 0 for f in kept)
    return {
        "items": len(group), "decided": len(decided), "approved": len(approved),
        "approval_rate": round(len(approved) / len(decided), 4) if decided else None,
        "ai_text_kept": round(sum(f.kept_words or 0 for f in kept) / v0_words, 4) if v0_words else None,
    }


def by_platform(rows: list[Fact]) -> list[dict[str, Any]]:
    return [{"platform": p, **_rates(g)} for p, g in _group(rows, lambda f: f.platform).items()]


def over_time(rows: list[Fact]) -> list[dict[str, Any]]:
    """Per ISO week of creation."""
    def week(f: Fact) -> str:
        year, number, _ = f.created_at.isocalendar()
        return f"{year}-W{number:02d}"

    return [{"week": w, **_rates(g)} for w, g in _group(rows, week).items()]


def time_to_approval(rows: list[Fact]) -> list[dict[str, Any]]:
    out = []
    for p, g in _group([f for f in rows if f.seconds_to_approval is not None], lambda f: f.platform).items():
        seconds = [f.seconds_to_approval for f in g]
        out.append({"platform": p, "approved": len(g), "median_seconds": median(seconds),
                    "mean_seconds": sum(seconds) / len(seconds), "median_hours": round(median(seconds) / 3600, 2),
                    "mean_hours": round(sum(seconds) / len(seconds) / 3600, 2)})
    return out


def by_model(rows: list[Fact]) -> list[dict[str, Any]]:
    return [{"provider": prov, "model": model, "prompt_version": pv, **_rates(g)}
            for (prov, model, pv), g in _group(rows, lambda f: (f.provider or "", f.model or "",
                                                                 f.prompt_version or "")).items()]


def cost_by_month(rows: list[Fact]) -> list[dict[str, Any]]:
    out = []
    for (brand, month), g in _group(rows, lambda f: (f.brand, f.created_at.strftime("%Y-%m"))).items():
        out.append({"brand": brand, "month": month, "drafts": len(g), "cost_usd": round(sum(f.cost_usd for f in g), 6),
                    "tokens": sum(f.prompt_tokens + f.completion_tokens for f in g)})
    return out
