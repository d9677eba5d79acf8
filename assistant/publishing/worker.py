"""The publishing worker (`assistant worker`): publishes the due posts of the outbox, and on its own
schedule reads the likes, reposts and replies of what it published back into the performance table.

One process on SQLite, as many as wanted on PostgreSQL (the outbox's claims never overlap). It
claims one row at a time, so a stopping worker holds nothing it has not started. SIGTERM (and
Ctrl-C) lets the publish in progress finish and be recorded, then the loop ends. Log lines name
jobs, items and accounts, never a secret.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from assistant.publishing.connections import auth_refused
from assistant.publishing.outbox import Outbox, Outcome
from assistant.publishing.posts import PublishError

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"worker:{socket.gethostname()}:{os.getpid()}"


@dataclass
class WorkerReport:
    """What one round did."""

    worker: str
    published: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    waiting: int = 0
    reconciled: int = 0  # live posts recorded on their items now (an earlier round could not)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    counts_read: bool = False
    counts_posts: int = 0  # posts whose counts were read
    counts_stored: int = 0  # performance rows added or updated
    exemplars_refreshed: int = 0  # exemplar documents whose figures (retrieval ranking) were updated
    errors: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        name = {"retry": "retried"}.get(outcome.result, outcome.result)
        if hasattr(self, name) and isinstance(getattr(self, name), int):
            setattr(self, name, getattr(self, name) + 1)
        self.outcomes.append(outcome.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Worker:
    def __init__(self, outbox: Outbox, *, counts_days: int = 30, counts_interval: float = 1800.0,
                 name: str | None = None, clock: Callable[[], datetime] | None = None,
                 refresh: Callable[[str, list[Any]], int] | None = None) -> None:
        self.outbox = outbox
        self.refresh = refresh  # (brand, [(row, item id)]) -> exemplars whose ranking figures were refreshed
        self.connections = outbox.connections
        self.queue = outbox.queue
        self.name = name or worker_name()
        self.counts_days, self.counts_interval = counts_days, counts_interval
        self.clock = clock or self.queue.clock
        self.stop = threading.Event()
        self._counts_at: datetime | None = None

    @classmethod
    def from_services(cls, services: Any, **kwargs: Any) -> Worker:
        s = services.settings
        kwargs.setdefault("counts_days", s.counts_days)
        kwargs.setdefault("counts_interval", s.counts_interval_seconds)
        kwargs.setdefault("refresh", lambda brand, rows: _refresh_items(services, brand, rows))
        return cls(services.outbox, **kwargs)

    # --- publishing -----------------------------------------------------------------------------

    def publish_due(self, report: WorkerReport, *, limit: int | None = None) -> None:
        """Claim and publish due rows one by one until none is left (or `limit`, or a stop)."""
        done = 0
        while not self.stop.is_set() and (limit is None or done < limit):
            try:
                claimed = self.outbox.claim(self.name)
                if not claimed:
                    return
                report.add(self.outbox.run(claimed[0], self.name))
            except Exception as exc:  # noqa: BLE001 - e.g. the database is away: the next round tries again
                log.exception("%s: the round stopped", self.name)
                report.errors.append(f"publishing: {type(exc).__name__}: {exc}")
                return
            done += 1

    def reconcile(self, report: WorkerReport) -> None:
        """Live posts whose items an earlier round could not update are recorded on them first."""
        try:
            report.reconciled = len(self.outbox.reconcile(self.name))
        except Exception as exc:  # noqa: BLE001 - the database is away: the next round tries again
            log.exception("%s: reconciling live posts with their items failed", self.name)
            report.errors.append(f"reconciling: {type(exc).__name__}: {exc}")

    # --- counts ---------------------------------------------------------------------------------

    def counts_due(self) -> bool:
        return self._counts_at is None or self.clock() - self._counts_at >= timedelta(seconds=self.counts_interval)

    def pull_counts(self, report: WorkerReport) -> None:
        """Counts of the posts published in the last `counts_days` days, into the performance table
        (one measurement per post per day: today's is updated, earlier days are kept)."""
        from assistant.analytics.performance.matching import Match
        from assistant.analytics.performance.reading import PerfRow
        from assistant.analytics.performance.store import save

        now = self.clock()
        self._counts_at, report.counts_read = now, True
        rows = self.outbox.published_since(now - timedelta(days=self.counts_days))
        by_connection: dict[int, list[Any]] = defaultdict(list)
        for job, brand, network in rows:
            by_connection[job.connection_id].append((job, brand, network))
        day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        per_brand: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for connection_id, jobs in by_connection.items():
            counts = self._counts(connection_id, [j.remote_id for j, _, _ in jobs if j.remote_id], report)
            texts = self._texts(jobs[0][1])
            for job, brand, network in jobs:
                c = counts.get(job.remote_id or "")
                if c is None:
                    continue
                row = PerfRow(row=0, platform=network, url=job.url or "", text=texts.get(job.item_id, ""),
                              posted_at=job.published_at, measured_at=day, likes=c.likes, comments=c.replies,
                              shares=c.reposts)
                source = f"{network} API (account {connection_id})"
                per_brand[(brand, source)].append((row, Match(item_id=job.item_id, matched_by="url", score=1.0)))
                report.counts_posts += 1
        for (brand, source), pairs in per_brand.items():
            added, updated, _ = save(self.queue, brand, source, pairs, now.replace(microsecond=0))
            report.counts_stored += added + updated
            if self.refresh is not None:  # the exemplars these posts became: retrieval ranks by their figures
                report.exemplars_refreshed += self.refresh(brand, [(row, m.item_id) for row, m in pairs])

    def _counts(self, connection_id: int, remote_ids: list[str], report: WorkerReport) -> dict[str, Any]:
        conn = self.connections.get(connection_id)
        if conn.status != "active" or conn.removed_at is not None or not remote_ids:
            return {}
        try:
            return self.connections.publisher(connection_id).counts(remote_ids)
        except PublishError as exc:
            if auth_refused(exc):
                self.connections.needs_reconnect(connection_id, exc.reason)
            report.errors.append(f"counts of account {connection_id}: {exc.reason}")
        except Exception as exc:  # noqa: BLE001 - counts are best effort: the next round tries again
            log.exception("counts of account %s failed", connection_id)
            report.errors.append(f"counts of account {connection_id}: {type(exc).__name__}")
        return {}

    def _texts(self, brand: str) -> dict[int, str]:
        return {p.item_id: p.text for p in self.queue.published(brand)}

    # --- rounds ---------------------------------------------------------------------------------

    def run_once(self, *, counts: bool | None = None) -> WorkerReport:
        """Publish what is due; then read counts back if their time has come (`counts`: force it or not)."""
        report = WorkerReport(self.name)
        self.reconcile(report)
        self.publish_due(report)
        if not self.stop.is_set() and (counts if counts is not None else self.counts_due()):
            try:
                self.pull_counts(report)
            except Exception as exc:  # noqa: BLE001 - never let the counts stop the publishing
                log.exception("reading counts back failed")
                report.errors.append(f"counts: {type(exc).__name__}: {exc}")
        return report

    def loop(self, interval: float, on_report: Callable[[WorkerReport], None] | None = None) -> None:
        """Rounds every `interval` seconds until `stop` is set (SIGTERM: `handle_signals`)."""
        log.info("%s started (every %g s)", self.name, interval)
        while not self.stop.is_set():
            report = self.run_once()
            if on_report is not None:
                on_report(report)
            self.stop.wait(interval)
        log.info("%s stopped", self.name)

    def handle_signals(self) -> None:
        """SIGTERM and SIGINT stop the loop after the publish in progress (main thread only)."""
        def stop(signum: int, _frame: Any) -> None:
            log.info("%s: signal %s, stopping after the current publish", self.name, signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def _refresh_items(services: Any, brand: str, rows: list[Any]) -> int:
    from assistant.analytics.performance import refresh_items

    return refresh_items(services, brand, rows)


def run_once(services: Any, **kwargs: Any) -> WorkerReport:
    """One round of the worker over `services` (publish what is due, and read counts back)."""
    counts = kwargs.pop("counts", True)
    return Worker.from_services(services, **kwargs).run_once(counts=counts)
