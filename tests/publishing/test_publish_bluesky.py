"""Publishing through the outbox to the reference Bluesky PDS (`@atproto/dev-env` from npm, on
loopback; `tests/utils/atproto_pds.py`): the real Bluesky publisher built from a connected account
(handle, app password, service), the record key derived from the outbox key, so that a retry after
a crash finds the post made instead of making a second one. Skips, saying how to install the PDS,
where it is absent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from assistant.db.engine import utcnow
from assistant.publishing.posts import PostRequest
from tests.factories import approve_new
from tests.utils.outbox_desk import make_desk

pds_module = pytest.importorskip("tests.utils.atproto_pds")
W = "worker:test:1"


@pytest.fixture(scope="module")
def pds():
    reason = pds_module.missing()
    if reason:
        pytest.skip(reason)
    with pds_module.PdsProcess() as server:
        yield server


def test_publish_now_to_bluesky_and_a_retry_after_a_crash_posts_nothing_new(tmp_path, pds):
    d = make_desk(f"sqlite:///{tmp_path}/review.db", utcnow)
    try:
        conn = d.connections.add("lana", "bluesky", secret=pds.app_password, by="root", handle=pds.handle,
                                 base_url=pds.url)
        assert d.connections.test(conn.id, by="ada").last_test_ok is True
        item = approve_new(d.queue, "Sabato laboratorio di maglia in bottega", platform="bluesky")
        [outcome] = d.outbox.publish_now(item.id, by="Ada", worker=W)
        assert outcome.result == "published", outcome.reason
        assert outcome.job.remote_id.startswith("at://") and outcome.job.url.startswith("https://bsky.app/")
        view = d.queue.get(item.id)
        assert view.state == "published" and view.published_url == outcome.job.url
        # a worker made the post and died before recording it: the retry, with the row's key, finds it
        second = approve_new(d.queue, "Domenica mercatino in piazza", platform="bluesky")
        d.queue.schedule(second.id, utcnow() - timedelta(seconds=30), by="Ada")  # due now (within the grace)
        [job] = d.outbox.jobs(item_id=second.id)
        made = d.connections.publisher(conn.id).publish(PostRequest(text="Domenica mercatino in piazza", key=job.key))
        [claimed] = d.outbox.claim(W)
        retried = d.outbox.run(claimed, W)
        assert retried.result == "published" and retried.job.remote_id == made.remote_id  # the same post
        assert d.queue.get(second.id).published_url == made.url
    finally:
        d.queue.close()
