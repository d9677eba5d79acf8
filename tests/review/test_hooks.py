"""Approved posts become exemplars in their own brand's collection (real Chroma), never another's."""

from __future__ import annotations

import pytest

from assistant.review import ReviewQueue
from tests.conftest import write_brand
from tests.factories import fake_validator

APPROVED = "Tisana alla lavanda dei colli di Bassano, raccolta a mano: da sabato in bottega."
EDITED = "Tisana alla lavanda dei colli di Bassano, raccolta a mano: da domenica in bottega e online."


@pytest.fixture
def wired(services):
    for slug in ("erbe-a", "erbe-b"):
        write_brand(services.settings.brands_dir, slug)
    queue = ReviewQueue.from_services(services, validator=fake_validator)
    yield services, queue
    queue.close()


def approved_texts(services, slug: str, query: str) -> list[str]:
    sources = services.retriever.retrieve(slug, query, k=8, kind="post")
    return [s.text for s in sources if s.kind == "approved"]


def test_approved_post_is_retrieved_for_its_brand_only(wired):
    from tests.factories import make_draft

    services, queue = wired
    item = queue.add_draft(make_draft(APPROVED, brand="erbe-a"), by="Ada", submit=True)
    queue.add_draft(make_draft("Un altro post di B", brand="erbe-b"), by="Ada", submit=True)
    queue.approve(item.id, by="Bea")

    assert approved_texts(services, "erbe-a", "tisana lavanda Bassano") == [APPROVED]
    assert services.knowledge.counts("erbe-a")["approved"] == 1
    hit = services.store.ids_where("erbe-a", {"kind": "approved"})
    meta = next(iter(hit.values()))
    assert (meta["brand"], meta["platform"], meta["source"], meta["item_id"], meta["key"]) == (
        "erbe-a", "instagram", "review-queue", str(item.id), str(item.id))
    assert meta["posted_at"].startswith(queue.get(item.id).approved_at.date().isoformat())
    # brand B: not by query, not by kind, not at all
    assert approved_texts(services, "erbe-b", "tisana lavanda Bassano") == []
    assert all(APPROVED not in s.text for s in services.retriever.retrieve("erbe-b", APPROVED, k=20))
    assert services.knowledge.counts("erbe-b")["approved"] == 0
    assert queue.get(item.id).audit[-1].action == "exemplar_added"


def test_reapproved_edit_replaces_the_exemplar_and_publish_is_idempotent(wired):
    from tests.factories import make_draft

    services, queue = wired
    item = queue.add_draft(make_draft(APPROVED, brand="erbe-a"), by="Ada", submit=True)
    queue.approve(item.id, by="Bea")
    reopened = queue.reopen(item.id, by="Bea", note="cambia il giorno")
    queue.edit(item.id, EDITED, by="Cris", base_version=reopened.version)
    queue.approve(item.id, by="Bea")
    assert approved_texts(services, "erbe-a", "tisana lavanda Bassano") == [EDITED]
    queue.schedule(item.id, queue.get(item.id).approved_at, by="Bea")
    queue.mark_published(item.id, by="Bea", url="https://ig.example/p/7")
    assert services.knowledge.counts("erbe-a")["approved"] == 1
    assert approved_texts(services, "erbe-a", "tisana lavanda Bassano") == [EDITED]


def test_a_failing_exemplar_callback_is_audited_and_the_approval_stands(tmp_path):
    from tests.factories import fake_policy, make_draft

    def broken(item, text):
        raise RuntimeError("chroma is down")

    queue = ReviewQueue(f"sqlite:///{tmp_path}/f.db", validator=fake_validator, brand_policy=fake_policy,
                        on_approved=broken)
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    assert queue.approve(item.id, by="Bea").state == "approved"
    event = queue.get(item.id).audit[-1]
    assert event.action == "exemplar_failed" and "chroma is down" in event.data["error"]
    queue.close()


def test_reopened_item_withdraws_its_exemplar(wired):
    from tests.factories import make_draft

    services, queue = wired
    item = queue.add_draft(make_draft(APPROVED, brand="erbe-a"), by="Ada", submit=True)
    queue.approve(item.id, by="Bea")
    assert services.knowledge.counts("erbe-a")["approved"] == 1
    queue.reopen(item.id, by="Bea", note="il cliente ha cambiato idea")
    assert services.knowledge.counts("erbe-a")["approved"] == 0
    assert approved_texts(services, "erbe-a", "tisana lavanda Bassano") == []
    audit = queue.get(item.id).audit
    assert audit[-1].action == "exemplar_removed" and audit[-1].data == {"removed": 1}
    queue.reject(item.id, by="Bea", note="non si pubblica")
    assert services.knowledge.counts("erbe-a")["approved"] == 0  # a rejected text never speaks for the brand
