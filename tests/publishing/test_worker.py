"""The worker's rounds against the fake network: due posts published, counts read back into the
performance table (matched to the item), a stop honoured between publishes."""

from __future__ import annotations

from assistant.analytics.performance.store import latest
from assistant.publishing.posts import Counts, PublishError
from assistant.publishing.worker import Worker, worker_name
from tests.utils.outbox_desk import desk, net, scheduled_item  # noqa: F401 (fixtures)


def test_a_round_publishes_what_is_due_and_nothing_else(desk):
    due, later = scheduled_item(desk, "Esce tra un'ora"), scheduled_item(desk, "Esce domani", minutes=24 * 60)
    worker = Worker(desk.outbox, name="worker:test:1")
    assert worker.run_once(counts=False).published == 0
    desk.clock.advance(3600)
    report = worker.run_once(counts=False)
    assert (report.published, report.failed, report.retried) == (1, 0, 0)
    assert desk.queue.get(due.id).state == "published" and desk.queue.get(later.id).state == "scheduled"
    assert report.outcomes[0]["job"]["item_id"] == due.id


def test_counts_are_read_back_into_the_performance_table(desk):
    item = scheduled_item(desk)
    desk.clock.advance(3600)
    worker = Worker(desk.outbox, name="worker:test:1", counts_interval=1800)
    worker.run_once(counts=False)
    remote_id = desk.outbox.jobs(item_id=item.id)[0].remote_id
    desk.net.counts[remote_id] = Counts(likes=5, reposts=2, replies=1)
    report = worker.run_once()
    assert report.counts_read and report.counts_posts == 1 and report.counts_stored == 1
    [row] = latest(desk.queue, "lana")
    assert (row["likes"], row["shares"], row["comments"], row["item_id"]) == (5, 2, 1, item.id)
    assert row["matched_by"] == "url" and row["origin"] == "ai_assisted" and row["platform"] == "mastodon"
    assert not worker.counts_due()  # its own schedule: not again before counts_interval
    desk.clock.advance(1800)
    assert worker.counts_due()
    desk.net.counts[remote_id] = Counts(likes=9, reposts=2, replies=1)
    worker.run_once()
    [row] = latest(desk.queue, "lana")  # the same day: the day's measurement is updated, not added
    assert row["likes"] == 9


def test_counts_refused_for_the_token_mark_the_account(desk):
    scheduled_item(desk)
    desk.clock.advance(3600)
    worker = Worker(desk.outbox, name="worker:test:1")
    worker.run_once(counts=False)
    desk.net.script(PublishError("The access token is invalid", transient=False, status=401))
    report = worker.run_once(counts=True)
    assert report.errors and "access token" in report.errors[0]
    assert desk.connections.get(desk.conn.id).status == "needs_reconnect"


def test_a_stop_ends_the_round_between_publishes(desk):
    for n in range(3):
        scheduled_item(desk, f"Post numero {n}")
    desk.clock.advance(3600)
    worker = Worker(desk.outbox, name="worker:test:1")
    original = desk.outbox.run

    def run_then_stop(job, name):
        outcome = original(job, name)
        worker.stop.set()  # SIGTERM arrives during the first publish
        return outcome

    desk.outbox.run = run_then_stop
    report = worker.run_once(counts=True)
    assert report.published == 1 and not report.counts_read
    assert [j.state for j in desk.outbox.jobs()] == ["published", "pending", "pending"]  # nothing left claimed


def test_worker_name_says_host_and_process():
    import os

    name = worker_name()
    assert name.startswith("worker:") and name.endswith(f":{os.getpid()}")


def test_an_unexpected_error_ends_the_round_not_the_worker(desk, monkeypatch):
    scheduled_item(desk)
    desk.clock.advance(3600)
    worker = Worker(desk.outbox, name="worker:test:1")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(desk.outbox, "claim", broken)
    report = worker.run_once(counts=False)
    assert report.errors == ["publishing: OSError: disk full"] and report.published == 0
    monkeypatch.undo()
    assert worker.run_once(counts=False).published == 1
