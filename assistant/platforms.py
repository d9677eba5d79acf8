"""Platform rules as data, counting as each platform counts, and the checks of a draft.

`validate` never changes the text: it returns violations with offsets into the text as given,
so the UI can highlight them and a person decides what to change.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# `regex` rather than `re` for \X (extended grapheme clusters) and the Extended_Pictographic /
# Emoji_Presentation properties with current Unicode data. It is installed as a dependency of
# tiktoken (pinned in pyproject). The `grapheme` package ships Unicode 13 tables, older than the
# segmenters the platforms use (it splits e.g. Devanagari conjuncts that Unicode 15.1 joins).
import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant import language
from assistant.brands import BrandProfile
from assistant.errors import ConfigError
from assistant.i18n import t

Counting = Literal["weighted", "graphemes", "chars", "utf16", "chars_emoji_bytes"]
"""How a platform measures length:
- `weighted`: X / twitter-text v3. NFC; code points in the light ranges weigh 1, others 2; one
  emoji sequence weighs 2 in total; every link weighs `url_weight`.
- `graphemes`: extended grapheme clusters (what a reader sees as one character).
- `chars`: Unicode code points of the text as sent. The platform documents a number of
  "characters" without the unit; code points are our reading of it.
- `utf16`: UTF-16 code units: an emoji outside the BMP counts 2 (TikTok's "UTF-16 runes").
- `chars_emoji_bytes`: code points, but each emoji counts its UTF-8 bytes (Threads API).
"""
Severity = Literal["error", "warning"]


class PlatformRule(BaseModel):
    """One platform's publishing rules. Limits change: each rule says where it comes from and when
    it was checked; settings can override any field but `name` (see `get_rules`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    limit: int = Field(gt=0)
    counting: Counting = "chars"
    url_weight: int | None = Field(default=None, ge=0, description="Every link counts this much.")
    url_needs_protocol: bool = Field(default=False, description="Only http(s):// links get url_weight.")
    max_bytes: int | None = Field(default=None, gt=0, description="UTF-8 bytes, on top of `limit`.")
    max_hashtags: int | None = Field(default=None, ge=0, description="More is an error.")
    max_topic_tags: int | None = Field(default=None, ge=0, description="More stay plain text (warning).")
    max_links: int | None = Field(default=None, ge=0, description="Distinct links; more is an error.")
    links_clickable: bool = True
    see_more_at: int | None = Field(default=None, gt=0, description="Characters shown before 'see more'.")
    see_more_at_mobile: int | None = Field(default=None, gt=0)
    source: str
    checked: str


_CHECKED = "2026-11"
RULES: tuple[PlatformRule, ...] = (
    PlatformRule(
        name="x", label="X", limit=280, counting="weighted", url_weight=23,
        source="docs.x.com 'Counting characters' (https://docs.x.com/fundamentals/counting-characters) and "
        "twitter-text config v3; longer posts only for paid accounts (override `limit`)", checked=_CHECKED),
    PlatformRule(
        name="linkedin", label="LinkedIn", limit=3000, see_more_at=210, see_more_at_mobile=140,
        source="Microsoft Learn, LinkedIn Posts API: commentary in 'little text format' "
        "(https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api); "
        "'see more' cut ~210 desktop / ~140 mobile per DESIGN.md", checked=_CHECKED),
    PlatformRule(
        name="instagram", label="Instagram", limit=2200, max_hashtags=5, links_clickable=False, see_more_at=125,
        source="Meta, IG User Media reference (caption 2,200); at most 5 hashtags since Dec 2025; "
        "links in captions not clickable; ~125 characters before 'more' (DESIGN.md)", checked=_CHECKED),
    PlatformRule(
        # Facebook truncates long posts in the feed but documents no character count for it.
        name="facebook", label="Facebook", limit=63206,
        source="DESIGN.md platform table (63,206 characters; feed truncation undocumented)", checked=_CHECKED),
    PlatformRule(
        name="threads", label="Threads", limit=500, counting="chars_emoji_bytes", max_topic_tags=1, max_links=5,
        source="Threads API, Posts (https://developers.facebook.com/docs/threads/posts): 500 characters, emoji "
        "count their UTF-8 bytes, one topic tag; at most 5 distinct links since 22 Dec 2025", checked=_CHECKED),
    PlatformRule(
        name="tiktok", label="TikTok", limit=2200, counting="utf16", links_clickable=False,
        source="TikTok Content Posting API, Direct Post (https://developers.tiktok.com/doc/"
        "content-posting-api-reference-direct-post): video caption 2,200 UTF-16 runes; photo posts: "
        "title 90, description 4,000", checked=_CHECKED),
    PlatformRule(
        name="bluesky", label="Bluesky", limit=300, counting="graphemes", max_bytes=3000,
        source="Bluesky docs, app.bsky.feed.post lexicon: text maxGraphemes 300, maxLength 3,000 (bytes) "
        "(https://docs.bsky.app/docs/advanced-guides/post-richtext)", checked=_CHECKED),
    PlatformRule(
        # The server counts grapheme clusters (app/validators/status_length_validator.rb) and replaces
        # each http(s) link by 23 characters; remote mentions count only "@user" (not modelled: we
        # over-count them, the safe side).
        name="mastodon", label="Mastodon", limit=500, counting="graphemes", url_weight=23, url_needs_protocol=True,
        source="Mastodon instance config: configuration.statuses.max_characters (500 by default) and "
        "characters_reserved_per_url 23 (https://docs.joinmastodon.org/entities/Instance/)", checked=_CHECKED),
)
PLATFORMS: tuple[str, ...] = tuple(rule.name for rule in RULES)
_DEFAULTS = {rule.name: rule for rule in RULES}


def get_rules(overrides: dict[str, dict] | None = None) -> dict[str, PlatformRule]:
    """All rules by platform name, with `overrides` such as `{"mastodon": {"limit": 1000}}` applied."""
    rules = dict(_DEFAULTS)
    for platform, fields in (overrides or {}).items():
        if platform not in rules:
            raise ConfigError(f"unknown platform '{platform}' in platform overrides: use one of {', '.join(PLATFORMS)}")
        if not isinstance(fields, dict):
            raise ConfigError(f"platform overrides for '{platform}' must be a mapping such as {{\"limit\": 1000}}")
        for key in fields:
            if key == "name" or key not in PlatformRule.model_fields:
                allowed = ", ".join(k for k in PlatformRule.model_fields if k != "name")
                raise ConfigError(f"unknown field '{key}' in the overrides for '{platform}': use one of {allowed}")
        try:
            rules[platform] = PlatformRule.model_validate({**rules[platform].model_dump(), **fields})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"platform override '{platform}.{field}': {err['msg']}") from exc
    return rules


def _rule(platform: str, rules: dict[str, PlatformRule] | None) -> PlatformRule:
    table = rules if rules is not None else _DEFAULTS
    try:
        return table[platform.strip().lower()]
    except KeyError:
        raise ConfigError(f"unknown platform '{platform}': use one of {', '.join(sorted(table))}") from None


# --- text entities --------------------------------------------------------------------------

_CLUSTER = regex.compile(r"\X")
# An emoji cluster: anything with default emoji presentation, an emoji variation selector or a
# keycap; or a pictographic symbol from U+2600 on (☀ ✔ ❤ ⭐ and the emoji planes) even without
# VS16. Below U+2600 (© ® ™ ↔ ▶ ...) a symbol without VS16 is text, as phones render it.
_EMOJI = regex.compile(r"[\p{Emoji_Presentation}\u20e3\ufe0f]|(?=\p{Extended_Pictographic})[^\x00-\u25ff]")
_TLDS = ("com|org|net|edu|gov|info|biz|io|ai|app|dev|co|me|tv|eu|shop|store|online|site|blog|news|xyz|tech|"
         "cloud|art|eco|travel|wine|cafe|club|design|studio|agency|email|page|social|link|live|world")
# Link candidates: a URL with its protocol, or a run that contains ".letters" (checked by _bare_link).
# Both start only where a token starts, so scanning stays linear even on "a.a.a.a…".
_LINK = re.compile(  # stdlib re: the regex module backtracks quadratically on this pattern
    r"(?<![\w@#$./-])"  # not inside a word, an e-mail address, a hashtag or a path
    r"(?:(?i:https?://)[^\s<>\"]+|[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}[^\s<>\"]*)"
)
_HOST = re.compile(r"[A-Za-z0-9.-]+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(rf"{_TLDS}|[a-z]{{2}}")
_PORT_PATH = re.compile(r"(?::\d{1,5})?(?:/[^\s<>\"]*)?")
_TRAILING = ".,;:!?'\"»”’)]}…"
_HASHTAG = regex.compile(r"(?<![\w&#＃/])[#＃][\w\p{M}]*\p{L}[\w\p{M}]*")
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))  # twitter-text v3


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the link (Wikipedia style)
        url = url[:-1]
    return url


def _bare_link(candidate: str) -> str | None:
    host = _HOST.match(candidate).group().rstrip(".-")
    labels = host.split(".")
    if len(labels) < 2 or not _TLD.fullmatch(labels[-1]) or not all(map(_LABEL.fullmatch, labels)):
        return None
    url = _trim(host + _PORT_PATH.match(candidate, len(host)).group())
    if "/" not in url and len(labels) == 2 and len(labels[-1]) == 2:
        return None  # twitter-text: "sito.it" alone is not a link, "sito.it/orari" is
    return url


def links(text: str) -> list[tuple[str, int, int]]:
    """Links in `text` as (link, start, end): http(s) URLs and bare domains such as example.com/path.

    As twitter-text does, a bare domain with a single label and a two-letter country TLD needs a
    path to count as a link ("sito.it" no, "sito.it/orari" and "www.sito.it" yes), and a bare TLD
    must be lower case, so "fine.Il" (a missing space) is not a link.
    """
    found = []
    for m in _LINK.finditer(text):
        if m.group().lower().startswith(("http://", "https://")):
            url = _trim(m.group())
            if not url.endswith("://"):
                found.append((url, m.start(), m.start() + len(url)))
        elif url := _bare_link(m.group()):
            found.append((url, m.start(), m.start() + len(url)))
    return found


def hashtags(text: str) -> list[tuple[str, int, int]]:
    """Hashtags as (tag with '#', start, end); a tag needs a letter, tags inside links are skipped."""
    found_links = links(text)
    starts = [s for _, s, _ in found_links]

    def in_link(pos: int) -> bool:
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and pos < found_links[i][2]

    return [(m.group(), m.start(), m.end()) for m in _HASHTAG.finditer(text) if not in_link(m.start())]


def _is_emoji(cluster: str) -> bool:
    return _EMOJI.search(cluster) is not None


def emojis(text: str) -> list[tuple[str, int, int]]:
    """Emoji as (emoji, start, end); a ZWJ sequence, a flag or a skin-toned emoji is one emoji."""
    return [(m.group(), m.start(), m.end()) for m in _CLUSTER.finditer(text) if _is_emoji(m.group())]


def emoji_count(text: str) -> int:
    return len(emojis(text))


# --- counting -------------------------------------------------------------------------------

def _weight(cluster: str, counting: Counting) -> int:
    if counting == "graphemes":
        return 1
    if counting == "utf16":
        return len(cluster.encode("utf-16-le")) // 2
    if counting == "chars_emoji_bytes":
        return len(cluster.encode("utf-8")) if _is_emoji(cluster) else len(cluster)
    if counting == "weighted":
        if _is_emoji(cluster):
            return 2
        # NFC per cluster equals NFC of the whole text: composition never crosses a cluster boundary.
        return sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _LIGHT) else 2
                   for ch in unicodedata.normalize("NFC", cluster))
    return len(cluster)


def _units(text: str, rule: PlatformRule) -> list[tuple[int, int, int]]:
    """`text` cut into (start, end, weight) pieces as the platform counts it; weights sum to count()."""
    spans = []
    if rule.url_weight is not None:
        spans = [(s, e) for url, s, e in links(text)
                 if not rule.url_needs_protocol or url.lower().startswith(("http://", "https://"))]
    units, pos = [], 0
    for start, end in [*spans, (len(text), len(text))]:
        units.extend((m.start(), m.end(), _weight(m.group(), rule.counting))
                     for m in _CLUSTER.finditer(text, pos, start))
        if end > start:
            units.append((start, end, rule.url_weight))
        pos = end
    return units


def count(text: str, platform: str, rules: dict[str, PlatformRule] | None = None) -> int:
    """The length of `text` as `platform` counts it against its `limit`."""
    return sum(weight for _, _, weight in _units(text, _rule(platform, rules)))


def _first_over(units: list[tuple[int, int, int]], limit: int) -> int | None:
    total = 0
    for start, _, weight in units:
        total += weight
        if total > limit:
            return start
    return None


# --- "see more" -----------------------------------------------------------------------------

def _cut(text: str, at: int, *, at_space: bool) -> int:
    """The cluster boundary at or before `at`; with `at_space`, back off to a space nearby."""
    cut = 0
    for m in _CLUSTER.finditer(text):
        if m.end() > at:
            break
        cut = m.end()
    if at_space:
        space = max(text.rfind(" ", cut - 20, cut), text.rfind("\n", cut - 20, cut))
        cut = space if space > 0 else cut
    return cut


def see_more_preview(text: str, platform: str, rules: dict[str, PlatformRule] | None = None,
                     *, mobile: bool = False) -> tuple[str, str] | None:
    """(shown before "see more", the rest) for platforms that fold long posts, else None.

    The cut is approximate (platforms fold by width and lines too); it never splits a word or an
    emoji. `shown + rest == text`.
    """
    rule = _rule(platform, rules)
    at = (rule.see_more_at_mobile if mobile else None) or rule.see_more_at
    if at is None or len(text) <= at:
        return None
    cut = _cut(text, at, at_space=True)
    return text[:cut], text[cut:]


_HOOK_END = regex.compile(r"[.!?…](?=[\s\"'»”’)]|$)|\n")


def _hook_end(text: str) -> int:
    """End of the hook: the first sentence or the first line, whichever ends first."""
    start = len(text) - len(text.lstrip())
    m = _HOOK_END.search(text, start)
    if m is None:
        return len(text.rstrip())
    return m.start() if m.group() == "\n" else m.end()


# --- banned words ---------------------------------------------------------------------------

def _fold(text: str) -> tuple[str, list[int]]:
    """Case- and accent-folded text, and for each folded character the index it came from."""
    chars, index = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFD", ch.casefold()):
            if not unicodedata.combining(c):
                chars.append(c)
                index.append(i)
    return "".join(chars), index


def find_phrases(text: str, phrases: list[str]) -> list[tuple[str, int, int]]:
    """Whole-word occurrences of `phrases` as (listed phrase, start, end) in the original text.

    Case- and accent-insensitive ("ECONOMICO", "económico" match "economico"; "economicamente"
    does not). Spaces and hyphens inside a phrase match any run of spaces or hyphens.
    """
    folded, index = _fold(text)
    found = []
    for phrase in phrases:
        parts = [p for p in re.split(r"[\s\-‐‑]+", _fold(phrase)[0]) if p]
        if not parts:
            continue
        pattern = re.compile(r"(?<!\w)" + r"[\s\-‐‑]+".join(map(re.escape, parts)) + r"(?!\w)")
        for m in pattern.finditer(folded):
            start, end = index[m.start()], index[m.end() - 1] + 1
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1  # keep a decomposed accent with its letter
            found.append((phrase, start, end))
    return sorted(found, key=lambda item: item[1])


# --- validation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Violation:
    """One broken rule. `span` is (start, end) in the checked text; errors block approval."""

    code: str
    severity: Severity
    message: str
    span: tuple[int, int] | None = None
    platform: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "span": list(self.span) if self.span else None, "platform": self.platform}


def has_errors(violations: list[Violation]) -> bool:
    return any(v.severity == "error" for v in violations)


def validate(text: str, platform: str, brand: BrandProfile | None = None, *, ui_language: str = "it",
             expected_language: str | None = None,
             rules: dict[str, PlatformRule] | None = None) -> list[Violation]:
    """Platform and brand rules broken by `text`, in text order per check. The text is not changed."""
    rule = _rule(platform, rules)

    def v(code: str, severity: Severity, span: tuple[int, int] | None = None, *, brand_rule: bool = False,
          **values: object) -> Violation:
        message = t(f"violation.{code}", ui_language, platform=rule.label, **values)
        return Violation(code, severity, message, span, None if brand_rule else rule.name)

    if not text.strip():
        return [v("empty", "error")]
    out: list[Violation] = []

    units = _units(text, rule)
    total = sum(weight for _, _, weight in units)
    if total > rule.limit:
        unit = t(f"violation.unit.{rule.counting}", ui_language)
        out.append(v("too_long", "error", (_first_over(units, rule.limit), len(text)),
                     count=total, limit=rule.limit, over=total - rule.limit, unit=unit))
    size = len(text.encode("utf-8"))
    if rule.max_bytes is not None and size > rule.max_bytes:
        byte_units = [(m.start(), m.end(), len(m.group().encode("utf-8"))) for m in _CLUSTER.finditer(text)]
        out.append(v("too_many_bytes", "error", (_first_over(byte_units, rule.max_bytes), len(text)),
                     count=size, limit=rule.max_bytes))

    tags = hashtags(text)
    for cap, code, severity in ((rule.max_hashtags, "too_many_hashtags", "error"),
                                (rule.max_topic_tags, "too_many_topic_tags", "warning")):
        if cap is not None:
            out.extend(v(code, severity, (s, e), tag=tag, n=n, max=cap)
                       for n, (tag, s, e) in enumerate(tags, 1) if n > cap)

    found_links = links(text)
    if rule.max_links is not None:
        distinct = {}
        for url, s, e in found_links:
            distinct.setdefault(url, (s, e))
        out.extend(v("too_many_links", "error", span, link=url, n=n, max=rule.max_links)
                   for n, (url, span) in enumerate(distinct.items(), 1) if n > rule.max_links)
    if not rule.links_clickable:
        out.extend(v("link_not_clickable", "warning", (s, e), link=url) for url, s, e in found_links)

    # The hook (first sentence or first line) should be readable before the feed folds the post.
    # We use the smallest documented cut (LinkedIn mobile), where most feed reading happens, and
    # warn when the hook ends after it; the span is the part of the hook that is folded away.
    cut_at = min(filter(None, (rule.see_more_at, rule.see_more_at_mobile)), default=None)
    if cut_at is not None:
        end = _hook_end(text)
        if end > cut_at:
            out.append(v("hook_after_see_more", "warning", (_cut(text, cut_at, at_space=False), end),
                         cut=cut_at, end=end))

    if brand is not None:
        out.extend(_brand_violations(text, brand, tags, v))
    if expected_language and expected_language.lower() in language.LANGUAGES:
        detected = language.detect(text)
        if detected and detected != expected_language.lower():
            out.append(v("wrong_language", "warning", brand_rule=True,
                         detected=_language_name(detected, ui_language),
                         expected=_language_name(expected_language.lower(), ui_language)))
    return out


def _brand_violations(text: str, brand: BrandProfile, tags: list[tuple[str, int, int]],
                      v: Callable[..., Violation]) -> list[Violation]:
    out = [v("banned_word", "error", (s, e), brand_rule=True, word=word, found=text[s:e])
           for word, s, e in find_phrases(text, brand.banned_words)]
    present = {unicodedata.normalize("NFC", tag[1:]).casefold() for tag, _, _ in tags}
    out.extend(v("missing_required_hashtag", "error", brand_rule=True, tag=tag)
               for tag in brand.required_hashtags
               if unicodedata.normalize("NFC", tag.lstrip("#＃")).casefold() not in present)
    if brand.disclaimer.strip() and _squash(brand.disclaimer) not in _squash(text):
        out.append(v("missing_disclaimer", "error", brand_rule=True, disclaimer=brand.disclaimer.strip()))
    found = emojis(text)
    if brand.emoji == "none":
        out.extend(v("emoji_not_allowed", "error", (s, e), brand_rule=True, emoji=em) for em, s, e in found)
    elif brand.emoji == "sparing":
        out.extend(v("too_many_emoji", "warning", (s, e), brand_rule=True, emoji=em, n=n, max=brand.emoji_max)
                   for n, (em, s, e) in enumerate(found, 1) if n > brand.emoji_max)
    return out


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _language_name(code: str, ui_language: str) -> str:
    key = f"violation.lang.{code}"
    name = t(key, ui_language)
    return code if name == key else name
