"""Reading a whole collection back: page by page (one Chroma get of 100,000 posts fails)."""

from __future__ import annotations

import numpy as np

from assistant.knowledge import vectorstore
from assistant.knowledge.parsing import KnowledgeDoc


def test_documents_and_kinds_are_read_whole_across_pages(services, monkeypatch):
    monkeypatch.setattr(vectorstore, "_WRITE_BATCH", 2)  # pages of 10
    docs = [KnowledgeDoc(id=f"p{i:03d}", kind="post" if i % 3 else "guideline", text=f"testo {i}",
                         metadata={"kind": "post" if i % 3 else "guideline", "n": i}) for i in range(47)]
    services.store.upsert("pagine", docs, services.embedder.passages([d.text for d in docs]))
    got = services.store.documents("pagine", ["post", "guideline"])
    assert sorted(i for i, _, _ in got) == [d.id for d in docs]
    assert {i: m["n"] for i, _, m in got} == {d.id: d.metadata["n"] for d in docs}
    ids, texts, metas, vectors = services.store.all_of_kind("pagine", "guideline")
    assert len(ids) == 16 and vectors.shape == (16, services.embedder.dim)
    expected = services.embedder.passages([f"testo {int(i[1:])}" for i in ids])
    assert np.allclose(vectors, expected, atol=1e-5)
