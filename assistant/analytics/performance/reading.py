"""Reading platform performance exports (Meta Business Suite, LinkedIn, X): headers in Italian or
English; decoding, dialect and column guessing are `knowledge.files`'s (one copy). Sources of
the header names are in the package docstring."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from assistant.analytics.performance.matching import normalize_for_match, normalize_url, platform_of_url
from assistant.knowledge.files import (FileError, IngestWarning, guess_columns, header_key, parse_count, parse_date, read_rows,
                                       sniff_csv, zone_info)
from assistant.knowledge.parsing import content_id
from assistant.platforms.rules import normalize_platform

HEADER_SCAN_ROWS = 6
COUNTS = ("likes", "comments", "shares", "clicks", "impressions", "reach", "engagement")
FIELDS = ("text", "title", "url", "posted_at", "measured_at", "platform", *COUNTS)
ALIASES: dict[str, tuple[str, ...]] = {  # header names, lower case; first found wins
    "text": ("tweet text", "post text", "text", "testo", "description", "descrizione", "post message", "message",
             "messaggio", "caption", "didascalia", "content", "contenuto", "update title", "post title",
             "titolo del post", "titolo dell'aggiornamento"),
    "title": ("title", "titolo"),
    "url": ("tweet permalink", "permalink", "update link", "post link", "link al post", "link del post",
            "link dell'aggiornamento", "post url", "url", "link"),
    "posted_at": ("publish time", "orario di pubblicazione", "data di pubblicazione", "created date",
                  "data di creazione", "time", "posted at", "posted", "published at", "date posted", "date", "data"),
    "measured_at": ("measured at", "data di misurazione", "data rilevazione", "as of", "snapshot date"),
    "platform": ("platform", "piattaforma", "network", "social", "channel", "canale"),
    "likes": ("likes", "like", "mi piace", "reactions", "reazioni", "favorites", "favourites"),
    "comments": ("comments", "commenti", "replies", "risposte"),
    "shares": ("shares", "condivisioni", "retweets", "reposts", "repost", "diffusioni"),
    "clicks": ("clicks", "clic", "total clicks", "clic totali", "link clicks", "clic sul link", "url clicks"),
    "impressions": ("impressions", "impressioni", "views", "visualizzazioni"),
    "reach": ("reach", "copertura", "persone raggiunte"),
    "engagement": ("engagements", "engagement", "interazioni", "reactions, comments and shares",
                   "reazioni, commenti e condivisioni", "interactions"),
}
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


# --- parsing ------------------------------------------------------------------------------------

@dataclass
class PerfRow:
    row: int
    platform: str
    url: str
    text: str
    posted_at: datetime | None = None
    measured_at: datetime | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    clicks: int | None = None
    impressions: int | None = None
    reach: int | None = None
    engagement: int | None = None

    @property
    def key(self) -> str:
        if url := normalize_url(self.url):
            return content_id("perf", "url", url)
        return content_id("perf", "text", self.platform, normalize_for_match(self.text))


@dataclass
class ParsedPerformance:
    source: str
    encoding: str
    delimiter: str
    header: list[str]
    header_row: int
    mapping: dict[str, str]
    rows: list[PerfRow] = field(default_factory=list)
    rejected: list[IngestWarning] = field(default_factory=list)
    warnings: list[IngestWarning] = field(default_factory=list)


def guess_mapping(header: Sequence[str]) -> dict[str, str]:
    return guess_columns(header, ALIASES)


def _header_platform(header: Sequence[str]) -> str:
    keys = {header_key(h) for h in header}
    if keys & {"tweet permalink", "tweet text", "tweet id"}:
        return "x"
    if keys & {"update link", "update title", "post link", "link dell'aggiornamento"}:
        return "linkedin"
    return ""


def _date_order(values: Iterable[str]) -> tuple[str, bool]:
    """('dmy' | 'mdy', ambiguous) for the slash dates of one column."""
    pairs = [(int(m.group(1)), int(m.group(3))) for v in values if (m := _SLASH_DATE.match(v))]
    if any(a > 12 for a, _ in pairs):
        return "dmy", False
    if any(b > 12 for _, b in pairs):
        return "mdy", False
    return "dmy", any(a != b for a, b in pairs)


def _date(value: str, order: str, zone: tzinfo) -> datetime | None:
    if order == "mdy" and not re.search(r"[AaPp][Mm]\s*$", value):  # parse_date reads AM/PM dates month-first
        value = _SLASH_DATE.sub(lambda m: f"{m.group(3)}/{m.group(1)}/{m.group(4)}", value, count=1)
    return parse_date(value, zone)


def parse_performance_csv(raw: bytes, *, source: str, platform: str | None = None,
                          mapping: Mapping[str, str] | None = None, zone: str | None = None) -> ParsedPerformance:
    """Parse a performance export (pure). Raises IngestError when the file is unusable as a whole.
    Dates without an offset are wall-clock times in `zone` (the brand's IANA zone; None: UTC)."""
    tz = zone_info(zone)
    sniffed = sniff_csv(raw, source)
    table = read_rows(sniffed, source, "imported")
    idx, header = _header_row(table, sniffed.header, source, mapping)
    guessed = _columns(header, source, mapping)
    col = {f: header.index(c) for f, c in guessed.items()}
    body = [(n, r) for n, r in enumerate(table[idx + 1:], start=idx + 2) if any(c.strip() for c in r)]
    out = ParsedPerformance(source, sniffed.encoding, sniffed.delimiter, header, idx + 1, dict(guessed))
    orders = _date_orders(out, body, col)
    default_platform = normalize_platform(platform or "") or _header_platform(header)
    seen: dict[str, int] = {}
    for n, r in body:
        row = _read_row(out, n, r, col, orders, default_platform, tz)
        if row is None:
            continue
        if row.key in seen:
            out.warnings.append(IngestWarning(source, n, guessed.get("url") or guessed.get("text"),
                                              f"same post as row {seen[row.key]}; kept once", "same_post",
                                              {"row": seen[row.key]}))
            continue
        seen[row.key] = n
        out.rows.append(row)
    if not out.rows:
        reasons = "; ".join(str(w) for w in out.rejected[:3]) or "only a header row"
        raise FileError(f"{source}: no usable row ({reasons}); nothing was imported", code="no_rows", file=source,
                          details=out.rejected[:3])
    return out


def _header_row(table: list[list[str]], sniffed_header: Sequence[str], source: str,
                mapping: Mapping[str, str] | None) -> tuple[int, list[str]]:
    """(index, cells) of the header among the first rows: the one naming the mapping's columns, or else
    the one with the most known column names."""
    candidates = [(i, [c.strip() for c in r]) for i, r in enumerate(table[:HEADER_SCAN_ROWS])]
    if mapping:
        found = [(i, h) for i, h in candidates if set(mapping.values()) <= set(h)]
        if not found:
            raise FileError(f"{source}: the mapping names column(s) {', '.join(map(repr, mapping.values()))} "
                              f"that are not in the header ({', '.join(map(repr, sniffed_header))})",
                              code="mapping_columns", file=source, columns=", ".join(map(repr, mapping.values())),
                              header=", ".join(map(repr, sniffed_header)))
        unknown = set(mapping) - set(FIELDS)
        if unknown:
            raise FileError(f"{source}: unknown field(s) in the mapping: {', '.join(sorted(unknown))} "
                              f"(valid: {', '.join(FIELDS)})", code="unknown_fields", file=source,
                              fields=", ".join(sorted(unknown)), valid=", ".join(FIELDS))
        candidates = found[:1]
    return max(candidates, key=lambda c: (len(guess_mapping(c[1])), -c[0]), default=(0, []))


def _columns(header: list[str], source: str, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """field -> column: the guessed ones, overridden by the mapping; an identity and a figure are required."""
    guessed = {k: v for k, v in guess_mapping(header).items() if v not in (mapping or {}).values()}
    guessed.update(mapping or {})
    if not ({"url", "text"} & set(guessed)):
        raise FileError(f"{source}: no post link or text column among {', '.join(map(repr, header))}; pass a "
                          "mapping such as url=<link column> or text=<text column>; nothing was imported",
                          code="no_identity_column", file=source, header=", ".join(map(repr, header)))
    if not (set(COUNTS) & set(guessed)):
        raise FileError(f"{source}: no figures (impressions, reach, likes, comments, shares, clicks, engagements) "
                          "among the columns; pass a mapping such as likes=<column>; nothing was imported",
                          code="no_figures", file=source, header=", ".join(map(repr, header)))
    return guessed


def _cell(r: list[str], col: Mapping[str, int], f: str) -> str:
    return r[col[f]].strip() if f in col and col[f] < len(r) else ""


def _date_orders(out: ParsedPerformance, body: list[tuple[int, list[str]]], col: Mapping[str, int]) -> dict[str, str]:
    """The day/month order of each date column (warning on `out` when it is ambiguous)."""
    orders = {}
    for f in ("posted_at", "measured_at"):
        orders[f], ambiguous = _date_order(_cell(r, col, f) for _, r in body)
        if ambiguous:
            out.warnings.append(IngestWarning(out.source, None, out.mapping[f], "dates like 03/04 are ambiguous here: "
                                              "read as day/month; use ISO dates (2026-04-03) if they are month/day",
                                              "ambiguous_dates"))
    return orders


def _read_row(out: ParsedPerformance, n: int, r: list[str], col: Mapping[str, int], orders: Mapping[str, str],
              default_platform: str, zone: tzinfo) -> PerfRow | None:
    """One body row as a PerfRow (None, with a rejection on `out`, when the post cannot be identified)."""
    source, guessed = out.source, out.mapping
    text = _cell(r, col, "text")
    if len(_cell(r, col, "title")) > len(text):
        text = _cell(r, col, "title")
    url = _cell(r, col, "url")
    if not text and not url:
        out.rejected.append(IngestWarning(source, n, guessed.get("url") or guessed.get("text"),
                                          "no link and no text: the post cannot be identified, row skipped",
                                          "no_identity"))
        return None
    plat = normalize_platform(_cell(r, col, "platform")) or platform_of_url(url) or default_platform
    if not plat:
        out.rejected.append(IngestWarning(source, n, guessed.get("url"), "unknown platform; pass --platform",
                                          "row_platform"))
        return None
    row = PerfRow(row=n, platform=plat, url=url, text=text)
    for f in ("posted_at", "measured_at"):
        if value := _cell(r, col, f):
            when = _date(value, orders[f], zone)
            if when is None:
                out.warnings.append(IngestWarning(source, n, guessed[f], f"unparseable date {value!r}; left empty",
                                                  "bad_date_empty", {"value": value}))
            setattr(row, f, when)
    for f in COUNTS:
        value = _cell(r, col, f)
        try:
            setattr(row, f, parse_count(value))
        except ValueError:
            out.warnings.append(IngestWarning(source, n, guessed[f], f"{value!r} is not a number; left empty",
                                              "not_a_number", {"value": value}))
    return row


def rate(row: PerfRow) -> tuple[int | None, float | None, str | None]:
    """(engagement, engagement_rate, basis): see the module docstring."""
    parts = [v for v in (row.likes, row.comments, row.shares, row.clicks) if v is not None]
    engagement = row.engagement if row.engagement is not None else (sum(parts) if parts else None)
    if engagement is None:
        return None, None, None
    for basis in ("impressions", "reach"):
        if denominator := getattr(row, basis):
            return engagement, round(engagement / denominator, 6), basis
    return engagement, None, None


