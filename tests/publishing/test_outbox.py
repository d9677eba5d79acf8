"""The outbox's logic against the fake network: rows made when scheduling, claimed when due,
published exactly once with the same key on every retry, failures recorded with their reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.errors import IllegalTransition, InvalidRequest
from assistant.publishing.posts import PublishError
from tests.factories import approve_new, db_url  # noqa: F401 (fixture)
from tests.utils.outbox_desk import desk, net, scheduled_item  # noqa: F401 (fixtures)

W = "worker:test:1"


def test_scheduling_commits_the_row_and_its_key_before_any_network_call(desk):
    item = scheduled_item(desk)
    [job] = desk.outbox.jobs(item_id=item.id)
    assert job.state == "pending" and len(job.key) == 32 and job.due_at == item.scheduled_for
    assert job.scheduled_by == "Ada" and job.scheduled_by_id is not None
    assert desk.net.calls == []  # nothing sent yet
    assert desk.outbox.claim(W) == []  # not due before its time
    desk.clock.advance(3600)
    [claimed] = desk.outbox.claim(W)
    assert claimed.id == job.id and claimed.claimed_by == W and claimed.attempts == 1
    assert desk.outbox.claim("worker:other:2") == []  # leased: nobody else gets it


def test_a_due_row_is_published_once_and_the_item_says_where(desk):
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    outcome = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert outcome.result == "published" and outcome.job.remote_id == "1"
    view = desk.queue.get(item.id)
    assert view.state == "published" and view.published_url == "https://social.example/@brand/1"
    event = view.audit[-1]
    assert event.action == "publish" and event.actor == W and event.actor_id is None
    assert event.data["remote_id"] == "1" and event.data["scheduled_by"] == "Ada"
    assert event.data["key"] == outcome.job.key
    assert desk.outbox.claim(W) == []  # published: never again
    assert desk.net.calls == [("publish", outcome.job.key)]


def test_rescheduling_moves_the_waiting_row_and_keeps_its_key(desk):
    item = scheduled_item(desk)
    [before] = desk.outbox.jobs(item_id=item.id)
    later = desk.queue.schedule(item.id, desk.clock() + timedelta(hours=5), by="Bea")
    [after] = desk.outbox.jobs(item_id=item.id)
    assert after.id == before.id and after.key == before.key and after.due_at == later.scheduled_for
    desk.clock.advance(3600)
    assert desk.outbox.claim(W) == []


def test_a_brand_without_connected_accounts_schedules_exactly_as_before(desk):
    item = scheduled_item(desk, brand="other-brand")
    assert item.state == "scheduled" and desk.outbox.jobs(item_id=item.id) == []
    instagram = scheduled_item(desk, "Un post per Instagram", platform="instagram")
    assert instagram.state == "scheduled" and desk.outbox.jobs(item_id=instagram.id) == []


def test_transient_error_retries_later_with_the_same_key(desk):
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    desk.net.script(PublishError("503 Service Unavailable", transient=True, status=503))
    first = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert first.result == "retry" and first.job.state == "pending" and first.job.last_error == "503 Service Unavailable"
    assert first.job.next_attempt_at == desk.clock() + timedelta(seconds=10)  # retry_seconds, jitter 1.0
    assert desk.outbox.claim(W) == []  # not before its next attempt
    desk.clock.advance(10)
    second = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert second.result == "published" and second.job.attempts == 2
    keys = [key for method, key in desk.net.calls if method == "publish"]
    assert keys == [first.job.key, first.job.key] and len(desk.net.posts) == 1
    assert desk.queue.get(item.id).state == "published"


def test_lost_answer_then_retry_makes_one_post(desk):
    scheduled_item(desk)
    desk.clock.advance(3600)
    desk.net.script("drop")  # the network made the post, the answer never came
    assert desk.outbox.run(desk.outbox.claim(W)[0], W).result == "retry"
    desk.clock.advance(60)
    assert desk.outbox.run(desk.outbox.claim(W)[0], W).result == "published"
    assert len(desk.net.posts) == 1


def test_backoff_doubles_is_capped_and_honours_retry_after(desk):
    ob = desk.outbox
    assert [ob.backoff(n) for n in (1, 2, 3)] == [10.0, 20.0, 40.0]
    assert ob.backoff(30) == 600.0  # capped
    assert ob.backoff(1, retry_after=120) == 120.0
    ob.jitter = lambda: 0.0
    assert ob.backoff(2) == 10.0  # jitter: half to all of the delay


def test_retry_after_is_honoured(desk):
    scheduled_item(desk)
    desk.clock.advance(3600)
    desk.net.script(PublishError("slow down", transient=True, status=429, retry_after=300))
    outcome = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert outcome.job.next_attempt_at == desk.clock() + timedelta(seconds=300)


def test_after_the_last_attempt_the_item_fails_with_the_reason(desk):
    desk.outbox.max_attempts = 2
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    desk.net.script(*[PublishError("502 Bad Gateway", transient=True, status=502)] * 2)
    assert desk.outbox.run(desk.outbox.claim(W)[0], W).result == "retry"
    desk.clock.advance(600)
    last = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert last.result == "failed" and "after 2 attempts" in last.reason
    view = desk.queue.get(item.id)
    assert view.state == "publish_failed" and "502 Bad Gateway" in view.audit[-1].note


def test_revoked_token_fails_the_post_marks_the_account_and_stops_trying(desk):
    first, second = scheduled_item(desk, "Primo post"), scheduled_item(desk, "Secondo post")
    desk.clock.advance(3600)
    desk.net.revoked = True
    outcome = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert outcome.result == "failed" and "revoked" in outcome.reason
    assert desk.queue.get(first.id).state == "publish_failed"
    conn = desk.connections.get(desk.conn.id)
    assert conn.status == "needs_reconnect" and "revoked" in conn.status_reason
    calls = len(desk.net.calls)
    desk.clock.advance(86400)
    assert desk.outbox.claim(W) == []  # the second post waits: no retry storm against a revoked token
    assert len(desk.net.calls) == calls
    assert desk.queue.get(second.id).state == "scheduled"
    # fixed: the account reconnected with a new token, the waiting post goes out
    desk.net.revoked = False
    desk.connections.reconnect(desk.conn.id, secret="a-new-token", by="root")
    assert desk.outbox.run(desk.outbox.claim(W)[0], W).result == "published"
    assert desk.queue.get(second.id).state == "published"


def test_permanent_failure_notifies_the_brands_editors(desk):
    from assistant.publishing.notifications import Notifications

    item = scheduled_item(desk)
    desk.clock.advance(3600)
    desk.net.script(PublishError("Validation failed: Text character limit of 500 exceeded", transient=False,
                                 status=422))
    desk.outbox.run(desk.outbox.claim(W)[0], W)
    notes = Notifications(desk.queue)
    [note] = notes.unread("ada")
    assert note.kind == "publish_failed" and note.item_id == item.id
    assert "character limit" in note.message("en") and f"#{item.id}" in note.message("it")
    assert desk.connections.get(desk.conn.id).status == "active"  # not the account's fault
    assert notes.mark_read("ada") == 1 and notes.unread("ada") == [] and len(notes.unread("bea")) == 1


def test_rescheduling_a_failed_item_starts_a_new_round_with_a_new_key(desk):
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    desk.net.script(PublishError("media rejected", transient=False, status=422))
    failed = desk.outbox.run(desk.outbox.claim(W)[0], W).job
    again = desk.queue.schedule(item.id, desk.clock() + timedelta(minutes=5), by="Ada")
    assert again.state == "scheduled"
    rows = desk.outbox.jobs(item_id=item.id)
    assert [(r.round, r.state) for r in rows] == [(1, "failed"), (2, "pending")] and rows[1].key != failed.key


def test_an_expired_lease_is_claimed_again_with_the_same_key(desk):
    scheduled_item(desk)
    desk.clock.advance(3600)
    [dead] = desk.outbox.claim("worker:killed:9")  # its worker dies without a word
    assert desk.outbox.claim(W) == []
    desk.clock.advance(61)  # lease_seconds=60
    [again] = desk.outbox.claim(W)
    assert again.id == dead.id and again.key == dead.key and again.attempts == 2
    assert desk.outbox.run(again, W).result == "published"


def test_an_archived_item_is_not_published(desk):
    item = scheduled_item(desk)
    desk.queue.archive(item.id, by="Ada")
    desk.clock.advance(3600)
    outcome = desk.outbox.run(desk.outbox.claim(W)[0], W)
    assert outcome.result == "cancelled" and "archived" in outcome.reason and desk.net.calls == []


def test_publish_now(desk):
    item = approve_new(desk.queue, "Subito online", platform="mastodon")
    [outcome] = desk.outbox.publish_now(item.id, by="Ada", worker=W)
    assert outcome.result == "published"
    view = desk.queue.get(item.id)
    assert view.state == "published" and view.published_url == outcome.job.url
    assert outcome.job.scheduled_by == "Ada"
    with pytest.raises(IllegalTransition):
        desk.outbox.publish_now(item.id, by="Ada", worker=W)  # published already
    assert len(desk.net.posts) == 1


def test_publish_now_needs_an_account_and_the_role(desk):
    other = approve_new(desk.queue, "Per un altro brand", brand="other-brand", platform="mastodon")
    with pytest.raises(InvalidRequest, match="no connected mastodon account"):
        desk.outbox.publish_now(other.id, by="Ada", worker=W)
    desk.queue.people.add("vera", name="Vera", grants=[("viewer", None)], by=desk.queue.people.actor("root"))
    item = approve_new(desk.queue, "Solo chi pubblica", platform="mastodon")
    from assistant.accounts.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        desk.outbox.publish_now(item.id, by="vera", worker=W)
    assert desk.outbox.jobs(item_id=item.id) == [] and desk.net.calls == []


def test_removing_the_account_cancels_its_waiting_posts(desk):
    item = scheduled_item(desk)
    desk.connections.remove(desk.conn.id, by="root")
    [job] = desk.outbox.jobs(item_id=item.id)
    assert job.state == "cancelled"
    desk.clock.advance(3600)
    assert desk.outbox.claim(W) == []


def test_a_claimed_post_whose_account_was_refused_meanwhile_waits_untried(desk):
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    [job] = desk.outbox.claim(W)
    desk.connections.needs_reconnect(desk.conn.id, "The access token is invalid")
    outcome = desk.outbox.run(job, W)
    assert outcome.result == "waiting" and outcome.job.state == "pending" and outcome.job.attempts == 0
    assert desk.net.calls == [] and desk.queue.get(item.id).state == "scheduled"


def test_a_post_that_went_live_is_recorded_even_if_the_item_cannot_be_updated(desk, monkeypatch):
    item = scheduled_item(desk)
    desk.clock.advance(3600)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(desk.queue, "mark_published", broken)
    with pytest.raises(RuntimeError):
        desk.outbox.run(desk.outbox.claim(W)[0], W)
    [job] = desk.outbox.jobs(item_id=item.id)
    assert job.state == "published" and job.remote_id == "1"  # never posted a second time
    assert desk.queue.get(item.id).state == "scheduled"  # the item did not hear of it
    desk.clock.advance(86400)
    assert desk.outbox.claim(W) == []
    monkeypatch.undo()  # the database is back: the worker's next round records the post on its item

    from assistant.publishing.worker import Worker

    report = Worker(desk.outbox, name="worker:test:2", clock=desk.clock).run_once(counts=False)
    assert report.reconciled == 1 and report.published == 0 and report.errors == []
    view = desk.queue.get(item.id)
    assert view.state == "published" and view.published_url == "https://social.example/@brand/1"
    event = view.audit[-1]
    assert event.action == "publish" and event.actor == "worker:test:2"
    assert event.data["worker"] == W and event.data["reconciled_by"] == "worker:test:2"
    assert event.data["remote_id"] == "1" and event.data["key"] == job.key
    assert desk.net.calls == [("publish", job.key)]  # nothing was sent again
    again = Worker(desk.outbox, name="worker:test:2", clock=desk.clock).run_once(counts=False)
    assert again.reconciled == 0  # once recorded, nothing is left to reconcile


def test_reconciling_leaves_an_item_that_moved_on(desk, monkeypatch):
    """A live post whose item was archived meanwhile is not forced onto it."""
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    monkeypatch.setattr(desk.queue, "mark_published", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("away")))
    with pytest.raises(RuntimeError):
        desk.outbox.run(desk.outbox.claim(W)[0], W)
    monkeypatch.undo()
    desk.queue.archive(item.id, by="Ada")
    assert desk.outbox.unrecorded() == [] and desk.outbox.reconcile(W) == []
    assert desk.queue.get(item.id).state == "scheduled" and desk.queue.get(item.id).archived


def test_concurrent_claims_never_share_a_row(db_url, net):
    """Four threads claiming over the same 20 due rows: every row leased exactly once (PostgreSQL:
    FOR UPDATE SKIP LOCKED; SQLite: one writer at a time and the conditional UPDATE)."""
    import threading

    from tests.factories import Clock
    from tests.utils.outbox_desk import make_desk

    d = make_desk(db_url, Clock())
    try:
        d.connections.add("lana", "mastodon", secret="t", by="root", base_url="https://social.example")
        for n in range(20):
            scheduled_item(d, f"Post {n}")
        d.clock.advance(3600)
        won: dict[str, list[int]] = {}

        def claim_all(name: str) -> None:
            mine = won.setdefault(name, [])
            while claimed := d.outbox.claim(name, limit=3):
                mine.extend(j.id for j in claimed)

        threads = [threading.Thread(target=claim_all, args=(f"worker:t:{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        every = [i for ids in won.values() for i in ids]
        assert sorted(every) == sorted(j.id for j in d.outbox.jobs()) and len(every) == 20
        assert {j.state for j in d.outbox.jobs()} == {"claimed"}
    finally:
        d.queue.close()
