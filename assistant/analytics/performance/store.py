"""The `performance` table's one owner: storing imported measurements and reading the latest
measurement of each post (joined to the review items they belong to)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from assistant.analytics.performance.matching import Match
from assistant.analytics.performance.reading import COUNTS, PerfRow, rate
from assistant.db.engine import Database
from assistant.db.models import Item
from assistant.db.models import PerformanceRecord as PR
from assistant.text.snippets import snippet

SNIPPET_CHARS = 280


def save(db: Database, brand: str, source: str, pairs: Sequence[tuple[PerfRow, Match]],
         now: datetime) -> tuple[int, int, int]:
    """(added, updated, unchanged), in one transaction."""
    return db.write(lambda s: _store(s, brand, source, pairs, now))


def _store(s: Any, brand: str, source: str, pairs: Sequence[tuple[PerfRow, Match]],
           now: datetime) -> tuple[int, int, int]:
    keys = sorted({r.key for r, _ in pairs})
    stored: dict[str, list[PR]] = defaultdict(list)
    for i in range(0, len(keys), 500):
        for rec in s.scalars(select(PR).where(PR.brand == brand, PR.post_key.in_(keys[i:i + 500]))):
            stored[rec.post_key].append(rec)
    added = updated = unchanged = 0
    for row, m in pairs:
        engagement, eng_rate, basis = rate(row)
        figures = {**{k: getattr(row, k) for k in COUNTS}, "engagement": engagement}
        values = {**figures, "engagement_rate": eng_rate, "rate_basis": basis}
        history = sorted(stored[row.key], key=lambda r: r.measured_at)
        same_day = next((r for r in history if r.measured_at == row.measured_at), None)
        latest = history[-1] if history else None
        target = same_day or (latest if latest and all(getattr(latest, k) == v for k, v in figures.items()) else None)
        if target is None:
            rec = PR(brand=brand, platform=row.platform, post_key=row.key, url=row.url or None,
                     text_snippet=snippet(row.text, SNIPPET_CHARS) or None, measured_at=row.measured_at, posted_at=row.posted_at,
                     source_file=source, imported_at=now, item_id=m.item_id, doc_id=m.doc_id,
                     matched_by=m.matched_by, match_score=m.score, **values)
            s.add(rec)
            stored[row.key].append(rec)
            added += 1
            continue
        changes = {k: v for k, v in values.items() if getattr(target, k) != v}
        if m.matched_by and (target.item_id, target.doc_id, target.matched_by) != (m.item_id, m.doc_id, m.matched_by):
            changes |= {"item_id": m.item_id, "doc_id": m.doc_id, "matched_by": m.matched_by, "match_score": m.score}
        if changes:
            for k, v in (changes | {"imported_at": now, "source_file": source}).items():
                setattr(target, k, v)
            updated += 1
        else:
            unchanged += 1
    s.flush()
    return added, updated, unchanged


def latest(db: Database, brand: str, *, platform: str | None = None, start: datetime | None = None,
           end: datetime | None = None) -> list[dict[str, Any]]:
    """The latest measurement of each post, with its origin: `ai_assisted` (a queue item),
    `from_scratch` (a past post not from the queue) or `unmatched`. `start`/`end` filter on the
    post's date: posted_at, else the item's published_at, else measured_at (end exclusive)."""
    stmt = select(PR, Item.goal, Item.published_at).outerjoin(Item, Item.id == PR.item_id).where(PR.brand == brand)
    if platform:
        stmt = stmt.where(PR.platform == platform)
    newest: dict[str, dict[str, Any]] = {}
    for rec, goal, published_at in db.read(lambda s: s.execute(stmt.order_by(PR.measured_at)).all()):
        row = {c.key: getattr(rec, c.key) for c in PR.__table__.columns}
        row["goal"] = goal
        row["origin"] = "ai_assisted" if rec.item_id else "from_scratch" if rec.doc_id else "unmatched"
        row["post_date"] = rec.posted_at or published_at or rec.measured_at
        newest[rec.post_key] = row
    return [r for r in newest.values()
            if (start is None or r["post_date"] >= start) and (end is None or r["post_date"] < end)]
