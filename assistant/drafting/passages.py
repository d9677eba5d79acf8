"""The brand's fixed guideline passages: the ones every draft of a brand carries in the brand's
part of the prompt (`blocks.brand_messages`), chosen without looking at the brief so that the
part stays byte-identical from one draft to the next (and a warmed prompt cache stays valid).

Which: the most central passages of the brand's guidelines (cosine to the mean of their unit
vectors: what the guidelines keep saying), whole, in that order, within a share of the room the
token budget leaves for sources once the system message and the profile are in; a passage that
does not fit is skipped and shorter ones are still tried. Passages retrieved for the brief that
are not among them still reach the model, in the draft's own part, trimmed first like exemplars.
A small-context model (the bundled one) has little room left, so it gets few or none.

The brand's fixed posts (`for_platform`) are the same idea for exemplars: per platform, the brand's
posts that sound most like its own voice description (the profile's `voice`, embedded as a query),
better-performing first, at most MAX_POSTS within POST_SHARE of the room. They sit in the brand's
part too, so a prompt-cache warm-up reads them before the first brief and the draft's own part is
shorter (the bundled model reads ~130 prompt tokens/s on two cores: every exemplar moved there is
about half a second less before the first token). The brief's own similar posts follow in the
draft's part, without these.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from assistant.brands import Brand
from assistant.drafting import blocks
from assistant.knowledge.embeddings import Embedder
from assistant.knowledge.retrieval import NEAR_DUPLICATE, PERF_WEIGHT, POST_KINDS, Source, performance
from assistant.knowledge.vectorstore import VectorStore
from assistant.text import tokens

# Of the room for sources: exemplars carry the voice and keep the larger part. Measured on the demo
# brands (12 briefs, bench/drafting.py "prompt_composition"), at the default budget of 2,000: with
# 0.2, 6.0 exemplars per prompt against 6.7 without fixed passages (1/3: 5.5; 1/2: 4.5) and 1.3
# guideline passages against 0.5; at the bundled model's 1,400 there is no room, nothing changes.
SHARE = 0.2
TASK_RESERVE = 300  # tokens for the platform rules, the task block and a brief of a few lines
MAX_FIXED = 3
MIN_WORDS = 12  # a heading on its own, or a line, says nothing
POST_SHARE = 0.4  # of the same room: the brand's fixed posts (the voice), beside the passages' SHARE
MAX_POSTS = 2
POST_CANDIDATES = 24  # the platform's posts nearest to the voice description, ranked further here


def room(prompt_budget: int, fixed_tokens: int) -> int:
    """The tokens the fixed passages may take: SHARE of what is left once `fixed_tokens` (system
    message and profile) and TASK_RESERVE are counted."""
    return max(0, int((prompt_budget - fixed_tokens - TASK_RESERVE) * SHARE))


@dataclass(frozen=True)
class FixedPassages:
    """The chosen passages, in prompt order, with their unit vectors (to score them for a brief)."""

    sources: tuple[Source, ...] = ()
    vectors: np.ndarray | None = None

    @property
    def ids(self) -> set[str]:
        return {s.id for s in self.sources}

    def for_brief(self, query: np.ndarray | None) -> list[Source]:
        """The same passages in the same order, each scored by its cosine to the brief (what the
        person sees next to a source), or 0 without a query vector."""
        if not self.sources or query is None or self.vectors is None:
            return list(self.sources)
        q = np.asarray(query, dtype=np.float32)
        sims = self.vectors @ (q / max(float(np.linalg.norm(q)), 1e-9))
        return [replace(s, score=float(v), relevance=float(v)) for s, v in zip(self.sources, sims.tolist())]


def central(ids: Sequence[str], texts: Sequence[str], metas: Sequence[dict[str, Any]], vectors: np.ndarray, *,
            budget: int, size: Callable[[Source], int], limit: int = MAX_FIXED) -> FixedPassages:
    """The most central passages whose `size` (tokens, as rendered in the prompt) fits `budget`
    whole, at most `limit`; ties by id, so the choice is the same in every process."""
    if not len(ids) or budget <= 0:
        return FixedPassages()
    unit = np.asarray(vectors, dtype=np.float32)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
    centre = unit.mean(axis=0)
    sims = unit @ (centre / max(float(np.linalg.norm(centre)), 1e-9))
    chosen: list[tuple[int, Source]] = []
    left = budget
    for i in sorted(range(len(ids)), key=lambda i: (-round(float(sims[i]), 6), ids[i])):
        if len(texts[i].split()) < MIN_WORDS:
            continue
        source = Source(id=ids[i], kind="guideline", text=texts[i], score=0.0, relevance=0.0, metadata=dict(metas[i]))
        tokens = size(source)
        if tokens <= left:
            chosen.append((i, source))
            left -= tokens
            if len(chosen) == limit:
                break
    if not chosen:
        return FixedPassages()
    return FixedPassages(tuple(s for _, s in chosen), unit[[i for i, _ in chosen]])


class Choices:
    """Fixed passages already chosen, per (brand, its collection's generation, profile, budget,
    model): choosing counts the tokens of every passage (~40 ms for a brand's 25), and every draft
    and every page run's warm-up asks. Thread-safe, bounded; one per process (`Services`)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, FixedPassages] = OrderedDict()

    def get(self, key: tuple, choose: Callable[[], FixedPassages]) -> FixedPassages:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        chosen = choose()
        with self._lock:
            self._items[key] = chosen
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return chosen


def for_brand(store: VectorStore, brand: Brand, *, budget: int, model: str,
              choices: Choices | None = None) -> FixedPassages:
    """The brand's fixed passages for a prompt `budget` (tokens counted for `model`)."""
    def choose() -> FixedPassages:
        ids, texts, metas, vectors = store.all_of_kind(brand.slug, "guideline")
        fixed_tokens = tokens.count(blocks.system(brand), model) + tokens.count(blocks.profile(brand), model)
        return central(ids, texts, metas, vectors, budget=room(budget, fixed_tokens),
                       size=lambda s: tokens.count(blocks.passage(s), model))

    if choices is None:
        return choose()
    key = (brand.slug, store.generation(brand.slug), brand.profile.model_dump_json(), budget, model)
    return choices.get(key, choose)


def typical(hits, *, budget: int, size: Callable[[Source], int], limit: int = MAX_POSTS) -> FixedPassages:
    """Of `hits` (posts nearest to the brand's voice description), the best by similarity plus the
    retrieval's performance weight, whole within `budget`, at most `limit`, never two near-duplicates;
    ties by id, so every process picks the same."""
    if not hits or budget <= 0:
        return FixedPassages()
    scored = sorted(((h.similarity + PERF_WEIGHT * p, h) for h, p in zip(hits, performance(hits))),
                    key=lambda x: (-round(x[0], 6), x[1].id))
    chosen: list[tuple[np.ndarray, Source]] = []
    left = budget
    for score, h in scored:
        if h.embedding is None or len(h.text.split()) < MIN_WORDS:
            continue
        unit = h.embedding / max(float(np.linalg.norm(h.embedding)), 1e-9)
        if any(float(unit @ u) >= NEAR_DUPLICATE for u, _ in chosen):
            continue
        source = Source(id=h.id, kind=h.metadata.get("kind", "post"), text=h.text, score=0.0, relevance=0.0,
                        metadata=dict(h.metadata))
        tokens_needed = size(source)
        if tokens_needed <= left:
            chosen.append((unit.astype(np.float32), source))
            left -= tokens_needed
            if len(chosen) == limit:
                break
    if not chosen:
        return FixedPassages()
    return FixedPassages(tuple(s for _, s in chosen), np.vstack([u for u, _ in chosen]))


def for_platform(store: VectorStore, embedder: Embedder, brand: Brand, platform: str, *, budget: int, model: str,
                 choices: Choices | None = None) -> FixedPassages:
    """The brand's fixed posts for `platform` (see the module docstring): none when the profile has
    no voice description or the brand has no posts on that platform."""
    def choose() -> FixedPassages:
        voice = " ".join(brand.profile.voice.split())
        if not voice:
            return FixedPassages()
        hits = store.query(brand.slug, embedder.query(voice), POST_CANDIDATES, kinds=POST_KINDS,
                           where={"platform": platform})
        fixed_tokens = tokens.count(blocks.system(brand), model) + tokens.count(blocks.profile(brand), model)
        room_left = max(0, int((budget - fixed_tokens - TASK_RESERVE) * POST_SHARE))
        return typical(hits, budget=room_left, size=lambda s: tokens.count(blocks.exemplar(s), model))

    if choices is None:
        return choose()
    key = ("posts", brand.slug, platform, store.generation(brand.slug), brand.profile.model_dump_json(), budget,
           model, embedder.name)
    return choices.get(key, choose)
