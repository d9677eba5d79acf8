"""The durable outbox: one row per post to publish (an item to one connected account), and the one
path every publish takes, whether a worker found it due or someone pressed "publish now".

Exactly once, by construction:
- The row, with its idempotency `key` (uuid4 hex), is committed before any network call: in the
  transaction that schedules the item (`ScheduleHook`, the review queue's `Scheduling` seam), or
  before a "publish now" runs. Every retry of the row sends the same key (Mastodon
  `Idempotency-Key`; Bluesky's record key derived from it): a retry after a crash finds the post
  the network already made instead of making a second one.
- A worker claims a due row in a short transaction that sets a lease (`claimed_by`,
  `claimed_until`) and counts the attempt. On PostgreSQL the candidates are read with `FOR UPDATE
  SKIP LOCKED` (several workers never wait on, nor take, the same row); on every backend the claim
  is a conditional UPDATE that only one transaction can win (SQLite: one writer at a time anyway).
  A lease that expired (its worker was killed) makes the row claimable again.
- Success: the row is `published` and the item `published` (URL, time, response id, who scheduled,
  which worker) in ONE transaction, through the review queue's `mark_published`.
- A transient failure (429, 5xx, timeouts) waits with exponential backoff and jitter (at least what
  the network asked for) and is retried up to `max_attempts` times; a permanent one (or the last
  try) fails the row and marks the item `publish_failed` with the network's reason, and the
  brand's editors are notified. A refused secret also marks the account `needs_reconnect`: its
  other posts wait, untried, until it is fixed (no retry storm against a revoked token).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from assistant.accounts.schemas import Actor, Grant
from assistant.db.models import Item
from assistant.db.publishing import PublishConnection as C
from assistant.db.publishing import PublishJob as J
from assistant.errors import AssistantError, ConfigError, IllegalTransition, InvalidRequest
from assistant.publishing import notifications
from assistant.publishing.connections import Connections, active_rows, auth_refused
from assistant.publishing.posts import PostRequest, Published, PublishError, media_file

log = logging.getLogger(__name__)
PUBLISHABLE = frozenset({"approved", "scheduled", "publish_failed"})  # states that may take the `publish` move
LIVE = frozenset({"pending", "claimed", "published"})  # a round that may still post (or did)
MARK_TRIES = 3  # recording a live post on its item (each try its own transaction)


@dataclass(frozen=True)
class JobPublic:
    id: int
    item_id: int
    connection_id: int
    round: int
    key: str
    state: str
    due_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    last_error: str | None
    remote_id: str | None
    url: str | None
    published_at: datetime | None
    published_by: str | None
    scheduled_by: str
    scheduled_by_id: int | None

    @classmethod
    def of(cls, row: J) -> JobPublic:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Outcome:
    """What one run of one row did: published | retry | failed | cancelled | waiting."""

    job: JobPublic
    result: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"result": self.result, "reason": self.reason, "job": self.job.as_dict()}


def worker_actor(worker: str, brand: str) -> Actor:
    """The worker as the review queue sees it: named (`worker:host:pid`), no user id, allowed to
    publish on this brand only: the audit records which worker published."""
    return Actor(name=worker[:200], grants=(Grant(role="editor", brand=brand),))


def enqueue_in(s: Session, item: Any, by: Actor, due: datetime, now: datetime) -> list[J]:
    """Inside a transaction: a pending row for each of the brand's accounts on the item's platform
    (a waiting row moves to `due`; a live or published one is kept). No account: nothing."""
    rows = []
    for conn in active_rows(s, item.brand, item.platform):
        latest = s.scalars(select(J).where(J.item_id == item.id, J.connection_id == conn.id)
                           .order_by(J.round.desc()).limit(1)).first()
        if latest is not None and latest.state in LIVE:
            if latest.state == "pending":
                latest.due_at, latest.next_attempt_at, latest.updated_at = due, None, now
            rows.append(latest)
            continue
        row = J(item_id=item.id, connection_id=conn.id, round=(latest.round + 1) if latest else 1,
                key=uuid.uuid4().hex, state="pending", due_at=due, attempts=0, scheduled_by=by.label,
                scheduled_by_id=by.user_id, created_at=now, updated_at=now)
        s.add(row)
        rows.append(row)
    s.flush()
    return rows


class ScheduleHook:
    """The review queue's `Scheduling` seam: scheduling an item puts its posts in the outbox."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    def scheduled(self, s: Session, item: Any, by: Actor) -> None:
        rows = enqueue_in(s, item, by, item.scheduled_for, self.clock())
        if rows:
            log.info("item %s scheduled by %s: outbox rows %s", item.id, by.label, [r.id for r in rows])


def _claimable(now: datetime) -> Any:
    due = and_(J.state == "pending", J.due_at <= now, or_(J.next_attempt_at.is_(None), J.next_attempt_at <= now))
    return or_(due, and_(J.state == "claimed", J.claimed_until < now))


class Outbox:
    """The outbox over the review queue's database (`queue`: a `ReviewQueue`) and the accounts."""

    def __init__(self, queue: Any, connections: Connections, *, max_attempts: int = 8, retry_seconds: float = 30.0,
                 retry_max_seconds: float = 3600.0, lease_seconds: float = 300.0,
                 attachments: Callable[[int], Sequence[Any]] | None = None,
                 jitter: Callable[[], float] = random.random) -> None:
        self.queue, self.connections = queue, connections
        self.max_attempts, self.lease = max_attempts, timedelta(seconds=lease_seconds)
        self.retry_seconds, self.retry_max_seconds = retry_seconds, retry_max_seconds
        self.attachments = attachments or (lambda item_id: ())
        self.jitter = jitter

    @classmethod
    def from_settings(cls, queue: Any, connections: Connections, settings: Any, **kwargs: Any) -> Outbox:
        return cls(queue, connections, max_attempts=settings.publish_max_attempts,
                   retry_seconds=settings.publish_retry_seconds, retry_max_seconds=settings.publish_retry_max_seconds,
                   lease_seconds=settings.publish_lease_seconds, **kwargs)

    # --- reading --------------------------------------------------------------------------------

    def jobs(self, *, item_id: int | None = None, state: str | None = None) -> list[JobPublic]:
        stmt = select(J).order_by(J.id)
        if item_id is not None:
            stmt = stmt.where(J.item_id == item_id)
        if state is not None:
            stmt = stmt.where(J.state == state)
        return [JobPublic.of(r) for r in self.queue.read(lambda s: s.scalars(stmt).all())]

    def published_since(self, since: datetime) -> list[tuple[JobPublic, str, str]]:
        """Rows published since `since`, with their account's brand and network (for the counts)."""
        stmt = (select(J, C.brand, C.network).join(C, C.id == J.connection_id)
                .where(J.state == "published", J.published_at >= since).order_by(J.connection_id, J.id))
        return [(JobPublic.of(j), brand, network) for j, brand, network in self.queue.read(
            lambda s: s.execute(stmt).all())]

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before the next try: doubling from `retry_seconds`, capped, with jitter (half to
        all of it), never less than what the network asked for."""
        delay = min(self.retry_seconds * 2 ** max(attempts - 1, 0), self.retry_max_seconds)
        delay *= 0.5 + 0.5 * self.jitter()
        return max(delay, retry_after or 0.0)

    # --- claiming -------------------------------------------------------------------------------

    def claim(self, worker: str, *, limit: int = 1, job_id: int | None = None) -> list[JobPublic]:
        """Up to `limit` due rows (or the expired leases of dead workers), leased to `worker`."""

        def txn(s: Session) -> list[JobPublic]:
            now = self.queue.clock()
            stmt = (select(J.id).join(C, C.id == J.connection_id)
                    .where(_claimable(now), C.status == "active", C.removed_at.is_(None))
                    .order_by(J.due_at, J.id).limit(limit).with_for_update(skip_locked=True, of=J))
            if job_id is not None:
                stmt = stmt.where(J.id == job_id)
            won = []
            for candidate in s.scalars(stmt).all():
                result = s.execute(update(J).where(J.id == candidate, _claimable(now)).values(
                    state="claimed", claimed_by=worker, claimed_until=now + self.lease, attempts=J.attempts + 1,
                    updated_at=now).execution_options(synchronize_session=False))
                if result.rowcount == 1:
                    won.append(candidate)
            return [JobPublic.of(s.get(J, i, populate_existing=True)) for i in won]

        return self.queue.write(txn)

    # --- running one row ------------------------------------------------------------------------

    def run(self, job: JobPublic, worker: str) -> Outcome:
        """Publish one claimed row and record what happened. Never raises for the network's sake."""
        item = self.queue.get(job.item_id)
        if item.archived or item.state not in PUBLISHABLE:
            state = "archived" if item.archived else item.state
            return self._settle(job, worker, "cancelled", f"the item is {state}: nothing was sent")
        conn = self.connections.get(job.connection_id)
        if conn.removed_at is not None:
            return self._settle(job, worker, "cancelled", "the connected account was removed: nothing was sent")
        if conn.status != "active":  # another post found the secret refused meanwhile: wait, untried
            self.release(job, worker)
            return Outcome(self._job(job.id), "waiting", f"account {conn.id} needs reconnecting")
        log.info("publishing item %s to %s account %s (job %s, attempt %s)", item.id, conn.network, conn.id, job.id,
                 job.attempts)
        try:
            post = PostRequest(text=item.text, key=job.key, media=tuple(media_file(a) for a in self.attachments(item.id)),
                               language=item.language)
            published = self.connections.publisher(conn.id).publish(post)
        except PublishError as exc:
            return self._failed(job, item, conn, exc, worker)
        except ConfigError as exc:  # the key cannot open the secret: waits for the key, as a transient error
            return self._failed(job, item, conn, PublishError(str(exc), transient=True), worker)
        except AssistantError as exc:  # the account's settings are wrong (e.g. its address): retrying cannot help
            return self._failed(job, item, conn, PublishError(str(exc), transient=False), worker)
        except Exception as exc:  # noqa: BLE001 - an unexpected failure is retried like a transient one
            log.exception("job %s (item %s): unexpected error while publishing", job.id, item.id)
            return self._failed(job, item, conn, PublishError(f"{type(exc).__name__}: {exc}", transient=True), worker)
        return self._published(job, item, conn, published, worker)

    def _published(self, job: JobPublic, item: Any, conn: Any, done: Published, worker: str) -> Outcome:
        def record(s: Session) -> None:
            row = s.get(J, job.id, populate_existing=True)
            row.state, row.remote_id, row.url, row.published_at = "published", done.remote_id, done.url, done.published_at
            row.published_by, row.claimed_by, row.claimed_until, row.last_error = worker, None, None, None
            row.updated_at = self.queue.clock()

        data = {"job": job.id, "key": job.key, "network": conn.network, "connection": conn.id,
                "remote_id": done.remote_id, "worker": worker, "scheduled_by": job.scheduled_by,
                "scheduled_by_id": job.scheduled_by_id, "attempts": job.attempts}
        for attempt in range(1, MARK_TRIES + 1):
            try:
                self.queue.mark_published(item.id, by=worker_actor(worker, item.brand), url=done.url,
                                          at=done.published_at, data=data, inside=record)
                break
            except IllegalTransition:  # published already (another account of the brand, or by hand)
                self.queue.write(record)
                break
            except Exception:  # e.g. a database race: the post is live, so try recording it again
                if attempt < MARK_TRIES:
                    log.warning("item %s is live on %s as %s; recording it failed, trying again", item.id,
                                conn.network, done.remote_id, exc_info=True)
                    continue
                # the row must say the post is live, or a retry would post again later; a later
                # round of the worker records it on the item (`reconcile`)
                log.exception("item %s is live on %s as %s but the item could not be updated; the outbox row "
                              "records it, and the worker's next round records it on the item", item.id,
                              conn.network, done.remote_id)
                self.queue.write(record)
                raise
        log.info("item %s published to %s as %s (%s) by %s", item.id, conn.network, done.remote_id, done.url, worker)
        return Outcome(self._job(job.id), "published")

    def _failed(self, job: JobPublic, item: Any, conn: Any, exc: PublishError, worker: str) -> Outcome:
        reason = (exc.reason or "no reason given")[:2000]
        if exc.transient and job.attempts < self.max_attempts:
            wait = self.backoff(job.attempts, exc.retry_after)
            log.warning("job %s (item %s): %s; retry %s of %s in %.0f s", job.id, item.id, reason, job.attempts + 1,
                        self.max_attempts, wait)
            return self._settle(job, worker, "pending", reason,
                                next_attempt_at=self.queue.clock() + timedelta(seconds=wait), result="retry")
        if auth_refused(exc):
            self.connections.needs_reconnect(conn.id, reason)
        why = reason if not exc.transient else f"{reason} (after {job.attempts} attempts)"
        log.error("job %s (item %s) failed on %s: %s", job.id, item.id, conn.network, why)
        return self._fail_item(job, item, conn, why, worker, _said(exc))

    def _fail_item(self, job: JobPublic, item: Any, conn: Any, reason: str, worker: str,
                   said: dict[str, Any] | None = None) -> Outcome:
        """`said`: the reason as a catalogue code and its values (`reason_code`, `reason_params`),
        when it is Copydesk's own wording: the app says it in the reader's language."""
        editors = {u.id for u in self.queue.people.who_may("edit", item.brand)} | (
            {job.scheduled_by_id} if job.scheduled_by_id else set())
        params = {"item": item.id, "network": conn.network, "handle": conn.handle, "reason": reason, **(said or {})}

        def record(s: Session) -> None:
            self._settle_in(s, job, worker, "failed", reason)
            notifications.notify(s, sorted(editors), brand=item.brand, kind="publish_failed", item_id=item.id,
                                 params=params, now=self.queue.clock())

        data = {"job": job.id, "network": conn.network, "connection": conn.id, "worker": worker,
                "scheduled_by": job.scheduled_by, "attempts": job.attempts, **(said or {})}
        try:
            self.queue.publish_failed(item.id, by=worker_actor(worker, item.brand),
                                      reason=f"{conn.network}: {reason}", data=data, inside=record)
        except IllegalTransition:  # the item moved on (published through another account): only the row fails
            self.queue.write(record)
        return Outcome(self._job(job.id), "failed", reason)

    def _settle_in(self, s: Session, job: JobPublic, worker: str, state: str, reason: str | None,
                   next_attempt_at: datetime | None = None) -> bool:
        """The row leaves our lease (only if it is still ours: a lease lost to another worker is theirs)."""
        result = s.execute(update(J).where(J.id == job.id, J.state == "claimed", J.claimed_by == worker).values(
            state=state, last_error=reason, next_attempt_at=next_attempt_at, claimed_by=None, claimed_until=None,
            updated_at=self.queue.clock()).execution_options(synchronize_session=False))
        return result.rowcount == 1

    def _settle(self, job: JobPublic, worker: str, state: str, reason: str | None, *,
                next_attempt_at: datetime | None = None, result: str | None = None) -> Outcome:
        self.queue.write(lambda s: self._settle_in(s, job, worker, state, reason, next_attempt_at))
        return Outcome(self._job(job.id), result or state, reason)

    def release(self, job: JobPublic, worker: str) -> None:
        """Give a claimed row back untried (a worker stopping): its attempt is not counted."""
        def txn(s: Session) -> None:
            s.execute(update(J).where(J.id == job.id, J.state == "claimed", J.claimed_by == worker).values(
                state="pending", claimed_by=None, claimed_until=None, attempts=J.attempts - 1,
                updated_at=self.queue.clock()).execution_options(synchronize_session=False))

        self.queue.write(txn)

    def _job(self, job_id: int) -> JobPublic:
        return self.queue.read(lambda s: JobPublic.of(s.get(J, job_id)))

    # --- reconciling ----------------------------------------------------------------------------

    def unrecorded(self) -> list[JobPublic]:
        """Rows that say their post is live while their item does not (recording it on the item
        failed every try: the database was away longer). The item may still take the `publish` move."""
        stmt = (select(J).join(Item, Item.id == J.item_id)
                .where(J.state == "published", Item.state.in_(sorted(PUBLISHABLE)), Item.archived.is_(False))
                .order_by(J.id))
        return [JobPublic.of(r) for r in self.queue.read(lambda s: s.scalars(stmt).all())]

    def reconcile(self, worker: str) -> list[JobPublic]:
        """Record on its item each live post the item does not know of yet (`unrecorded`), as its
        publish would have: URL, time, response id and which worker published, with `reconciled_by`
        (this worker) in the audit. Nothing is sent to any network. Returns the rows recorded now."""
        done = []
        for job in self.unrecorded():
            conn = self.connections.get(job.connection_id)
            item = self.queue.get(job.item_id)
            data = {"job": job.id, "key": job.key, "network": conn.network, "connection": conn.id,
                    "remote_id": job.remote_id, "worker": job.published_by, "scheduled_by": job.scheduled_by,
                    "scheduled_by_id": job.scheduled_by_id, "attempts": job.attempts, "reconciled_by": worker}
            try:
                self.queue.mark_published(item.id, by=worker_actor(worker, item.brand), url=job.url,
                                          at=job.published_at, data=data)
            except IllegalTransition:  # it moved meanwhile (published through another account, reopened)
                continue
            log.warning("item %s: its post on %s (%s) was live but not recorded on the item; recorded now", item.id,
                        conn.network, job.remote_id)
            done.append(job)
        return done

    # --- publish now ----------------------------------------------------------------------------

    def publish_now(self, item_id: int, *, by: Actor | str, worker: str) -> list[Outcome]:
        """"Publish now" for an approved (or scheduled) item: its rows are committed first, then run
        here through the same claim and record as the worker's."""
        actor = self.queue.actor(by)
        item = self.queue.get(item_id)
        self.queue.permit(actor, "publish", item.brand, item.id)
        if item.archived or item.state not in PUBLISHABLE:
            raise IllegalTransition(f"cannot publish item {item.id}: it is {item.state}; approve it first",
                                    code="illegal_move", action="publish", item=item.id, state=item.state)
        rows = self.queue.write(lambda s: [JobPublic.of(r) for r in enqueue_in(s, item, actor, self.queue.clock(),
                                                                                self.queue.clock())])
        if not rows:
            raise InvalidRequest(f"brand {item.brand} has no connected {item.platform} account: an administrator "
                                 f"can add one (`assistant accounts add {item.brand} --platform {item.platform} ...`), "
                                 "or export the post (`assistant plan export`)", code="no_connection",
                                 brand=item.brand, platform=item.platform)
        outcomes = []
        for row in rows:
            if row.state == "published":
                outcomes.append(Outcome(row, "published"))
                continue
            claimed = self.claim(worker, job_id=row.id)
            if claimed:
                outcomes.append(self.run(claimed[0], worker))
            else:
                conn = self.connections.get(row.connection_id)
                why = (f"account {conn.id} needs reconnecting: {conn.status_reason}" if conn.status != "active"
                       else "another worker is publishing it, or it waits for its next try")
                outcomes.append(Outcome(self._job(row.id), "waiting", why))
        return outcomes


def _said(exc: PublishError) -> dict[str, Any]:
    """A failure's catalogue code and values, when the publisher gave them (JSON-safe)."""
    if not exc.code:
        return {}
    return {"reason_code": exc.code, "reason_params": {k: v if isinstance(v, (int, float)) else str(v)
                                                       for k, v in exc.params.items()}}
