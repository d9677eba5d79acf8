"""Embeddings and a brand's data policy: with the OpenAI embedding model (ASSISTANT_EMBEDDING=openai),
a brand that does not allow `openai` is refused before anything is embedded, when indexing (its
files, an upload, a sync) and when retrieving (the query), and before a draft retrieves anything."""

from __future__ import annotations

import pytest

from assistant.drafting.providers import FakeProvider
from assistant.drafting.schemas import DraftRequest
from assistant.errors import ProviderNotAllowed
from assistant.knowledge.embeddings import (CachedEmbedder, HashingEmbedder, LocalE5Embedder, OpenAIEmbedder,
                                           check_embedder)
from assistant.services import Services
from tests.factories import add_people
from tests.utils.openai_server import ScriptedServer
from tests.utils.policy import restrict

LOCAL_ONLY = "bottega-pasubio"
OPEN = "paycairn"  # no policy in its brand.yaml: every provider allowed


def openai_services(settings, base_url: str) -> Services:
    """Services whose embedder is OpenAI's, sent to `base_url` (a loopback server) instead of api.openai.com."""
    inner = OpenAIEmbedder("text-embedding-3-small", "sk-test-not-real", base_url=base_url)
    return Services(settings, embedder=CachedEmbedder(inner, settings.cache_dir / "embeddings.sqlite"))


def test_each_embedder_says_where_its_texts_go(tmp_path):
    assert (LocalE5Embedder.provider, HashingEmbedder.provider) == ("local", "fake")
    remote = OpenAIEmbedder("text-embedding-3-small", "sk-test-not-real", base_url="http://127.0.0.1:9/v1")
    cached = CachedEmbedder(remote, tmp_path / "e.sqlite")
    assert (cached.provider, cached.base_url) == ("openai", "http://127.0.0.1:9/v1")
    from assistant.brands import BrandProfile

    local_only = BrandProfile(slug="x", name="X", language="it", voice="v", allowed_providers=["local"])
    check_embedder(local_only, CachedEmbedder(HashingEmbedder(), tmp_path / "h.sqlite"))
    check_embedder(local_only, LocalE5Embedder())
    with pytest.raises(ProviderNotAllowed) as err:
        check_embedder(local_only, cached)
    assert err.value.code == "embedding_refused"
    openai_only = BrandProfile(slug="x", name="X", language="it", voice="v", allowed_providers=["openai"])
    with pytest.raises(ProviderNotAllowed):
        check_embedder(openai_only, LocalE5Embedder())  # the local model is "local", like any provider


def test_a_local_only_brand_is_never_embedded_by_openai(settings, network_guard):
    restrict(settings.brands_dir, LOCAL_ONLY, allowed_providers=["local"])
    with ScriptedServer() as srv:
        svc = openai_services(settings, srv.base_url)
        add_people(svc.review, ["Ada"], role="editor")
        ada = svc.people.actor("ada")
        # control: a brand without a policy is embedded by the same server
        assert svc.knowledge.index_brand(svc.brand(OPEN)).added > 0
        sent = len(srv.requests)
        assert sent > 0 and all("input" in r for r in srv.requests)
        with pytest.raises(ProviderNotAllowed) as err:
            svc.knowledge.index_brand(svc.brand(LOCAL_ONLY), by=ada)
        assert err.value.code == "embedding_refused" and "ASSISTANT_EMBEDDING" in str(err.value)
        with pytest.raises(ProviderNotAllowed):
            svc.knowledge.ingest_bytes(LOCAL_ONLY, "text\nIl segreto del cliente\n".encode(), "nuovi.csv",
                                       platform="instagram", by=ada)
        with pytest.raises(ProviderNotAllowed):
            svc.knowledge.ingest_files(svc.brand(LOCAL_ONLY))
        svc.knowledge.record.write(LOCAL_ONLY, add=_one_doc())  # recorded, waiting for the index
        with pytest.raises(ProviderNotAllowed):
            svc.knowledge.index.sync(LOCAL_ONLY)
        with pytest.raises(ProviderNotAllowed):
            svc.retriever.retrieve(LOCAL_ONLY, "Il segreto del cliente")
        fake = FakeProvider()
        with pytest.raises(ProviderNotAllowed, match="embedding model"):
            svc.drafter(provider=fake, actor=ada).draft(DraftRequest(
                brand=LOCAL_ONLY, platforms=["instagram"], brief="Il segreto del cliente: nuova collezione"))
        assert fake.calls == []  # refused before retrieval, so before the prompt too
        assert len(srv.requests) == sent  # nothing of the local-only brand reached the server
    assert "segreto" not in repr(srv.requests) and not svc.store.has_collection(LOCAL_ONLY)
    assert network_guard.attempts == []
    refusals = [e for e in svc.people.events() if e.action == "provider_refused"]
    assert {e.data["use"] for e in refusals} == {"embeddings"} and all(e.data["brand"] == LOCAL_ONLY for e in refusals)
    assert {e.actor_id for e in refusals} == {ada.user_id, None}  # who asked, where the caller says
    assert all(e.data["provider"] == "openai" and e.data["host"] == f"127.0.0.1:{srv.port}" for e in refusals)


def test_assistant_embedding_openai_refuses_before_any_connection(settings, network_guard, monkeypatch):
    """The configured path (build_embedder, OpenAI's own address): refused before a DNS lookup."""
    from assistant.settings import load_settings

    restrict(settings.brands_dir, LOCAL_ONLY, allowed_providers=["local"])
    monkeypatch.setenv("ASSISTANT_EMBEDDING", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    svc = Services(load_settings(home=settings.home, brands_dir=settings.brands_dir))
    assert svc.embedder.provider == "openai" and svc.embedder.base_url is None
    with pytest.raises(ProviderNotAllowed, match="'openai' embedding model"):
        svc.knowledge.index_brand(svc.brand(LOCAL_ONLY))
    with pytest.raises(ProviderNotAllowed):
        svc.retriever.retrieve(LOCAL_ONLY, "lana")
    assert network_guard.attempts == []  # no lookup of api.openai.com, no connection


def _one_doc():
    from assistant.knowledge.parsing import KnowledgeDoc, content_id

    text = "Il segreto del cliente, registrato ma non ancora indicizzato"
    return [KnowledgeDoc(id=content_id(LOCAL_ONLY, "post", "instagram", text), kind="post", text=text,
                         metadata={"brand": LOCAL_ONLY, "kind": "post", "platform": "instagram", "key": "k1",
                                   "source": "t.csv"})]


def test_the_offline_model_uses_a_second_core_only_for_bulk_indexing(local_embedder, monkeypatch):
    """Automatic threads: one for a query or a few texts, two for an upload's batches (on a machine
    with two cores or more); an explicit ASSISTANT_EMBEDDING_THREADS wins. The vectors do not depend
    on the thread count."""
    import os

    import numpy as np

    from assistant.knowledge.embeddings import LocalUSEEmbedder

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    auto = LocalUSEEmbedder()
    assert auto.threads_for(1) == 1 and auto.threads_for(auto.BULK - 1) == 1 and auto.threads_for(auto.BULK) == 2
    assert LocalUSEEmbedder(threads=3).threads_for(1) == 3
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert auto.threads_for(500) == 1
    texts = [f"La bottega di Schio apre il laboratorio numero {i} sabato mattina" for i in range(LocalUSEEmbedder.BULK)]
    one, two = LocalUSEEmbedder(threads=1).passages(texts), LocalUSEEmbedder(threads=2).passages(texts)
    assert one.shape == (len(texts), 512) and np.allclose(one, two, atol=1e-4)
