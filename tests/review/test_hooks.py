"""Approved posts become exemplars in their own brand's collection (real Chroma), never another's."""

from __future__ import annotations

import pytest

from assistant.review import ReviewQueue
from tests.conftest import write_brand
from tests.factories import add_people, fake_validator

APPROVED = "Tisana alla lavanda dei colli di Bassano, raccolta a mano: da sabato in bottega."
EDITED = "Tisana alla lavanda dei colli di Bassano, raccolta a mano: da domenica in bottega e online."


@pytest.fixture
def wired(services):
    for slug in ("erbe-a", "erbe-b"):
        write_brand(services.settings.brands_dir, slug)
    queue = add_people(ReviewQueue.from_services(services, validator=fake_validator))
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
    hit = {d.id: d.metadata for d in services.knowledge.record.documents("erbe-a", kinds=["approved"])}
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


def test_an_index_failure_after_the_approval_leaves_the_exemplar_recorded_and_pending(services):
    """The approval and its exemplar are one unit in the record; the index catches up later."""
    from tests.factories import make_draft

    queue = add_people(ReviewQueue.from_services(services, validator=fake_validator))
    item = queue.add_draft(make_draft("Nuova lana in bottega", brand="bottega-pasubio"), by="Ada", submit=True)
    real_index = queue.exemplars.index
    queue.exemplars.index = lambda brand: (_ for _ in ()).throw(RuntimeError("chroma is down"))
    assert queue.approve(item.id, by="Bea").state == "approved"
    actions = [e.action for e in queue.get(item.id).audit]
    assert actions[-2:] == ["approve", "exemplar_added"]  # both, in the same transaction
    record = services.knowledge.record
    assert record.counts("bottega-pasubio")["approved"] == 1 and record.has_pending("bottega-pasubio")
    real_index("bottega-pasubio")  # the next sync (next start, ingest or doctor) indexes it
    assert not record.has_pending("bottega-pasubio")
    assert services.store.count("bottega-pasubio", ["approved"]) == 1
    queue.close()


def test_a_failure_recording_the_exemplar_fails_the_approval(services):
    """Both or neither: nothing is approved when its exemplar cannot be recorded."""
    from tests.factories import make_draft

    queue = add_people(ReviewQueue.from_services(services, validator=fake_validator))
    item = queue.add_draft(make_draft("Nuova lana in bottega", brand="bottega-pasubio"), by="Ada", submit=True)

    def broken(s, public, text):
        raise RuntimeError("disk full")

    queue.exemplars.record = broken
    with pytest.raises(RuntimeError, match="disk full"):
        queue.approve(item.id, by="Bea")
    view = queue.get(item.id)
    assert view.state == "in_review" and "approve" not in [e.action for e in view.audit]
    assert services.knowledge.record.counts("bottega-pasubio").get("approved", 0) == 0
    queue.close()
