"""Retrieval ranking: diversity, performance weighting, kinds, platform preference."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.knowledge.parsing import KnowledgeDoc, content_id
from assistant.knowledge.retrieval import PERF_WEIGHT, performance
from assistant.knowledge.vectorstore import Hit
from tests.conftest import write_brand


def _post(brand: str, text: str, engagement: int | None = None, platform: str = "instagram") -> KnowledgeDoc:
    meta = {"brand": brand, "kind": "post", "platform": platform, "source": "t.csv", "key": text}
    if engagement is not None:
        meta["engagement"] = engagement
    return KnowledgeDoc(id=content_id(brand, "post", platform, text), kind="post", text=text, metadata=meta)


def _index(services, slug, docs):
    write_brand(services.settings.brands_dir, slug)
    services.store.upsert(slug, docs, services.embedder.passages([d.text for d in docs]))


def test_near_duplicates_do_not_fill_the_context(services):
    promo = "Saldi di fine stagione sui maglioni di lana in bottega"
    dups = [_post("b", f"{promo}{suffix}") for suffix in ("", "!", " !!", ".", " ...")]
    others = [_post("b", "Maglioni di lana: come lavarli a mano senza infeltrirli"),
              _post("b", "La lana della bottega arriva dalle pecore del Pasubio")]
    _index(services, "b", dups + others)
    texts = [s.text for s in services.retriever.retrieve("b", promo, k=3, kind="post")]
    assert sum(t.startswith(promo) for t in texts) == 1, texts
    plain = [s.text for s in services.retriever.retrieve("b", promo, k=3, kind="post", lambda_mult=1.0)]
    assert sum(t.startswith(promo) for t in plain) == 3  # without MMR they would


def test_better_performing_post_ranks_first_at_similar_relevance(services):
    a = _post("b", "Nuovo pane ai cereali in forno oggi", engagement=5)
    b = _post("b", "Nuovo pane ai cereali in forno oggi!", engagement=2000)
    _index(services, "b", [a, b])
    results = services.retriever.retrieve("b", "Nuovo pane ai cereali in forno oggi", k=2, kind="post", lambda_mult=1.0)
    assert [r.text for r in results][0] == b.text
    assert results[0].score == pytest.approx(results[0].relevance + PERF_WEIGHT * 1.0, abs=1e-6)


def test_performance_scaling():
    def hit(e):
        return Hit(id=str(e), text="", metadata={} if e is None else {"engagement": e}, similarity=0.9, embedding=None)

    assert performance([hit(0), hit(1)])[1] < 0.2  # 1 like against 0 is not a star post
    perf = performance([hit(10), hit(10_000), hit(None)])
    assert perf[0] == 0 and perf[1] == 1 and perf[2] == 0.5
    assert performance([hit(None)]) == [0.5]


def test_kinds_and_platform_preference(services):
    docs = [_post("b", "Caffè e brioche al bar della piazza", platform="x"),
            _post("b", "Caffè e brioche al bar della piazza", platform="linkedin")]
    guide = KnowledgeDoc(id="g1", kind="guideline", text="Il caffè si scrive con l'accento.",
                         metadata={"brand": "b", "kind": "guideline", "source": "g.md", "heading": "Ortografia"})
    _index(services, "b", docs + [guide])
    only_posts = services.retriever.retrieve("b", "caffè", k=5, kind="post")
    assert {r.kind for r in only_posts} == {"post"}
    only_guides = services.retriever.retrieve("b", "caffè", k=5, kind="guideline")
    assert [r.id for r in only_guides] == ["g1"] and only_guides[0].metadata["heading"] == "Ortografia"
    both = services.retriever.retrieve("b", "caffè", k=5)
    assert {r.kind for r in both} == {"post", "guideline"}
    linkedin_first = services.retriever.retrieve("b", "Caffè e brioche al bar della piazza", k=2, kind="post",
                                                 platform="linkedin", lambda_mult=1.0)
    assert linkedin_first[0].metadata["platform"] == "linkedin"
    x_first = services.retriever.retrieve("b", "Caffè e brioche al bar della piazza", k=2, kind="post",
                                          platform="x", lambda_mult=1.0)
    assert x_first[0].metadata["platform"] == "x"


def test_empty_query_and_empty_brand(services):
    write_brand(services.settings.brands_dir, "vuoto")
    assert services.retriever.retrieve("vuoto", "   ") == []
    assert services.retriever.retrieve("vuoto", "qualcosa") == []


def test_sources_carry_what_the_ui_shows(services):
    doc = _post("b", "Post " * 80, engagement=12)
    _index(services, "b", [doc])
    src = services.retriever.retrieve("b", "Post", k=1, kind="post")[0]
    assert len(src.snippet) <= 160 and src.snippet.endswith("...")
    d = src.as_dict()
    assert set(d) == {"id", "kind", "score", "relevance", "text", "metadata"}
    assert d["metadata"]["engagement"] == 12 and d["metadata"]["brand"] == "b"
    assert isinstance(src.relevance, float) and np.isfinite(src.score)


def test_another_process_s_guideline_change_is_seen_within_the_count_ttl(services, monkeypatch):
    """Guideline passages are cached per collection generation; a write by this process shows at
    once, one by another process (another VectorStore on the same folder) once COUNT_TTL passed."""
    from assistant.knowledge import vectorstore
    from assistant.knowledge.vectorstore import VectorStore

    def guideline(text: str) -> KnowledgeDoc:
        meta = {"brand": "g", "kind": "guideline", "source": "voce.md", "key": text}
        return KnowledgeDoc(id=content_id("g", "guideline", "", text), kind="guideline", text=text, metadata=meta)

    first = guideline("Diamo del tu ai clienti, sempre.")
    _index(services, "g", [first])
    ask = lambda: [s.text for s in services.retriever.retrieve("g", "come ci rivolgiamo ai clienti", kind="guideline")]  # noqa: E731
    assert ask() == [first.text]
    monkeypatch.setattr(vectorstore, "COUNT_TTL", 3600.0)
    other = VectorStore(services.settings, services.embedder)  # as in the CLI, while the app runs
    late = guideline("Mai usare il lei nelle risposte ai clienti.")
    other.upsert("g", [late], services.embedder.passages([late.text]))
    assert late.text not in ask()  # within the TTL: the cached passages
    monkeypatch.setattr(vectorstore, "COUNT_TTL", 0.0)  # the TTL has passed
    assert late.text in ask()
    services.store.upsert("g", [guideline("Emoji: al massimo una.")], services.embedder.passages(["Emoji: al massimo una."]))
    assert "Emoji: al massimo una." in ask()  # this process's own write: at once


def test_mmr_picks_what_the_textbook_greedy_loop_picks():
    """The vectorised MMR against the plain definition: at each step the candidate with the best
    lambda * relevance - (1 - lambda) * (max redundancy to the picked), near-duplicates of a picked
    one left out while others remain; on random hits with near-duplicate clusters and ties."""
    from assistant.knowledge import retrieval

    def plain(scored, k, lam):
        vecs = np.vstack([h.embedding for h, _ in scored])
        vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
        sims, n = vecs @ vecs.T, len(scored)
        background = float((sims.sum() - n) / (n * (n - 1)))
        red = np.clip((sims - background) / max(1.0 - background, 1e-6), 0.0, 1.0)
        rel = np.array([s for _, s in scored])
        rel = (rel - rel.min()) / max(float(rel.max() - rel.min()), 1e-6)
        picked, remaining = [], list(range(n))
        while remaining and len(picked) < k:
            pool = remaining
            if picked and lam < 1.0:
                pool = [i for i in remaining if max(sims[i, p] for p in picked) < retrieval.NEAR_DUPLICATE] or remaining
            value = [lam * rel[i] - (1 - lam) * (max(red[i, p] for p in picked) if picked else 0.0) for i in pool]
            best = pool[int(np.argmax(value))]
            picked.append(best)
            remaining.remove(best)
        return [scored[i] for i in picked]

    rng = np.random.default_rng(7)
    for trial in range(60):
        n = int(rng.integers(2, 40))
        base = rng.standard_normal((max(2, n // 3), 16))
        vecs = base[rng.integers(0, len(base), n)] + rng.normal(0, [0.001, 0.3][trial % 2], (n, 16))
        scores = np.round(rng.random(n), 1)  # ties on purpose
        hits = [(Hit(id=f"h{i}", text="", metadata={}, similarity=float(s), embedding=v.astype(np.float32)), float(s))
                for i, (v, s) in enumerate(zip(vecs, scores))]
        for lam in (0.0, 0.5, 0.7, 1.0):
            k = int(rng.integers(1, n + 1))
            assert [h.id for h, _ in retrieval._mmr(hits, k, lam)] == [h.id for h, _ in plain(hits, k, lam)]
