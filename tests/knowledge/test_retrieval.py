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
