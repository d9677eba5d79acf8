"""Text entities and length as each platform counts them: links, hashtags, emoji, grapheme
clusters, X's weighted count, and the "see more" cut. Offsets always refer to the text as given."""

from __future__ import annotations

import bisect
import re
import unicodedata

# `regex` rather than `re` for \X (extended grapheme clusters) and the Extended_Pictographic /
# Emoji_Presentation properties with current Unicode data.
import regex

from assistant.platforms.rules import Counting, PlatformRule, rule_for

# --- text entities --------------------------------------------------------------------------

CLUSTER = regex.compile(r"\X")
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


def is_emoji(cluster: str) -> bool:
    return _EMOJI.search(cluster) is not None


def emojis(text: str) -> list[tuple[str, int, int]]:
    """Emoji as (emoji, start, end); a ZWJ sequence, a flag or a skin-toned emoji is one emoji."""
    return [(m.group(), m.start(), m.end()) for m in CLUSTER.finditer(text) if is_emoji(m.group())]


# --- counting -------------------------------------------------------------------------------

def _weight(cluster: str, counting: Counting) -> int:
    if counting == "graphemes":
        return 1
    if counting == "utf16":
        return len(cluster.encode("utf-16-le")) // 2
    if counting == "chars_emoji_bytes":
        return len(cluster.encode("utf-8")) if is_emoji(cluster) else len(cluster)
    if counting == "weighted":
        if is_emoji(cluster):
            return 2
        # NFC per cluster equals NFC of the whole text: composition never crosses a cluster boundary.
        return sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _LIGHT) else 2
                   for ch in unicodedata.normalize("NFC", cluster))
    return len(cluster)


def units(text: str, rule: PlatformRule) -> list[tuple[int, int, int]]:
    """`text` cut into (start, end, weight) pieces as the platform counts it; weights sum to count()."""
    spans = []
    if rule.url_weight is not None:
        spans = [(s, e) for url, s, e in links(text)
                 if not rule.url_needs_protocol or url.lower().startswith(("http://", "https://"))]
    units, pos = [], 0
    for start, end in [*spans, (len(text), len(text))]:
        units.extend((m.start(), m.end(), _weight(m.group(), rule.counting))
                     for m in CLUSTER.finditer(text, pos, start))
        if end > start:
            units.append((start, end, rule.url_weight))
        pos = end
    return units


def count(text: str, platform: str, rules: dict[str, PlatformRule] | None = None) -> int:
    """The length of `text` as `platform` counts it against its `limit`."""
    return sum(weight for _, _, weight in units(text, rule_for(platform, rules)))


def first_over(units: list[tuple[int, int, int]], limit: int) -> int | None:
    total = 0
    for start, _, weight in units:
        total += weight
        if total > limit:
            return start
    return None


# --- "see more" -----------------------------------------------------------------------------

def cut_at(text: str, at: int, *, at_space: bool) -> int:
    """The cluster boundary at or before `at`; with `at_space`, back off to a space nearby."""
    cut = 0
    for m in CLUSTER.finditer(text):
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
    rule = rule_for(platform, rules)
    at = (rule.see_more_at_mobile if mobile else None) or rule.see_more_at
    if at is None or len(text) <= at:
        return None
    cut = cut_at(text, at, at_space=True)
    return text[:cut], text[cut:]


_HOOK_END = regex.compile(r"[.!?…](?=[\s\"'»”’)]|$)|\n")


def hook_end(text: str) -> int:
    """End of the hook: the first sentence or the first line, whichever ends first."""
    start = len(text) - len(text.lstrip())
    m = _HOOK_END.search(text, start)
    if m is None:
        return len(text.rstrip())
    return m.start() if m.group() == "\n" else m.end()
