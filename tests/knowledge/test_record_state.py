"""The brand's state row in the knowledge record is made once even when two transactions make it
at the same moment (two publishing workers' first exemplars on PostgreSQL failed with a unique
violation, leaving a live post unrecorded on its item)."""

from __future__ import annotations

import threading

import pytest

from assistant.db.engine import Database
from assistant.db.models import KnowledgeState
from assistant.knowledge.parsing import KnowledgeDoc, content_id
from assistant.knowledge.record import KnowledgeRecordStore
from tests.factories import PG_SKIP, PG_URL, drop_review_tables


@pytest.fixture
def db():
    """PostgreSQL: two writers at once (SQLite lets one write at a time, so it cannot race here)."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    drop_review_tables(PG_URL)
    database = Database(PG_URL)
    yield database
    database.close()


def test_two_transactions_making_the_brand_s_state_at_once_both_succeed(db):
    store = KnowledgeRecordStore(db)
    start, failures, made = threading.Barrier(2), [], []

    def one() -> None:
        def txn(s) -> None:
            start.wait(10)  # both inside their transaction, neither row there yet
            n = len(made)
            doc = KnowledgeDoc(id=content_id("lana", "approved", str(n), f"testo {n}"), kind="approved",
                               text=f"testo {threading.get_ident()}", metadata={"brand": "lana", "kind": "approved",
                                                                               "key": str(threading.get_ident())})
            store.put_in(s, "lana", doc)
            made.append(doc.id)

        try:
            db.write(txn)
        except Exception as exc:  # noqa: BLE001 - the failure is what this test looks for
            failures.append(repr(exc))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == [] and len(made) == 2
    assert db.read(lambda s: s.query(KnowledgeState).filter_by(brand="lana").count()) == 1
