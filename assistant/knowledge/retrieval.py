"""Brand-voice retrieval: guideline passages and exemplar posts from the brand's own collection.

Ranking, for posts (guideline passages use relevance alone):

    relevance = cosine similarity between the query and the post (e5, `query:` / `passage:`)
    L(e)      = log(1 + engagement), engagement = likes + 2 comments + 3 shares
    perf      = (L(e) - L_min) / max(L_max - L_min, log 50)    over the candidates, in [0, 1]
                (0.5 for a post with no figures; a spread smaller than 50x never earns the full boost,
                so "1 like against 0" is not treated as a star post)
    score     = relevance + PERF_WEIGHT * perf                      (PERF_WEIGHT = 0.03)
    (+ 0.01 for a post of the platform being drafted for, when one is given)

e5 similarities between related short texts sit within a few hundredths of each other, so 0.03
lets a clearly better-performing post overtake a marginally more relevant one, and never a
clearly more relevant one ("better-performing first, at similar relevance").

Diversity: maximal marginal relevance over the candidates (`fetch_k`). e5 similarities are
compressed (unrelated texts still score ~0.8), so both terms are rescaled over the candidates:
relevance min-max to [0, 1], and redundancy as (sim - background) / (1 - background), where the
background is the candidates' mean pairwise similarity. pick = argmax(lambda * rel' - (1 - lambda)
* max redundancy to those picked): related posts are still picked on relevance. Near-duplicates
(cosine >= NEAR_DUPLICATE to one already picked, e.g. the same promotion posted twice) are picked
only when nothing else is left, so five near-identical posts never fill the context.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assistant.knowledge.embeddings import Embedder, Guard
from assistant.knowledge.vectorstore import Hit, VectorStore
from assistant.text.snippets import snippet

Kind = Literal["post", "guideline", "all"]
PERF_WEIGHT = 0.03
PERF_MIN_SPREAD = math.log(50)
PLATFORM_BONUS = 0.01
NEAR_DUPLICATE = 0.97  # cosine at or above which two texts are the same post reworded
POST_KINDS = ("post", "approved")


@dataclass(frozen=True)
class Source:
    """One retrieved piece of evidence, as the model and the user see it."""

    id: str
    kind: str
    text: str
    score: float
    relevance: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def snippet(self) -> str:
        return snippet(self.text, 160, "...")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "score": round(self.score, 4),
                "relevance": round(self.relevance, 4), "text": self.text, "metadata": self.metadata}


class Retriever:
    def __init__(self, store: VectorStore, embedder: Embedder, guard: Guard | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.guard = guard  # the brand's policy on where its queries may go, before one is embedded
        # Guideline passages are few per brand: kept in memory and scored with numpy, because a
        # filtered Chroma query scans every record of the collection (~11 ms at 10,000 posts).
        self._guidelines: dict[str, tuple[tuple[int, int], list[Hit], np.ndarray]] = {}

    def retrieve(self, brand: str, query: str, k: int = 6, kind: Kind = "all", *,
                 platform: str | None = None, k_guidelines: int | None = None, fetch_k: int | None = None,
                 lambda_mult: float = 0.7, query_embedding: np.ndarray | None = None) -> list[Source]:
        """Sources for `query` from `brand`'s collection only.

        kind="all" returns up to `k` posts and up to `k_guidelines` (default `k`) passages.
        `platform` prefers posts from that platform (other platforms fill what is left).
        """
        if not query.strip():
            return []
        if query_embedding is None and self.guard is not None:
            self.guard(brand, None)
        qvec = self.embedder.query(query) if query_embedding is None else query_embedding
        out: list[Source] = []
        if kind in ("post", "all") and k > 0:
            out += self._posts(brand, qvec, k, platform, fetch_k or max(4 * k, 24), lambda_mult)
        kg = k if k_guidelines is None else k_guidelines
        if kind in ("guideline", "all") and kg > 0:
            hits = self._guideline_hits(brand, qvec, fetch_k or max(3 * kg, 12))
            scored = [(h, h.similarity) for h in hits]
            out += [_source(h, s) for h, s in _mmr(scored, kg, lambda_mult)]
        return out

    def _guideline_hits(self, brand: str, qvec: np.ndarray, n: int) -> list[Hit]:
        generation = self.store.generation(brand)
        cached = self._guidelines.get(brand)
        if cached is None or cached[0] != generation:
            ids, texts, metas, vectors = self.store.all_of_kind(brand, "guideline")
            hits = [Hit(id=i, text=t, metadata=m, similarity=0.0, embedding=v)
                    for i, t, m, v in zip(ids, texts, metas, vectors)]
            unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9) if hits else vectors
            cached = self._guidelines[brand] = (generation, hits, unit)
        _, hits, unit = cached
        if not hits:
            return []
        q = np.asarray(qvec, dtype=np.float32)
        sims = unit @ (q / max(float(np.linalg.norm(q)), 1e-9))
        order = np.argsort(-sims)[:n]
        return [Hit(id=hits[i].id, text=hits[i].text, metadata=hits[i].metadata, similarity=float(sims[i]),
                    embedding=hits[i].embedding) for i in order]

    def _posts(self, brand: str, qvec: np.ndarray, k: int, platform: str | None, fetch_k: int,
               lambda_mult: float) -> list[Source]:
        # Unfiltered first: a metadata filter makes Chroma scan every matching record (~10 ms per
        # 3,000 posts), while posts are nearly all of a brand's collection anyway.
        hits = [h for h in self.store.query(brand, qvec, fetch_k) if h.metadata.get("kind") in POST_KINDS]
        if len(hits) < min(k, fetch_k):
            hits = self.store.query(brand, qvec, fetch_k, kinds=POST_KINDS)
        if platform:
            same = [h for h in hits if h.metadata.get("platform") == platform]
            if len(same) < k:
                same += self.store.query(brand, qvec, fetch_k, kinds=POST_KINDS, where={"platform": platform})
            ids = {h.id for h in same}
            # same-platform posts first when relevance ties; other platforms still compete
            hits = list({h.id: h for h in same}.values()) + [h for h in hits if h.id not in ids]
        scored = [(h, h.similarity + PERF_WEIGHT * p) for h, p in zip(hits, performance(hits))]
        if platform:
            scored = [(h, s + (PLATFORM_BONUS if h.metadata.get("platform") == platform else 0.0)) for h, s in scored]
        return [_source(h, s) for h, s in _mmr(scored, k, lambda_mult)]


def performance(hits: Sequence[Hit]) -> list[float]:
    """perf in [0, 1] per hit (see the module docstring)."""
    values = [h.metadata.get("engagement") for h in hits]
    logs = [math.log1p(v) for v in values if isinstance(v, (int, float)) and v >= 0]
    if not logs:
        return [0.5] * len(hits)
    lo = min(logs)
    spread = max(max(logs) - lo, PERF_MIN_SPREAD)
    return [(math.log1p(v) - lo) / spread if isinstance(v, (int, float)) and v >= 0 else 0.5 for v in values]


def _mmr(scored: list[tuple[Hit, float]], k: int, lambda_mult: float) -> list[tuple[Hit, float]]:
    if len(scored) <= 1 or any(h.embedding is None for h, _ in scored):
        return sorted(scored, key=lambda x: -x[1])[:k]
    vecs = np.vstack([h.embedding for h, _ in scored])
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    sims = vecs @ vecs.T
    n = len(scored)
    background = float((sims.sum() - n) / (n * (n - 1)))
    redundancy = np.clip((sims - background) / max(1.0 - background, 1e-6), 0.0, 1.0)
    rel = np.array([s for _, s in scored])
    rel = (rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-6)
    # Greedy picks; each candidate's highest similarity and redundancy to the picked ones are kept
    # up to date with one vector operation per pick (no Python loop over the candidates).
    picked: list[int] = []
    remaining = np.ones(n, dtype=bool)
    closest = np.full(n, -np.inf, dtype=sims.dtype)  # max over picked of sims[i, p]
    penalty = np.zeros(n, dtype=redundancy.dtype)  # max over picked of redundancy[i, p] (it is >= 0)
    while remaining.any() and len(picked) < k:
        pool_mask = remaining
        if picked and lambda_mult < 1.0:
            fresh = remaining & (closest < NEAR_DUPLICATE)
            pool_mask = fresh if fresh.any() else remaining
        pool = np.flatnonzero(pool_mask)  # ascending, as ties were broken before
        best = int(pool[int(np.argmax(lambda_mult * rel[pool] - (1 - lambda_mult) * penalty[pool]))])
        picked.append(best)
        remaining[best] = False
        closest = np.maximum(closest, sims[:, best])
        penalty = np.maximum(penalty, redundancy[:, best])
    return [scored[i] for i in picked]


def _source(hit: Hit, score: float) -> Source:
    return Source(id=hit.id, kind=hit.metadata.get("kind", "post"), text=hit.text, score=float(score),
                  relevance=float(hit.similarity), metadata=hit.metadata)
