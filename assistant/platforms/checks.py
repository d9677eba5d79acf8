"""The checks of a draft against its platform's and its brand's rules, as typed `Violation`s.

`validate` never changes the text: it returns violations with offsets into the text as given,
so the UI can highlight them and a person decides what to change. A violation is data (a code,
a severity and the values of its message); it is rendered in the reader's language when shown
(`Violation.message`), so an item checked in an Italian session reads in English for an English
reviewer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assistant.brands import BrandProfile
from assistant.i18n import t
from assistant.platforms.counting import CLUSTER, cut_at, emojis, first_over, hashtags, hook_end, links, units
from assistant.platforms.disclosure import violations as disclosure_violations
from assistant.platforms.style import violations as style_violations
from assistant.platforms.rules import PlatformRule, rule_for
from assistant.text import language

Severity = Literal["error", "warning"]

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


# --- violations -----------------------------------------------------------------------------

Param = str | int | float


class Violation(BaseModel):
    """One broken rule, as data: `code` names the rule, `params` are the values its message
    needs, `span` is (start, end) in the checked text. Errors block approval."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    params: dict[str, Param] = {}
    span: tuple[int, int] | None = None
    platform: str | None = None  # None for a brand rule
    legacy_message: str | None = None  # rows stored before violations were data (migration 0003)

    def message(self, lang: str = "en") -> str:
        """The message in `lang`: language codes and counting units are named in that language."""
        values: dict[str, Any] = dict(self.params)
        for key in ("detected", "expected"):
            if key in values:
                values[key] = language_name(str(values[key]), lang)
        if "counting" in values:
            values["unit"] = t(f"violation.unit.{values['counting']}", lang)
        key = f"violation.{self.code}"
        template = t(key, lang)
        if template == key:  # a code this version does not know
            return self.legacy_message or self.code
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # stored without the values its message needs
            return self.legacy_message or template

    def as_dict(self) -> dict[str, Any]:
        """The stored form (what a review revision keeps)."""
        return self.model_dump(mode="json", exclude_none=True)

    def rendered(self, lang: str = "en") -> dict[str, Any]:
        """The stored form plus its message in `lang` (for JSON output)."""
        return self.as_dict() | {"message": self.message(lang)}


def as_violations(items: Iterable[Violation | Mapping[str, Any]]) -> list[Violation]:
    """Stored violations (dicts) back into models."""
    out = []
    for v in items:
        if not isinstance(v, Violation):
            fields = {k: v[k] for k in Violation.model_fields if k in v}
            if "message" in v and "legacy_message" not in fields:  # a message rendered before violations were data
                fields["legacy_message"] = v["message"]
            v = Violation.model_validate(fields)
        out.append(v)
    return out


def has_errors(violations: Iterable[Violation | Mapping[str, Any]]) -> bool:
    return any(v.severity == "error" for v in as_violations(violations))


def language_name(code: str, lang: str) -> str:
    key = f"violation.lang.{code}"
    name = t(key, lang)
    return code if name == key else name


# --- validation -----------------------------------------------------------------------------

def validate(text: str, platform: str, brand: BrandProfile | None = None, *,
             expected_language: str | None = None,
             rules: dict[str, PlatformRule] | None = None) -> list[Violation]:
    """Platform and brand rules broken by `text`, in text order per check. The text is not changed."""
    rule = rule_for(platform, rules)

    def v(code: str, severity: Severity, span: tuple[int, int] | None = None, *, brand_rule: bool = False,
          **values: Param) -> Violation:
        return Violation(code=code, severity=severity, params={"platform": rule.label, **values}, span=span,
                         platform=None if brand_rule else rule.name)

    if not text.strip():
        return [v("empty", "error")]
    out: list[Violation] = []

    pieces = units(text, rule)
    total = sum(weight for _, _, weight in pieces)
    if total > rule.limit:
        out.append(v("too_long", "error", (first_over(pieces, rule.limit), len(text)),
                     count=total, limit=rule.limit, over=total - rule.limit, counting=rule.counting))
    size = len(text.encode("utf-8"))
    if rule.max_bytes is not None and size > rule.max_bytes:
        byte_units = [(m.start(), m.end(), len(m.group().encode("utf-8"))) for m in CLUSTER.finditer(text)]
        out.append(v("too_many_bytes", "error", (first_over(byte_units, rule.max_bytes), len(text)),
                     count=size, limit=rule.max_bytes))

    tags = hashtags(text)
    for cap, code, severity in ((rule.max_hashtags, "too_many_hashtags", "error"),
                                (rule.max_topic_tags, "too_many_topic_tags", "warning")):
        if cap is not None:
            out.extend(v(code, severity, (s, e), tag=tag, n=n, max=cap)
                       for n, (tag, s, e) in enumerate(tags, 1) if n > cap)

    found_links = links(text)
    if rule.max_links is not None:
        distinct: dict[str, tuple[int, int]] = {}
        for url, s, e in found_links:
            distinct.setdefault(url, (s, e))
        out.extend(v("too_many_links", "error", span, link=url, n=n, max=rule.max_links)
                   for n, (url, span) in enumerate(distinct.items(), 1) if n > rule.max_links)
    if not rule.links_clickable:
        out.extend(v("link_not_clickable", "warning", (s, e), link=url) for url, s, e in found_links)

    # The hook (first sentence or first line) should be readable before the feed folds the post.
    # We use the smallest documented cut (LinkedIn mobile), where most feed reading happens, and
    # warn when the hook ends after it; the span is the part of the hook that is folded away.
    cut = min(filter(None, (rule.see_more_at, rule.see_more_at_mobile)), default=None)
    if cut is not None:
        end = hook_end(text)
        if end > cut:
            out.append(v("hook_after_see_more", "warning", (cut_at(text, cut, at_space=False), end), cut=cut, end=end))

    if brand is not None:
        out.extend(_brand_violations(text, brand, tags, v) + disclosure_violations(text, brand, expected_language, v))
    if expected_language and expected_language.lower() in language.LANGUAGES:
        detected = language.detect(text)
        if detected and detected != expected_language.lower():
            out.append(v("wrong_language", "warning", brand_rule=True, detected=detected,
                         expected=expected_language.lower()))
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
    out.extend(style_violations(text, brand, v))  # the brand's style_rules (pa-it)
    return out


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
