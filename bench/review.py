"""Benchmark: review queue listing latency and concurrent edit throughput. Prints JSON.

    .venv/bin/python bench/review.py [--sizes 10000,100000] [--edits 300] [--repeat 40]
    .venv/bin/python bench/review.py --database-url postgresql+psycopg://user@host/throwaway_db

- setup: an empty database migrated by `ReviewQueue`, then items (20 brands, 6 platforms, states
  and assignees spread out), their v0 revisions and creation events bulk-inserted (Core executemany).
- list: `ReviewQueue.list(...)`, a page of 50 with the total count, for common filters, as the UI
  calls it; median and p95 over `--repeat` calls, after one warm-up call.
- edits: two OS processes (spawn) editing through `ReviewQueue.edit` with retry on conflict, on
  the same item (every edit contends) and on one item each; reports edits/s over the wall time of
  both, conflicts, and lost updates (successful edits minus revisions written: must be 0).
With --database-url, the review tables of that database are DROPPED first: use a throwaway one.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select, text  # noqa: E402

from assistant.review import ReviewQueue  # noqa: E402
from assistant.db.models import AuditEvent, Item, Revision  # noqa: E402
from assistant.review.schemas import EditConflict  # noqa: E402

BRANDS = [f"brand-{i:02d}" for i in range(20)]
PLATFORMS = ["instagram", "linkedin", "facebook", "x", "threads", "bluesky"]
STATES = ["draft"] * 2 + ["in_review"] * 3 + ["changes_requested", "approved", "rejected", "scheduled"] + ["published"] * 4
PEOPLE = [f"person-{i}" for i in range(10)]
WORDS = "lana bottega Schio maglia festa sabato laboratorio ferri tè nuova stagione sciarpe colori".split()


def no_rules(text, *, platform, brand, language):
    return []


def policy(slug):
    return type("Policy", (), {"four_eyes": False})()


def open_queue(url: str, migrate: bool = True) -> ReviewQueue:
    return ReviewQueue(url, validator=no_rules, brand_policy=policy, migrate=migrate)


def drop_tables(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("performance", "review_audit", "review_comments", "review_revisions", "review_items",
                      "alembic_version"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}" + (" CASCADE" if engine.dialect.name != "sqlite" else "")))
    engine.dispose()


def bulk_insert(queue: ReviewQueue, n: int, seed: int = 11) -> float:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    step = 5000
    with queue.engine.begin() as conn:
        first = (conn.scalar(select(func.max(Item.id))) or 0) + 1
        for lo in range(0, n, step):
            ids = range(first + lo, first + min(lo + step, n))
            items, revisions, events = [], [], []
            for i in ids:
                when = start + timedelta(minutes=i)
                state = rng.choice(STATES)
                items.append({"id": i, "draft_id": f"d{i}", "brand": rng.choice(BRANDS), "platform": rng.choice(PLATFORMS),
                              "brief": "Brief di prova", "goal": "engagement", "language": "it", "state": state,
                              "assignee": rng.choice(PEOPLE + [None] * 5), "version": 1, "current_revision": 0,
                              "archived": rng.random() < 0.05, "created_by": rng.choice(PEOPLE), "created_at": when,
                              "updated_at": when, "submitted_at": None if state == "draft" else when})
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60)))
                revisions.append({"item_id": i, "number": 0, "text": body, "author": "ai:fake/bench", "created_at": when,
                                  "violations": [], "sources": [], "provider": "fake", "model": "bench",
                                  "prompt_version": "post@1", "prompt_tokens": 800, "completion_tokens": 60})
                events.append({"item_id": i, "actor": "bench", "at": when, "action": "create", "to_state": "draft"})
            conn.execute(insert(Item), items)
            conn.execute(insert(Revision), revisions)
            conn.execute(insert(AuditEvent), events)
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('review_items', 'id'), max(id)) FROM review_items"))
    if queue.engine.dialect.name == "postgresql":  # the steady state autovacuum reaches (visibility map, stats)
        with queue.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - t0


def time_listing(queue: ReviewQueue, repeat: int) -> dict:
    scenarios = {
        "all": {},
        "state": {"state": "in_review"},
        "brand": {"brand": "brand-07"},
        "brand+state": {"brand": "brand-07", "state": "in_review"},
        "brand+platform": {"brand": "brand-07", "platform": "linkedin"},
        "assignee+state": {"assignee": "person-3", "state": "in_review"},
        "platform": {"platform": "threads"},
        "all, page 40": {"page": 40},
    }
    out = {}
    for name, filters in scenarios.items():
        page = queue.list(per_page=50, **filters)  # warm-up
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            page = queue.list(per_page=50, **filters)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out[name] = {"median_ms": round(statistics.median(times), 2),
                     "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2), "total": page.total,
                     "rows": len(page.items)}
    return out


def writer(url: str, item_id: int, name: str, edits: int, barrier, results) -> None:
    queue = open_queue(url, migrate=False)
    version = queue.get(item_id).version
    conflicts = saved = 0
    barrier.wait()
    t0 = time.perf_counter()
    for n in range(edits):
        while True:
            try:
                version = queue.edit(item_id, f"{name} edit {n}", by=name, base_version=version).version
                saved += 1
                break
            except EditConflict as exc:  # someone else saved first: take their version and retry
                conflicts += 1
                version = exc.theirs.version
    results.put({"name": name, "saved": saved, "conflicts": conflicts, "seconds": time.perf_counter() - t0})
    queue.close()


def run_writers(url: str, queue: ReviewQueue, edits: int, same_item: bool) -> dict:
    items = [new_item(queue) for _ in range(1 if same_item else 2)]
    targets = [items[0], items[0]] if same_item else items
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(url, item_id, name, edits, barrier, results))
             for item_id, name in zip(targets, ("writer-a", "writer-b"))]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    saved = sum(o["saved"] for o in outcomes)
    with queue.engine.connect() as conn:
        written = conn.scalar(select(func.count()).select_from(Revision)
                              .where(Revision.item_id.in_(items), Revision.number > 0))
    wall = max(o["seconds"] for o in outcomes)
    return {"writers": 2, "same_item": same_item, "successful_edits": saved, "revisions_written": written,
            "lost_updates": saved - written, "conflicts_retried": sum(o["conflicts"] for o in outcomes),
            "seconds": round(wall, 2), "edits_per_s": round(saved / wall, 1)}


def new_item(queue: ReviewQueue) -> int:
    from assistant.drafting.schemas import Draft

    draft = Draft(brand=BRANDS[0], platform="instagram", variant=1, text="Testo iniziale del modello", language="it",
                  brief="bench", goal="engagement", provider="fake", model="bench", prompt_version="post@1",
                  prompt_tokens=1, completion_tokens=1, cost_usd=None, latency_ms=1)
    return queue.add_draft(draft, by="bench", submit=True).id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--edits", type=int, default=300, help="successful edits per writer process")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="a THROWAWAY database (its review tables are dropped)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    report: dict = {"backend": "postgresql" if args.database_url else "sqlite", "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            url = args.database_url or f"sqlite:///{tmp}/bench-{n}.db"
            if args.database_url:
                drop_tables(url)
            queue = open_queue(url)
            setup = bulk_insert(queue, n)
            entry = {"items": n, "bulk_insert_s": round(setup, 2), "list_page_of_50": time_listing(queue, args.repeat)}
            if n == sizes[-1]:
                entry["edits_same_item"] = run_writers(url, queue, args.edits, same_item=True)
                entry["edits_separate_items"] = run_writers(url, queue, args.edits, same_item=False)
            queue.close()
            report["sizes"][str(n)] = entry
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
