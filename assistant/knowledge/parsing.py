"""Turn real-world files into knowledge documents with metadata. Pure: no store, no network.

Posts CSV: decoding and the CSV dialect are `files`'s; columns are mapped case-insensitively
from common names, and an explicit mapping overrides the guess. Dates without an offset are read
in the zone the caller gives (the brand's; UTC when none) and stored in UTC; a file with no
platform column takes the platform the person names (or `MIXED`: left empty).
Guidelines: Markdown or text, split by headings, then by a token budget, keeping the heading path.

A file that cannot be read as a whole raises `FileError`, an `IngestError` (nothing from it is kept); a row
that cannot be used is rejected with a warning that names the file, the row and the column.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from assistant.knowledge.files import (FileError, IngestWarning, SniffedCSV, decode_bytes, duplicate_header_warnings, guess_columns,
                                       parse_count, parse_date, read_rows, sniff_csv, zone_info)
from assistant.platforms.rules import PLATFORMS, normalize_platform

# Bump when the document layout, ids or values change: brand folders are read again. 2: dates
# without an offset are read in the brand's time zone (they were read as UTC).
INGESTION_VERSION = 2
MIXED = "mixed"  # the platform chosen for a file whose posts are from several or unknown platforms

POST_FIELDS = ("text", "posted_at", "platform", "likes", "shares", "comments", "impressions", "url", "language")
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "message", "caption", "content", "post", "testo", "body", "messaggio", "contenuto",
             "didascalia", "full_text", "tweet", "tweet text", "post text"),
    "posted_at": ("posted_at", "date", "created_at", "published_at", "data", "publish time", "timestamp",
                  "time", "data di pubblicazione", "orario di pubblicazione", "date posted", "published"),
    "platform": ("platform", "network", "piattaforma", "social", "channel", "canale"),
    "likes": ("likes", "reactions", "like", "mi piace", "reazioni", "favorites", "favourites", "favorite_count"),
    "shares": ("shares", "retweets", "reposts", "condivisioni", "retweet_count", "repost"),
    "comments": ("comments", "replies", "commenti", "risposte", "reply_count"),
    "impressions": ("impressions", "reach", "impressioni", "copertura", "views", "visualizzazioni"),
    "url": ("url", "permalink", "link", "post url", "post link"),
    "language": ("language", "lang", "lingua"),
}


@dataclass(frozen=True)
class KnowledgeDoc:
    """One unit of the brand's knowledge: a past post or a guideline passage."""

    id: str
    kind: str  # "post" | "guideline" | "approved"
    text: str
    metadata: dict[str, Any]

    @property
    def embed_text(self) -> str:
        """What is embedded: a guideline passage with its heading path, so that it is found by topic."""
        heading = self.metadata.get("heading")
        return f"{heading}\n{self.text}" if heading else self.text



@dataclass
class ParsedFile:
    """What one file yielded: documents to index, rows rejected (with reasons), warnings."""

    source: str
    kind: str
    documents: list[KnowledgeDoc] = field(default_factory=list)
    rejected: list[IngestWarning] = field(default_factory=list)
    warnings: list[IngestWarning] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)


# --- ids ----------------------------------------------------------------------------------------

def normalize_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_id(brand: str, kind: str, *parts: str) -> str:
    """A content hash scoped to the brand: the same text in two brands has two ids."""
    h = hashlib.sha256()
    for part in (brand, kind, *parts):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:32]


def engagement_of(likes: int | None, comments: int | None, shares: int | None) -> int | None:
    """Weighted interactions: a share travels further than a comment, a comment more than a like."""
    if likes is None and comments is None and shares is None:
        return None
    return (likes or 0) + 2 * (comments or 0) + 3 * (shares or 0)



def posted_time(meta: Mapping[str, Any]) -> datetime | None:
    """When a stored post went out (aware, UTC), from its metadata (`posted_ts`, else `posted_at`)."""
    ts = meta.get("posted_ts")
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return datetime.fromtimestamp(ts, timezone.utc)
    try:
        when = datetime.fromisoformat(str(meta["posted_at"]))
    except (KeyError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Our post fields -> the file's columns, from `COLUMN_ALIASES`."""
    return guess_columns(header, COLUMN_ALIASES)


def sniff_posts(raw: bytes, source: str) -> SniffedCSV:
    """A posts file before parsing, with the guessed mapping: for a preview the user can correct."""
    return sniff_csv(raw, source, COLUMN_ALIASES)


def parse_posts_csv(
    raw: bytes,
    *,
    brand: str,
    source: str,
    mapping: Mapping[str, str] | None = None,
    platform: str | None = None,
    zone: str | None = None,
    require_platform: bool = False,
) -> ParsedFile:
    """Parse a posts export. `mapping` ({our_field: their_column}) overrides the guessed one.

    `platform` is the platform of rows that do not name one (`MIXED`: unknown, left empty);
    with `require_platform`, a file with no platform column and no `platform` is refused.
    `zone` (an IANA name, the brand's) is where dates without an offset were written; None: UTC."""
    sniffed = sniff_posts(raw, source)
    guessed = _post_mapping(sniffed, source, mapping)
    header = sniffed.header
    default_platform = chosen_platform(platform, source)
    if require_platform and platform is None and "platform" not in guessed:
        raise FileError(f"{source}: no platform column among {', '.join(map(repr, header))}; say which platform "
                          f"the posts are from (--platform instagram), --platform {MIXED} if they are from several, "
                          "or name the column (--map platform=<column>)", code="no_platform_column", file=source)
    tz = zone_info(zone)
    col_index = {fld: header.index(col) for fld, col in guessed.items()}
    result = ParsedFile(source=source, kind="post", encoding=sniffed.encoding, delimiter=sniffed.delimiter,
                        mapping=dict(guessed), header=header)
    result.warnings.extend(duplicate_header_warnings(header, guessed, source))
    seen: dict[str, int] = {}
    for row_no, row in enumerate(read_rows(sniffed, source)[1:], start=2):  # row 1 is the header
        if not any(cell.strip() for cell in row):
            continue

        def cell(fld: str, row: list[str] = row) -> str:
            idx = col_index.get(fld)
            return row[idx].strip() if idx is not None and idx < len(row) else ""

        doc = _post(cell, row_no, brand=brand, source=source, guessed=guessed, result=result,
                    default_platform=default_platform, zone=tz)
        if doc is None:
            continue
        if doc.id in seen:
            result.warnings.append(IngestWarning(
                source, row_no, guessed["text"], f"same text as row {seen[doc.id]}; kept once", "same_text",
                {"row": seen[doc.id]}))
            continue
        seen[doc.id] = row_no
        result.documents.append(doc)
    if not result.documents:
        reasons = "; ".join(str(w) for w in result.rejected[:3])
        raise FileError(f"{source}: no usable post in the file ({reasons or 'only a header row'}); nothing was "
                          "ingested", code="no_posts", file=source, details=result.rejected[:3])
    return result


def chosen_platform(platform: str | None, source: str) -> str:
    """The platform given for a file's rows: ours ("Twitter" -> "x"), "" for none or `MIXED`."""
    if platform is None or not platform.strip() or platform.strip().lower() == MIXED:
        return ""
    name = normalize_platform(platform)
    if name not in PLATFORMS:
        raise FileError(f"{source}: unknown platform {platform!r}; use one of {', '.join(PLATFORMS)} or {MIXED}",
                          code="unknown_platform", file=source, platform=platform, known=", ".join(PLATFORMS))
    return name


def _post_mapping(sniffed: SniffedCSV, source: str, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """The guessed mapping with `mapping` applied; errors name what to fix."""
    header, guessed = sniffed.header, dict(sniffed.mapping)
    if mapping:
        unknown_fields = set(mapping) - set(POST_FIELDS)
        if unknown_fields:
            raise FileError(f"{source}: unknown field(s) in the mapping: {', '.join(sorted(unknown_fields))} "
                              f"(valid: {', '.join(POST_FIELDS)})", code="unknown_fields", file=source,
                              fields=", ".join(sorted(unknown_fields)), valid=", ".join(POST_FIELDS))
        missing = [col for col in mapping.values() if col not in header]
        if missing:
            raise FileError(f"{source}: the mapping names column(s) {', '.join(map(repr, missing))} that are not "
                              f"in the header ({', '.join(map(repr, header))})", code="mapping_columns", file=source,
                              columns=", ".join(map(repr, missing)), header=", ".join(map(repr, header)))
        guessed = {k: v for k, v in guessed.items() if v not in mapping.values()}
        guessed.update(mapping)
    if "text" not in guessed:
        raise FileError(f"{source}: no text column found among {', '.join(map(repr, header))}; name it one of "
                          f"{', '.join(COLUMN_ALIASES['text'][:6])} or pass a mapping such as text=<your column>",
                          code="no_text_column", file=source, header=", ".join(map(repr, header)),
                          names=", ".join(COLUMN_ALIASES["text"][:6]))
    return guessed


def _post(cell, row_no: int, *, brand: str, source: str, guessed: dict[str, str], result: ParsedFile,
          default_platform: str, zone: tzinfo) -> KnowledgeDoc | None:
    """One row as a post document (None: rejected, with the reason on `result`)."""
    post_text = cell("text")
    if not post_text:
        result.rejected.append(IngestWarning(source, row_no, guessed["text"], "empty text, row skipped", "empty_text"))
        return None
    platform = normalize_platform(cell("platform")) or default_platform
    meta: dict[str, Any] = {"brand": brand, "kind": "post", "source": source, "row": row_no, "platform": platform}
    if raw_date := cell("posted_at"):
        when = parse_date(raw_date, zone)
        if when is None:
            result.warnings.append(IngestWarning(
                source, row_no, guessed["posted_at"],
                f"unparseable date {raw_date!r}; use ISO 8601 (2026-03-14T18:30:00+01:00) or dd/mm/yyyy hh:mm; "
                "the post is kept without a date", "bad_date", {"value": raw_date}))
        else:
            meta["posted_at"], meta["posted_ts"] = when.isoformat(), int(when.timestamp())
    counts: dict[str, int | None] = {}
    for fld in ("likes", "comments", "shares", "impressions"):
        raw_value = cell(fld)
        try:
            counts[fld] = parse_count(raw_value)
        except ValueError:
            counts[fld] = None
            result.warnings.append(IngestWarning(source, row_no, guessed[fld], f"{raw_value!r} is not a number; left "
                                                 "empty", "not_a_number", {"value": raw_value}))
        if counts[fld] is not None:
            meta[fld] = counts[fld]
    engagement = engagement_of(counts["likes"], counts["comments"], counts["shares"])
    if engagement is not None:
        meta["engagement"] = engagement
        if counts["impressions"]:
            meta["engagement_rate"] = round(engagement / counts["impressions"], 6)
    if url := cell("url"):
        meta["url"] = url
    if language := cell("language").lower():
        meta["language"] = language
    doc_id = content_id(brand, "post", platform, normalize_text(post_text))
    # The key says which post this is, so that an edited post replaces its old version.
    # By URL, else by platform and time; a post with neither is known only by its text.
    identity = url or (f"{platform}|{meta['posted_at']}" if "posted_at" in meta else doc_id)
    meta["key"] = content_id(brand, "post-key", identity)
    return KnowledgeDoc(id=doc_id, kind="post", text=post_text, metadata=meta)


# --- guidelines ---------------------------------------------------------------------------------

def parse_guideline(raw: bytes, *, brand: str, source: str, chunk_tokens: int = 350, overlap_tokens: int = 40) -> ParsedFile:
    """Split a Markdown or text guideline by headings, then by a token budget (tiktoken)."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    from assistant.text import tokens

    text, encoding = decode_bytes(raw, source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise FileError(f"{source}: the guideline file is empty", code="guideline_empty", file=source)
    headers = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
    is_markdown = source.lower().endswith((".md", ".markdown")) or re.search(r"^#{1,4} ", text, re.M)
    if is_markdown:
        sections = MarkdownHeaderTextSplitter(headers_to_split_on=headers, strip_headers=True).split_text(text)
        pieces = [(s.page_content, [s.metadata[h] for _, h in headers if h in s.metadata]) for s in sections]
    else:
        pieces = [(text, [])]
    tokens.ensure_offline_encodings()
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="cl100k_base", chunk_size=chunk_tokens, chunk_overlap=overlap_tokens
    )
    result = ParsedFile(source=source, kind="guideline", encoding=encoding)
    seen: set[str] = set()
    for section_text, path in pieces:
        heading = " > ".join(path)
        for chunk_no, chunk in enumerate(splitter.split_text(section_text)):
            chunk = chunk.strip()
            if not chunk:
                continue
            doc_id = content_id(brand, "guideline", source, heading, normalize_text(chunk))
            if doc_id in seen:
                continue
            seen.add(doc_id)
            meta = {"brand": brand, "kind": "guideline", "source": source, "heading": heading, "chunk": chunk_no,
                    "tokens": tokens.count(chunk)}
            result.documents.append(KnowledgeDoc(id=doc_id, kind="guideline", text=chunk, metadata=meta))
    if not result.documents:
        raise FileError(f"{source}: the guideline has headings but no text under them", code="guideline_no_text",
                          file=source)
    return result


def parse_file(raw: bytes, *, brand: str, source: str, kind: str | None = None,
               mapping: Mapping[str, str] | None = None, platform: str | None = None, zone: str | None = None,
               require_platform: bool = False) -> ParsedFile:
    """Dispatch on kind or file extension: `.csv`/`.tsv` are posts, `.md`/`.txt` guidelines.
    `platform`, `zone` and `require_platform` are for posts (`parse_posts_csv`)."""
    suffix = Path(source).suffix.lower()
    kind = kind or ("post" if suffix in {".csv", ".tsv"} else "guideline" if suffix in {".md", ".markdown", ".txt"} else "")
    if kind == "post":
        return parse_posts_csv(raw, brand=brand, source=source, mapping=mapping, platform=platform, zone=zone,
                               require_platform=require_platform)
    if kind == "guideline":
        return parse_guideline(raw, brand=brand, source=source)
    raise FileError(f"{source}: unsupported file type '{suffix}'; use .csv for posts, .md or .txt for guidelines",
                      code="unsupported_type", file=source, suffix=suffix or "—")
