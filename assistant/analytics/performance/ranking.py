"""Ranking and summarising measured posts: top posts per platform, AI-assisted against written
from scratch. Pure over the rows `store.latest` returns."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from assistant.analytics.performance.store import latest
from assistant.db.engine import Database


def _rank_key(r: dict[str, Any]) -> tuple:
    return (r["engagement_rate"] is None, -(r["engagement_rate"] or 0), -(r["engagement"] or 0), r["id"])


def top_posts(db: Database, brand: str, *, platform: str | None = None, limit: int = 5,
              start: datetime | None = None, end: datetime | None = None) -> list[dict[str, Any]]:
    """Best posts per platform by engagement rate (then engagement), with the platform's sample size."""
    by_platform: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in latest(db, brand, platform=platform, start=start, end=end):
        by_platform[r["platform"]].append(r)
    out = []
    for plat, rows in sorted(by_platform.items()):
        for rank, r in enumerate(sorted(rows, key=_rank_key)[:limit], start=1):
            out.append({"platform": plat, "rank": rank, "sample_size": len(rows), "origin": r["origin"],
                        "text": r["text_snippet"], "url": r["url"], "posted_at": r["posted_at"],
                        "measured_at": r["measured_at"], "impressions": r["impressions"], "reach": r["reach"],
                        "engagement": r["engagement"], "engagement_rate": r["engagement_rate"],
                        "rate_basis": r["rate_basis"], "item_id": r["item_id"], "doc_id": r["doc_id"]})
    return out


def summarize(rows: Iterable[dict[str, Any]], group_by: Sequence[str] = ("origin",)) -> list[dict[str, Any]]:
    """Per group: posts (sample size), posts with a rate, mean and median rate, pooled rate
    (sum of engagement / sum of the rate's denominators), total impressions, reach, engagement
    (None when no post of the group reports it)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[tuple(r.get(k) for k in group_by)].append(r)
    out = []
    for key, g in sorted(groups.items(), key=lambda kv: tuple(str(v) for v in kv[0])):
        rated = [r for r in g if r["engagement_rate"] is not None]
        rates = [r["engagement_rate"] for r in rated]
        denominator = sum(r[r["rate_basis"]] for r in rated)
        out.append({**dict(zip(group_by, key)), "posts": len(g), "rated_posts": len(rated),
                    "mean_rate": round(statistics.fmean(rates), 6) if rates else None,
                    "median_rate": round(statistics.median(rates), 6) if rates else None,
                    "pooled_rate": round(sum(r["engagement"] for r in rated) / denominator, 6) if denominator else None,
                    **{k: _total(r[k] for r in g) for k in ("impressions", "reach", "engagement")}})
    return out


def _total(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def ai_vs_scratch(db: Database, brand: str, *, platform: str | None = None, start: datetime | None = None,
                  end: datetime | None = None, per_platform: bool = False) -> list[dict[str, Any]]:
    """AI-assisted (queue items) against written from scratch (past posts not from the queue)."""
    rows = [r for r in latest(db, brand, platform=platform, start=start, end=end) if r["origin"] != "unmatched"]
    return summarize(rows, ("platform", "origin") if per_platform else ("origin",))
