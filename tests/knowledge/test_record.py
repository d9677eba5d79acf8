"""The knowledge record's batched writes: new rows in one INSERT, known ones replaced, and the
`pending` flag cleared only for the version the index was given."""

from __future__ import annotations

from assistant.knowledge.parsing import KnowledgeDoc


def _doc(i: int, text: str | None = None) -> KnowledgeDoc:
    return KnowledgeDoc(id=f"d{i:04d}", kind="post", text=text or f"Post numero {i} della bottega",
                        metadata={"kind": "post", "platform": "instagram", "key": f"k{i}", "source": "a.csv"})


def test_a_write_of_new_and_known_documents_records_each_once_with_the_latest_text(services):
    record = services.knowledge.record
    first = [_doc(i) for i in range(1200)]  # more than one chunk of ids
    record.write("lana", add=first)
    again = [_doc(i, f"Testo nuovo {i}") for i in range(1100, 1300)]  # 100 known, 100 new
    record.write("lana", add=again + [_doc(1299, "Ultima versione")])  # an id twice: the last wins
    docs = {d.id: d for d in record.documents("lana")}
    assert len(docs) == 1300
    assert docs["d0000"].text == "Post numero 0 della bottega"
    assert docs["d1150"].text == "Testo nuovo 1150" and docs["d1250"].text == "Testo nuovo 1250"
    assert docs["d1299"].text == "Ultima versione"
    assert record.has_pending("lana") and len(record.pending("lana", 5000)) == 1300


def test_mark_indexed_clears_only_the_versions_the_index_was_given(services):
    record = services.knowledge.record
    v1 = record.write("lana", add=[_doc(i) for i in range(700)])
    v2 = record.write("lana", add=[_doc(5), _doc(650, "cambiato dopo la lettura")])  # rewritten since v1
    record.mark_indexed("lana", [(f"d{i:04d}", v1) for i in range(700)])
    assert sorted(d.id for d, _ in record.pending("lana", 5000)) == ["d0005", "d0650"]
    record.mark_indexed("lana", [("d0005", v2), ("d0650", v2)])
    assert not record.has_pending("lana")
