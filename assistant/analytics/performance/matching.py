"""Which post a row of a performance export is: the same URL (normalised), else the same text
(see the package docstring for the rules and thresholds)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from rapidfuzz.distance import Indel

from assistant.platforms.rules import HOST_ALIASES, HOSTS

TEXT_THRESHOLD = 0.85
PREFIX_MIN_CHARS = 60
SHARED_WORDS = 0.7  # text matching: share of the shorter text's distinct words a candidate must have
SCAN_ALL, CANDIDATES = 300, 40  # compare with every target up to 300 of them, else with the best 40
TRACKING = {"igshid", "igsh", "fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "si", "s", "t", "ref", "ref_src",
            "ref_url", "trk", "trackingid", "lipi", "mibextid", "rdid", "share_id"}


# --- identities ---------------------------------------------------------------------------------

def normalize_url(url: str | None) -> str:
    """A key for "the same post": see the module docstring. '' for no URL."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = (parts.hostname or "").lower()
    host = re.sub(r"^(www|m|mobile|web)\.", "", host)
    host = HOST_ALIASES.get(host, host)
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if host == "x.com" and (status := re.search(r"/status(?:es)?/(\d+)", path)):
        return f"x.com/status/{status.group(1)}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")
                   and k.lower() not in TRACKING)
    return host + path + (f"?{urlencode(query)}" if query else "")


def normalize_for_match(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"(https?://|www\.)\S+", " ", text)
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _ratio(a: str, b: str) -> float:
    # 2 * LCS / (len a + len b), in difflib's float arithmetic (2.0 * matches / length); rapidfuzz
    # gives the exact LCS through the Indel distance (insertions + deletions = total - 2 * LCS).
    total = len(a) + len(b)
    return 2.0 * ((total - Indel.distance(a, b)) // 2) / total


def similarity(a: str, b: str) -> float:
    """Ratio 2 * LCS / (len a + len b) of two normalised texts: difflib's ratio with the longest
    common subsequence (rapidfuzz) instead of difflib's matching blocks, which are a heuristic
    and can only score lower. A long enough shorter text is also compared with the same-length
    prefix of the longer one (exports cut long posts)."""
    if not a or not b:
        return 0.0
    score = _ratio(a, b)
    short, long_ = sorted((a, b), key=len)
    if PREFIX_MIN_CHARS <= len(short) < len(long_):
        score = max(score, _ratio(short, long_[:len(short)]))
    return score


def platform_of_url(url: str | None) -> str:
    host = normalize_url(url).split("/", 1)[0].split("?", 1)[0]
    return HOSTS.get(host, "")


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
    """Targets with an inverted index on their distinctive words: the similarity runs only on the
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

    def best(self, row: Any, text: str, has_url: bool) -> tuple[Target | None, float, bool]:
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

    def match(self, row: Any) -> Match:
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
