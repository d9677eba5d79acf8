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
order for every row; otherwise day-first (Italian), with a warning when it was ambiguous. A date
without an offset is a wall-clock time in the brand's time zone (DST included; `zone="UTC"` when the
export says so), stored in UTC; a date with an offset keeps it.

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

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.analytics.performance.matching import (Match, Matcher, Target, normalize_for_match, normalize_url,
                                                      platform_of_url, similarity)
from assistant.analytics.performance.ranking import ai_vs_scratch, summarize, top_posts
from assistant.analytics.performance.reading import (PerfRow, guess_mapping, parse_performance_csv, rate)
from assistant.analytics.performance.store import latest, save
from assistant.knowledge.files import FileError, IngestWarning, check_size, read_file
from assistant.knowledge.parsing import engagement_of
from assistant.text.snippets import snippet

__all__ = ["PerformanceImport", "ai_vs_scratch", "guess_mapping", "import_bytes", "import_file", "latest", "refresh_items",
           "normalize_for_match", "normalize_url", "parse_performance_csv", "platform_of_url", "rate", "similarity",
           "summarize", "top_posts"]


def _targets(services: Any, brand: str) -> tuple[list[Target], list[Target]]:
    """Published queue items (current text) and the brand's posts and known exemplars."""
    items = [Target("item", p.item_id, p.platform, normalize_url(p.url), normalize_for_match(p.text))
             for p in services.review.published(brand)]
    known = services.review.item_ids(brand)
    docs: list[Target] = []
    for doc in services.knowledge.record.documents(brand, kinds=["post", "approved"]):
        meta = doc.metadata
        item_id = int(meta["item_id"]) if str(meta.get("item_id", "")).isdigit() else None
        if doc.kind == "approved" and item_id not in known:
            continue
        docs.append(Target(doc.kind, doc.id, meta.get("platform", ""), normalize_url(meta.get("url")),
                           normalize_for_match(doc.text), item_id))
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
                 now: datetime | None = None, by: Any = None, zone: str | None = None) -> PerformanceImport:
    """Parse, match, store (one transaction), then refresh the matched documents' metadata. With
    `by` (an `accounts.Actor`), they must hold a role with library uploads on the brand. Dates
    without an offset are read in `zone`, by default the brand's time zone ("UTC" to say so)."""
    if by is not None:
        from assistant.accounts.permissions import require

        require(by, "library", brand)
    profile = services.brand(brand).profile  # BrandNotFound before anything else
    check_size(len(raw), services.settings.max_upload_bytes, source, "imported")
    parsed = parse_performance_csv(raw, source=source, platform=platform, mapping=mapping,
                                   zone=zone or profile.timezone)
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if measured_at is not None and measured_at.tzinfo is None:
        raise FileError("measured_at: give a time zone (e.g. 2026-03-31T00:00:00+00:00)", code="measured_at_zone")
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
                                                 "the text fits two posts equally well; left unmatched",
                                                 "ambiguous_text"))
    report.added, report.updated, report.unchanged = save(services.review, brand, source, pairs, now)
    report.refreshed_docs = _refresh(services.knowledge, brand, pairs)
    return report


def refresh_items(services: Any, brand: str, rows: Sequence[tuple[PerfRow, int]]) -> int:
    """Figures measured for published items (`rows`: the row and its item id, e.g. read back from
    the network by the publishing worker) into the metadata of the exemplars those items became,
    as an import does, so that retrieval ranks them by them. Returns the documents refreshed."""
    items = {item_id for _, item_id in rows}
    exemplars: dict[int, list[str]] = {}
    for doc in services.knowledge.record.documents(brand, kinds=["approved"]):
        item_id = str(doc.metadata.get("item_id", ""))
        if item_id.isdigit() and int(item_id) in items:
            exemplars.setdefault(int(item_id), []).append(doc.id)
    pairs = [(row, Match(item_id=item_id, matched_by="url", score=1.0, doc_ids=tuple(exemplars.get(item_id, ()))))
             for row, item_id in rows]
    return _refresh(services.knowledge, brand, pairs)


def _refresh(knowledge: Any, brand: str, pairs: Sequence[tuple[PerfRow, Match]]) -> int:
    """Fresh figures into the matched documents' metadata (no re-embedding); newest measurement wins."""
    newest: dict[str, PerfRow] = {}
    for row, m in pairs:
        for doc_id in m.doc_ids:
            if doc_id not in newest or row.measured_at > newest[doc_id].measured_at:
                newest[doc_id] = row
    if not newest:
        return 0
    existing = knowledge.record.existing(brand, list(newest))
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
        knowledge.update_metadata(brand, updates)
    return len(updates)
