"""Exactly once with real processes: `assistant worker` subprocesses against the Mastodon test
server (a loopback stand-in written from Mastodon's API documentation, not Mastodon itself).

- A worker SIGKILLed while its publish is in flight (the server made the status, the answer is held
  back by a relay), then a new worker: the lease expires, the retry sends the same
  `Idempotency-Key`, and the item has exactly one status.
- Two workers racing over the same due items: each item published exactly once (SQLite here;
  PostgreSQL with `FOR UPDATE SKIP LOCKED` when ASSISTANT_TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from assistant.db.engine import utcnow
from assistant.publishing.connections import Connections
from assistant.publishing.outbox import Outbox, ScheduleHook
from assistant.publishing.vault import Vault
from assistant.review import ReviewQueue
from tests.factories import PG_SKIP, PG_URL, add_people, drop_review_tables, fake_policy, fake_validator, make_draft
from tests.utils.mastodon_server import MastodonServer
from tests.utils.relay import Relay

REPO = Path(__file__).resolve().parents[2]
BRAND = "bottega-pasubio"


class Setup:
    def __init__(self, url: str, tmp_path: Path, brands_dir: Path) -> None:
        self.url, self.key = url, Fernet.generate_key().decode()
        self.queue = add_people(ReviewQueue(url, validator=fake_validator, brand_policy=fake_policy,
                                            scheduling=ScheduleHook(utcnow)))
        self.connections = Connections(self.queue, lambda: Vault(self.key))
        self.outbox = Outbox(self.queue, self.connections)
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "ASSISTANT_HOME": str(tmp_path / "home"),
                    "ASSISTANT_BRANDS_DIR": str(brands_dir), "ASSISTANT_EMBEDDING": "fake",
                    "ASSISTANT_DATABASE_URL": url, "ASSISTANT_SECRETS_KEY": self.key,
                    "ASSISTANT_PUBLISH_LEASE_SECONDS": "3", "ASSISTANT_PUBLISH_RETRY_SECONDS": "0.2",
                    "ASSISTANT_COUNTS_INTERVAL_SECONDS": "3600"}
        self.procs: list[subprocess.Popen] = []

    def due_items(self, n: int) -> list[int]:
        ids = []
        for i in range(n):
            item = self.queue.add_draft(make_draft(f"Post numero {i} dalla bottega", brand=BRAND, platform="mastodon"),
                                        by="Ada", submit=True)
            self.queue.approve(item.id, by="Bea")
            self.queue.schedule(item.id, utcnow() - timedelta(seconds=30), by="Ada")  # due (within the grace)
            ids.append(item.id)
        return ids

    def worker(self) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", "from assistant.cli import main; main()", "worker",
                                 "--interval", "0.2"], cwd=REPO, env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def wait_published(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.queue.get(i).state == "published" for i in ids):
                return
            dead = [p for p in self.procs if p.poll() not in (None, 0, -signal.SIGKILL)]
            if dead:
                pytest.fail("a worker died: " + "".join(p.stderr.read() for p in dead))
            time.sleep(0.3)
        states = [self.queue.get(i).state for i in ids]
        self.stop()
        said = "".join((p.stderr.read() or "")[-3000:] for p in self.procs)
        pytest.fail(f"not published in {timeout:.0f} s: {states}; jobs {[(j.item_id, j.state, j.attempts, j.last_error) for j in self.outbox.jobs() if j.state != 'published' or self.queue.get(j.item_id).state != 'published']}; workers said: {said}")

    def stop(self) -> list[int | None]:
        """SIGTERM to the workers still running; their exit codes (those killed before: -9)."""
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(30))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(None)
        return codes


@pytest.fixture
def sqlite_setup(tmp_path, brands_dir):
    s = Setup(f"sqlite:///{tmp_path}/copydesk.db", tmp_path, brands_dir)
    yield s
    s.stop()
    s.queue.close()


def test_a_worker_killed_mid_publish_then_restarted_publishes_once(sqlite_setup):
    s = sqlite_setup
    with MastodonServer() as srv, Relay(int(srv.url.rsplit(":", 1)[1])) as relay:
        s.connections.add(BRAND, "mastodon", secret=srv.token, by="root", base_url=relay.url)
        [item_id] = s.due_items(1)
        relay.holding.set()
        first = s.worker()
        deadline = time.monotonic() + 60
        while not (relay.held.is_set() and srv.statuses) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(srv.statuses) == 1 and first.poll() is None  # the server acted; the worker waits for the answer
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        [job] = s.outbox.jobs(item_id=item_id)
        assert job.state == "claimed" and job.attempts == 1  # left behind by the dead worker
        key = job.key
        relay.holding.clear()
        second = s.worker()
        s.wait_published([item_id], 90)
        assert len(srv.statuses) == 1
        [job] = s.outbox.jobs(item_id=item_id)
        assert job.key == key and job.attempts == 2 and job.published_by.endswith(f":{second.pid}")
        assert job.remote_id == srv.statuses[0]["id"]
        assert s.stop() == [-signal.SIGKILL, 0]  # the second one stopped cleanly on SIGTERM


def _race(s: Setup, n: int, timeout: float) -> None:
    with MastodonServer() as srv:
        s.connections.add(BRAND, "mastodon", secret=srv.token, by="root", base_url=srv.url)
        ids = s.due_items(n)
        s.worker(), s.worker()
        s.wait_published(ids, timeout)
        assert s.stop() == [0, 0]
        statuses = srv.statuses
        assert len(statuses) == n
        assert Counter(j.remote_id for j in s.outbox.jobs()) == Counter(st["id"] for st in statuses)
        assert {j.state for j in s.outbox.jobs()} == {"published"}
        assert sorted(s.queue.get(i).published_url for i in ids) == sorted(st["url"] for st in statuses)


def test_two_workers_on_sqlite_publish_each_item_once(sqlite_setup):
    _race(sqlite_setup, 12, 180)


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
def test_two_workers_on_postgresql_publish_each_of_50_items_once(tmp_path, brands_dir):
    drop_review_tables(PG_URL)
    s = Setup(PG_URL, tmp_path, brands_dir)
    try:
        _race(s, 50, 300)
    finally:
        s.stop()
        s.queue.close()
        drop_review_tables(PG_URL)
