"""The month's measured posts from every source Copydesk holds, each post counted once.

Sources:

- the brand library: the knowledge base's `post` documents (posts.csv) that carry figures (likes,
  comments, shares or impressions), dated by their `posted_at`;
- imported performance rows (`performance.latest`: the latest measurement of each exported post);
- published queue items, whose figures are the imported rows matched to them.

One post, one row: an imported row matched to a queue item belongs to that item, one matched to a
library post belongs to that post (`analytics/performance/matching.py` decided which), and of
several rows for the same post only the newest measurement counts. A library post that an import
measured takes the import's figures (measured later, with reach and the export's own totals);
its date stays the library's when the export gives none. Approved exemplars are not a source of
their own: their figures are copies of the imported rows matched to their items.

A library post's engagement is likes + comments + shares (the figures present), its rate that over
its impressions: what `performance.rate` computes for an export without its own total.

Every post is one of (`kind`): `library` (a post of the brand library), `published` (a queue item
published with Copydesk) or `imported` (an imported row matched to neither); `merged` counts the
imported rows that were counted with a library post or an item instead of on their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.analytics import performance
from assistant.knowledge.parsing import posted_time

FIGURES = ("likes", "comments", "shares", "impressions")
KIND_ORIGIN = {"published": "ai_assisted", "library": "from_scratch", "imported": "unmatched"}


@dataclass
class Measured:
    """The month's posts (one row each, in the shape `performance.summarize` reads) and where they came from."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    merged: int = 0

    def count(self, kind: str) -> int:
        return sum(r["kind"] == kind for r in self.rows)



def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def library_row(doc: Any) -> dict[str, Any] | None:
    """A library post as a measured row (None: no figures)."""
    meta = doc.metadata
    counts = {k: _count(meta.get(k)) for k in FIGURES}
    if all(v is None for v in counts.values()):
        return None
    parts = [counts[k] for k in ("likes", "comments", "shares") if counts[k] is not None]
    engagement = sum(parts) if parts else None
    impressions = counts["impressions"]
    rated = engagement is not None and bool(impressions)
    return {"kind": "library", "figures": "library", "platform": meta.get("platform") or "", "doc_id": doc.id,
            "item_id": None, "text": doc.text, "url": meta.get("url"), "post_date": posted_time(meta),
            "impressions": impressions, "reach": None, "engagement": engagement,
            "engagement_rate": round(engagement / impressions, 6) if rated else None,
            "rate_basis": "impressions" if rated else None, "measured_at": None}


def _imported_row(rec: dict[str, Any], docs: dict[str, Any]) -> dict[str, Any]:
    """An imported row as a measured row; a library post's date, text and URL fill what the export lacks."""
    kind = "published" if rec["item_id"] else "library" if rec["doc_id"] else "imported"
    doc = docs.get(rec["doc_id"]) if kind == "library" else None
    meta = doc.metadata if doc is not None else {}
    date = rec["posted_at"] or posted_time(meta) or rec["post_date"]
    return {"kind": kind, "figures": "import", "platform": rec["platform"], "doc_id": rec["doc_id"],
            "item_id": rec["item_id"], "text": rec["text_snippet"] or (doc.text if doc is not None else None),
            "url": rec["url"] or meta.get("url"), "post_date": date,
            **{k: rec[k] for k in ("impressions", "reach", "engagement", "engagement_rate", "rate_basis",
                                   "measured_at")}}


def _identity(rec: dict[str, Any]) -> tuple[str, Any]:
    if rec["item_id"]:
        return "item", rec["item_id"]
    if rec["doc_id"]:
        return "doc", rec["doc_id"]
    return "row", rec["post_key"]


def measured_posts(services: Any, brand: str, start: datetime, end: datetime) -> Measured:
    """Every post dated in [start, end) with figures, once (see the module docstring)."""
    docs = {d.id: d for d in services.knowledge.record.documents(brand, kinds=["post"])}
    posts: dict[tuple[str, Any], dict[str, Any]] = {("doc", i): r for i, d in docs.items()
                                                    if (r := library_row(d)) is not None}
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
    for rec in performance.latest(services.review, brand):
        groups[_identity(rec)].append(rec)
    merged: dict[tuple[str, Any], int] = {}  # rows counted with a library post or an item, not on their own
    for key, recs in groups.items():
        newest = max(recs, key=lambda r: (r["measured_at"], r["id"]))
        posts[key] = _imported_row(newest, docs)
        merged[key] = 0 if key[0] == "row" else len(recs)
    out = Measured()
    for key, row in sorted(posts.items(), key=lambda kv: str(kv[0])):
        if row["post_date"] is not None and start <= row["post_date"] < end:
            row["origin"] = KIND_ORIGIN[row["kind"]]
            out.rows.append(row)
            out.merged += merged.get(key, 0)
    return out


def _rank_key(r: dict[str, Any]) -> tuple:
    return (r["engagement_rate"] is None, -(r["engagement_rate"] or 0), -(r["engagement"] or 0), str(r["post_date"]))


def top_posts(rows: list[dict[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    """The best `limit` posts of each platform by engagement rate (then engagement), with the sample size."""
    by_platform: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_platform[r["platform"]].append(r)
    return [{**r, "rank": rank, "sample_size": len(group)}
            for _, group in sorted(by_platform.items())
            for rank, r in enumerate(sorted(group, key=_rank_key)[:limit], start=1)]
