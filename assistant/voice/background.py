"""The background corpus that every brand's voice is learnt against, shipped inside the package.

A brand model is a classifier of "this brand" against "posts in general": the background is the
"in general". It is written by the project (never another client's posts): varied posts in Italian
and English across sectors, tones and platforms, one JSON object a line
(`{"lang", "platform", "sector", "tone", "text"}`) in `assistant/voice/data/background/*.jsonl`.
Every part file present is used; a line that is not a complete object with a text is skipped (a
part being written has a half line at its end), so the corpus can grow without code changes.

Located with `importlib.resources`, so it is found the same way in a checkout and in a wheel.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

log = logging.getLogger(__name__)

FIELDS = ("lang", "platform", "sector", "tone")


@dataclass(frozen=True)
class BackgroundPost:
    text: str
    lang: str = ""
    platform: str = ""
    sector: str = ""
    tone: str = ""


@dataclass(frozen=True)
class Background:
    """The corpus as loaded: its posts (distinct texts, file order) and a digest of their texts
    (part of every model's fingerprint: a grown corpus retrains the brands)."""

    posts: tuple[BackgroundPost, ...]
    digest: str
    parts: tuple[str, ...]
    skipped: int = 0

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.posts]


def _parse(line: str) -> BackgroundPost | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
        return None
    return BackgroundPost(text=obj["text"].strip(), **{k: str(obj.get(k) or "") for k in FIELDS})


def _part_files() -> list[tuple[str, str]]:
    """(name, text) of every part file, in name order."""
    folder = resources.files("assistant.voice").joinpath("data", "background")
    if not folder.is_dir():
        return []
    parts = sorted((p for p in folder.iterdir() if p.name.endswith(".jsonl")), key=lambda p: p.name)
    return [(p.name, p.read_text(encoding="utf-8")) for p in parts]


def parse_parts(parts: list[tuple[str, str]]) -> Background:
    """The corpus from (name, text) part files: complete lines only, each text once."""
    seen: set[str] = set()
    posts: list[BackgroundPost] = []
    skipped = 0
    for _name, text in parts:
        for line in text.splitlines():
            if not line.strip():
                continue
            post = _parse(line)
            key = " ".join(post.text.split()) if post else ""
            if post is None:
                skipped += 1
            elif key not in seen:
                seen.add(key)
                posts.append(post)
    digest = hashlib.sha256("\x1e".join(p.text for p in posts).encode("utf-8")).hexdigest()[:16]
    return Background(posts=tuple(posts), digest=digest, parts=tuple(n for n, _ in parts), skipped=skipped)


@lru_cache(maxsize=1)
def load_background() -> Background:
    """The shipped corpus, read once per process (it changes only with the installed package;
    `load_background.cache_clear()` reads it again)."""
    background = parse_parts(_part_files())
    if background.skipped:
        log.warning("voice background: %d incomplete line(s) skipped", background.skipped)
    return background
