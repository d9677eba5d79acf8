"""Post performance: platform exports in, matched to what was published, stored, ranked.

Files: Meta Business Suite (Facebook / Instagram post exports), LinkedIn page analytics (posts
or "updates" export, saved as CSV) and X analytics (tweet activity), with Italian or English
headers. Decoding and delimiter detection are `ingestion.sniff_csv`'s (UTF-8 with or without
BOM, UTF-16, cp1252; `,` `;` tab); numbers and dates are `ingestion.parse_count` / `parse_date`.
The header may follow a few preamble lines (LinkedIn's sheet title, Excel's `sep=,`). Header
names come from real exports: X "Tweet id, Tweet permalink, Tweet text, time, impressions,
engagements, engagement rate, retweets, replies, favorites/likes, url clicks..." (a tweet
activity export quoted in a public Rails spec of a `MetricFileParser`; docs.x.com "Get Post
analytics" names the same metrics); Meta "Post ID, Title,
Description, Publish time, Permalink, Post type, Views, Reach, Reactions, comments and shares,
Reactions, Comments, Shares, Total clicks" and in Italian "Titolo, Descrizione, Orario di
pubblicazione, Visualizzazioni, Copertura, Reazioni, commenti e condivisioni, Reazioni, Mi
piace, Commenti, Condivisioni" (public Business Suite importers); LinkedIn "Post title / Update
title, Post link / Update link, Created date, Impressions, Clicks, Click through rate (CTR),
Likes, Comments, Reposts, Follows, Engagement rate" (a public LinkedIn analytics dashboard).
The Italian LinkedIn names ("Titolo/Link dell'aggiornamento", "Data di creazione") are unverified.
`mapping` ({field: column}) overrides the guess. A file that fails as a whole writes nothing;
row problems are warnings naming file, row and column.

Dates: a column whose slash dates are unambiguous somewhere (13/03 or 03/13) is read in that
order for every row; otherwise day-first (Italian), with a warning when it was ambiguous.

Measures: engagement = the export's own total (X "engagements", Meta "Reactions, comments and
shares"), else likes + comments + shares + clicks (those present). engagement_rate =
engagement / impressions (views), else engagement / reach; `rate_basis` says which.
measured_at = the `measured_at` argument, else a "measured at" column, else the import day
(00:00 UTC). Idempotent: unique on (brand, post_key, measured_at); a row whose figures equal
the post's latest stored measurement is "unchanged" and adds nothing, whatever the day.

Matching, rows -> PUBLISHED queue items and the brand's past posts (Chroma `post` documents, and
`approved` exemplars of known queue items): first by URL, normalised (scheme dropped, host
lower-cased without www./m., twitter.com = x.com and X status URLs by id, trailing slash and
fragment dropped, tracking parameters utm_*, igshid, fbclid, si... removed, other parameters
kept sorted); else by text: NFKC, case-folded, URLs and punctuation removed, then
difflib.SequenceMatcher ratio >= TEXT_THRESHOLD (0.85); an export text of >= 60 characters
that a post starts with (LinkedIn titles, cut captions) is compared with that post's prefix
of the same length. Only candidates that share >= 70% of the shorter text's distinct words
are compared; past 300 targets, only the 40 sharing most distinctive words. Text matching
never pairs two posts on different platforms, nor two posts that both have URLs (different
URLs are different posts); an exact tie is left unmatched with a warning. Unmatched rows are
stored (no item, no document) and listed.

Retrieval refresh: matched documents get likes, comments, shares, impressions (else reach),
engagement (likes + 2 comments + 3 shares, as ingestion computes it, so rankings stay
comparable), engagement_rate and measured_at in their Chroma metadata, never re-embedded, and
never overwritten by an older measurement.
"""


from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from assistant.errors import IngestError
from assistant.ingestion import IngestWarning, engagement_of, read_file
from assistant.performance_models import PerformanceRecord as PR
from assistant.review_models import Item, Revision
from assistant.performance_csv import (  # noqa: F401  (re-exported: the module's public API)
    SCAN_ALL, CANDIDATES,
    TEXT_THRESHOLD, PREFIX_MIN_CHARS, SNIPPET_CHARS, HEADER_SCAN_ROWS, SHARED_WORDS,
    COUNTS, FIELDS, ALIASES, HOST_PLATFORM, HOST_ALIASES,
    TRACKING, normalize_url, normalize_for_match, similarity, platform_of_url,
    PerfRow, ParsedPerformance, guess_mapping, parse_performance_csv, rate,
)

# --- matching -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    kind: str  # "item" | "post" | "approved"
    id: Any
    platform: str
    url_key: str
    text: str  # normalised
    item_id: int | None = None


@dataclass(frozen=True)
class Match:
    item_id: int | None = None
    doc_id: str | None = None
    matched_by: str | None = None
    score: float | None = None
    doc_ids: tuple[str, ...] = ()
    ambiguous: bool = False


class _Pool:
    """Targets with an inverted index on their distinctive words: difflib runs only on the
    CANDIDATES that share the most of them (all targets when the pool is small)."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.targets = list(targets)
        self.words = [frozenset(t.text.split()) for t in self.targets]
        self.index: dict[str, list[int]] = defaultdict(list)
        frequency = Counter(w for ws in self.words for w in ws)
        for i, ws in enumerate(self.words):
            for w in ws:
                if frequency[w] <= max(5, len(self.targets) // 5):  # too common words say nothing
                    self.index[w].append(i)

    def best(self, row: PerfRow, text: str, has_url: bool) -> tuple[Target | None, float, bool]:
        words = frozenset(text.split())
        if len(self.targets) <= SCAN_ALL:
            pool = range(len(self.targets))
        else:
            pool = [i for i, _ in Counter(i for w in words for i in self.index.get(w, ())).most_common(CANDIDATES)]
        scored = []
        for i in pool:
            t, other = self.targets[i], self.words[i]
            if (row.platform and t.platform and row.platform != t.platform) or (has_url and t.url_key):
                continue
            short, long_ = sorted((len(text), len(t.text)))
            if short < PREFIX_MIN_CHARS and 2 * short / max(short + long_, 1) < TEXT_THRESHOLD:
                continue  # the ratio cannot reach the threshold
            if len(words & other) < SHARED_WORDS * min(len(words), len(other)):
                continue  # too few words in common to reach the threshold in practice
            if (score := similarity(text, t.text)) >= TEXT_THRESHOLD:
                scored.append((score, t))
        scored.sort(key=lambda st: -st[0])
        if len(scored) > 1 and scored[0][0] == scored[1][0] and scored[0][1].id != scored[1][1].id:
            return None, 0.0, True
        return (scored[0][1], scored[0][0], False) if scored else (None, 0.0, False)


class Matcher:
    def __init__(self, items: Sequence[Target], docs: Sequence[Target]) -> None:
        self.items, self.docs = _Pool(items), _Pool(docs)
        self.item_url = {t.url_key: t for t in items if t.url_key}
        self.doc_url = {t.url_key: t for t in docs if t.url_key}
        self.exemplars: dict[int, list[str]] = defaultdict(list)
        for d in docs:
            if d.kind == "approved" and d.item_id is not None:
                self.exemplars[d.item_id].append(d.id)

    def match(self, row: PerfRow) -> Match:
        key, text = normalize_url(row.url), normalize_for_match(row.text)
        item, doc = self.item_url.get(key) if key else None, self.doc_url.get(key) if key else None
        by, score, ambiguous = ("url", 1.0, False) if item or doc else (None, None, False)
        if by is None and text:
            item, s, ambiguous = self.items.best(row, text, bool(key))
            if item is None and not ambiguous:
                doc, s, ambiguous = self.docs.best(row, text, bool(key))
            if item or doc:
                by, score = "text", round(s, 4)
        item_id = item.id if item else (doc.item_id if doc else None)
        doc_ids = tuple(dict.fromkeys(([doc.id] if doc else []) + self.exemplars.get(item_id, [])))
        return Match(item_id, doc_ids[0] if doc_ids else None, by, score, doc_ids, ambiguous)


def _targets(services: Any, brand: str) -> tuple[list[Target], list[Target]]:
    """Published queue items (current text) and the brand's posts and known exemplars."""
    stmt = (select(Item.id, Item.platform, Item.published_url, Revision.text)
            .join(Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision))
            .where(Item.brand == brand, Item.state == "published"))
    items = [Target("item", i, p, normalize_url(u), normalize_for_match(t))
             for i, p, u, t in services.review._read(lambda s: s.execute(stmt).all())]
    known = set(services.review._read(lambda s: s.scalars(select(Item.id).where(Item.brand == brand)).all()))
    docs: list[Target] = []
    if services.store.has_collection(brand):  # the collection's own API: VectorStore has no text-returning read
        got = services.store.collection(brand).get(where={"kind": {"$in": ["post", "approved"]}},
                                                   include=["documents", "metadatas"])
        for doc_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
            meta = meta or {}
            item_id = int(meta["item_id"]) if str(meta.get("item_id", "")).isdigit() else None
            if meta.get("kind") == "approved" and item_id not in known:
                continue
            docs.append(Target(meta.get("kind", "post"), doc_id, meta.get("platform", ""),
                               normalize_url(meta.get("url")), normalize_for_match(text), item_id))
    return items, docs


# --- import -------------------------------------------------------------------------------------

@dataclass
class PerformanceImport:
    """What one import did."""

    brand: str
    source: str
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    mapping: dict[str, str] = field(default_factory=dict)
    measured_at: str = ""
    measured_from: str = ""  # "argument" | "column" | "import day"
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    matched_by_url: int = 0
    matched_by_text: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    refreshed_docs: int = 0  # Chroma metadata updated (no re-embedding)
    rejected: list[IngestWarning] = field(default_factory=list)
    warnings: list[IngestWarning] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rejected"], out["warnings"] = [str(w) for w in self.rejected], [str(w) for w in self.warnings]
        return out


def import_file(services: Any, brand: str, path: Path | str, **kwargs: Any) -> PerformanceImport:
    raw = read_file(Path(path), services.settings.max_upload_bytes)
    return import_bytes(services, brand, raw, Path(path).name, **kwargs)


def import_bytes(services: Any, brand: str, raw: bytes, source: str, *, platform: str | None = None,
                 mapping: Mapping[str, str] | None = None, measured_at: datetime | None = None,
                 now: datetime | None = None) -> PerformanceImport:
    """Parse, match, store (one transaction), then refresh the matched documents' metadata."""
    services.brand(brand)  # BrandNotFound before anything else
    limit = services.settings.max_upload_bytes
    if limit is not None and len(raw) > limit:
        raise IngestError(f"{source}: {len(raw) / 1e6:.1f} MB is over the {limit / 1e6:.1f} MB limit; split the "
                          "file or raise ASSISTANT_MAX_UPLOAD_MB; nothing was imported")
    parsed = parse_performance_csv(raw, source=source, platform=platform, mapping=mapping)
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if measured_at is not None and measured_at.tzinfo is None:
        raise IngestError("measured_at: give a time zone (e.g. 2026-03-31T00:00:00+00:00)")
    day = now.replace(hour=0, minute=0, second=0)
    report = PerformanceImport(brand, source, parsed.encoding, parsed.delimiter, parsed.header_row, parsed.mapping,
                               rows=len(parsed.rows), rejected=parsed.rejected, warnings=parsed.warnings)
    report.measured_from = "argument" if measured_at else "column" if "measured_at" in parsed.mapping else "import day"
    for row in parsed.rows:
        row.measured_at = (measured_at or row.measured_at or day).astimezone(timezone.utc).replace(microsecond=0)
    report.measured_at = max(r.measured_at for r in parsed.rows).isoformat()
    matcher = Matcher(*_targets(services, brand))
    pairs = [(row, matcher.match(row)) for row in parsed.rows]
    for row, m in pairs:
        report.matched_by_url += m.matched_by == "url"
        report.matched_by_text += m.matched_by == "text"
        if m.matched_by is None:
            report.unmatched.append({"row": row.row, "platform": row.platform, "url": row.url,
                                     "text": snippet(row.text, 80), "ambiguous": m.ambiguous})
        if m.ambiguous:
            report.warnings.append(IngestWarning(source, row.row, parsed.mapping.get("text"),
                                                 "the text fits two posts equally well; left unmatched"))
    report.added, report.updated, report.unchanged = services.review._write(
        lambda s: _store(s, brand, source, pairs, now))
    report.refreshed_docs = _refresh(services.store, brand, pairs)
    return report


def snippet(text: str, n: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


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
                     text_snippet=snippet(row.text) or None, measured_at=row.measured_at, posted_at=row.posted_at,
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


def _refresh(store: Any, brand: str, pairs: Sequence[tuple[PerfRow, Match]]) -> int:
    """Fresh figures into the matched documents' metadata (no re-embedding); newest measurement wins."""
    newest: dict[str, PerfRow] = {}
    for row, m in pairs:
        for doc_id in m.doc_ids:
            if doc_id not in newest or row.measured_at > newest[doc_id].measured_at:
                newest[doc_id] = row
    if not newest:
        return 0
    existing = store.existing(brand, list(newest))
    updates = {}
    for doc_id, row in newest.items():
        meta = existing.get(doc_id)
        when = row.measured_at.isoformat()
        if meta is None or str(meta.get("measured_at", "")) > when:
            continue
        fresh = {"likes": row.likes, "comments": row.comments, "shares": row.shares,
                 "impressions": row.impressions if row.impressions is not None else row.reach,
                 "engagement": engagement_of(row.likes, row.comments, row.shares),
                 "engagement_rate": rate(row)[1], "measured_at": when}
        merged = {**meta, **{k: v for k, v in fresh.items() if v is not None}}
        if merged != meta:
            updates[doc_id] = merged
    if updates:
        store.update_metadata(brand, updates)
    return len(updates)


# --- insights -----------------------------------------------------------------------------------

def latest(queue: Any, brand: str, *, platform: str | None = None, start: datetime | None = None,
           end: datetime | None = None) -> list[dict[str, Any]]:
    """The latest measurement of each post, with its origin: `ai_assisted` (a queue item),
    `from_scratch` (a past post not from the queue) or `unmatched`. `start`/`end` filter on the
    post's date: posted_at, else the item's published_at, else measured_at (end exclusive)."""
    stmt = select(PR, Item.goal, Item.published_at).outerjoin(Item, Item.id == PR.item_id).where(PR.brand == brand)
    if platform:
        stmt = stmt.where(PR.platform == platform)
    newest: dict[str, dict[str, Any]] = {}
    for rec, goal, published_at in queue._read(lambda s: s.execute(stmt.order_by(PR.measured_at)).all()):
        row = {c.key: getattr(rec, c.key) for c in PR.__table__.columns}
        row["goal"] = goal
        row["origin"] = "ai_assisted" if rec.item_id else "from_scratch" if rec.doc_id else "unmatched"
        row["post_date"] = rec.posted_at or published_at or rec.measured_at
        newest[rec.post_key] = row
    return [r for r in newest.values()
            if (start is None or r["post_date"] >= start) and (end is None or r["post_date"] < end)]


def _rank_key(r: dict[str, Any]) -> tuple:
    return (r["engagement_rate"] is None, -(r["engagement_rate"] or 0), -(r["engagement"] or 0), r["id"])


def top_posts(queue: Any, brand: str, *, platform: str | None = None, limit: int = 5,
              start: datetime | None = None, end: datetime | None = None) -> list[dict[str, Any]]:
    """Best posts per platform by engagement rate (then engagement), with the platform's sample size."""
    by_platform: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in latest(queue, brand, platform=platform, start=start, end=end):
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


def ai_vs_scratch(queue: Any, brand: str, *, platform: str | None = None, start: datetime | None = None,
                  end: datetime | None = None, per_platform: bool = False) -> list[dict[str, Any]]:
    """AI-assisted (queue items) against written from scratch (past posts not from the queue)."""
    rows = [r for r in latest(queue, brand, platform=platform, start=start, end=end) if r["origin"] != "unmatched"]
    return summarize(rows, ("platform", "origin") if per_platform else ("origin",))


def by_goal(queue: Any, brand: str, *, start: datetime | None = None,
            end: datetime | None = None) -> list[dict[str, Any]]:
    """AI-assisted posts by the goal of their brief. (Pillars are not reported: no item records
    one, and guessing them from keywords would be noise.)"""
    rows = [r for r in latest(queue, brand, start=start, end=end) if r["origin"] == "ai_assisted"]
    return summarize(rows, ("goal",))
