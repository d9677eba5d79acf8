"""Publishing benchmark (JSON on stdout): what one publish costs the worker besides the network,
and how that grows with the size of the brand's knowledge base.

Every publish records the post on its item and offers its text to the brand's index as an
exemplar (`ReviewQueue.mark_published` -> `KnowledgeIndex.sync(brand)`), which compares the ids
the record holds with the ids the Chroma collection holds. For each brand size this measures:

- `publish_ms`: one worker round publishing `--items` due posts to the loopback Mastodon stand-in
  (tests/utils/mastodon_server.py: a real HTTP server written from Mastodon's API documentation),
  per post: median and p95;
- `sync_ms`: `index.sync(brand)` with nothing pending (the part that depends on the brand's size);
- `network_ms`: one status posted straight through the publisher (Mastodon.py), for comparison.

    .venv/bin/python bench/publishing.py [--sizes 0 2000 10000] [--items 20] [--embedding local|fake]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

BRAND = "bench-brand"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def services(home: Path, embedding: str):
    from assistant.services import Services
    from assistant.settings import load_settings

    brands = home / "brands"
    (brands / BRAND).mkdir(parents=True)
    (brands / BRAND / "brand.yaml").write_text("name: Bench\nlanguage: it\nvoice: caldo e concreto\n", encoding="utf-8")
    settings = load_settings(home=home, brands_dir=brands, embedding=embedding, provider="fake",
                             secrets_key_file=home / "secrets.key")
    svc = Services(settings)
    svc.people.add("root", name="Root", password="una frase abbastanza lunga", grants=[("admin", None)])
    for name, role in (("ada", "editor"), ("bea", "approver")):
        svc.people.add(name, name=name.title(), password="una frase abbastanza lunga", grants=[(role, None)],
                       by=svc.people.actor("root"))
    return svc


def grow(svc, size: int, done: int) -> int:
    """The brand's knowledge base up to `size` posts (ingested as an upload would be)."""
    from retrieval import corpus, to_csv

    if size > done:
        rows = corpus(size)[done:size]
        svc.knowledge.ingest_bytes(BRAND, to_csv(rows), f"posts-{size}.csv", kind="post")
    return size


def due_items(svc, n: int, tag: str) -> list[int]:
    """`n` approved Mastodon items, scheduled, then made due now (the outbox rows exist)."""
    from sqlalchemy import update

    from assistant.db.engine import utcnow
    from assistant.db.publishing import PublishJob
    from tests.factories import make_draft

    ids = []
    for k in range(n):
        draft = make_draft(f"Sabato in bottega {tag}-{k}: porta i ferri, il tè lo offriamo noi.", brand=BRAND,
                           platform="mastodon")
        item = svc.review.add_draft(draft, by="ada", submit=True)
        svc.review.approve(item.id, by="bea")
        svc.review.schedule(item.id, utcnow() + timedelta(hours=1), by="ada")
        ids.append(item.id)
    svc.review.write(lambda s: s.execute(update(PublishJob).where(PublishJob.item_id.in_(ids))
                                         .values(due_at=utcnow() - timedelta(seconds=1))))
    return ids


def measure(svc, size: int, items: int) -> dict:
    from assistant.publishing.worker import Worker

    ids = due_items(svc, items, f"s{size}")
    worker = Worker.from_services(svc, name=f"worker:bench:{size}")
    times: list[float] = []
    run = svc.outbox.run

    def timed(job, name):
        t0 = time.perf_counter()
        try:
            return run(job, name)
        finally:
            times.append((time.perf_counter() - t0) * 1000)

    svc.outbox.run = timed
    try:
        report = worker.run_once(counts=False)
    finally:
        svc.outbox.run = run
    assert report.published == items, report.as_dict()
    assert all(svc.review.get(i).state == "published" for i in ids)
    syncs = []
    for _ in range(5):
        t0 = time.perf_counter()
        svc.knowledge.index.sync(BRAND)
        syncs.append((time.perf_counter() - t0) * 1000)
    return {"documents_in_brand": len(svc.knowledge.index.record.ids(BRAND)), "published": report.published,
            "publish_ms": {"median": round(statistics.median(times), 1), "p95": round(pct(times, 95), 1),
                           "first": round(times[0], 1)},
            "sync_ms": {"median": round(statistics.median(syncs), 1), "max": round(max(syncs), 1)}}


def network_only(srv, n: int = 10) -> dict:
    from assistant.publishing.mastodon import MastodonPublisher
    from assistant.publishing.posts import PostRequest

    pub = MastodonPublisher(srv.url, srv.token)
    times = []
    for k in range(n):
        t0 = time.perf_counter()
        pub.publish(PostRequest(text=f"Solo rete {k}", key=uuid.uuid4().hex))
        times.append((time.perf_counter() - t0) * 1000)
    return {"median": round(statistics.median(times), 1), "p95": round(pct(times, 95), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 2000, 10000])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--embedding", default="local", choices=["local", "fake"])
    args = parser.parse_args()

    from tests.utils.mastodon_server import MastodonServer

    result: dict = {"items_per_size": args.items, "embedding": args.embedding, "sizes": []}
    with tempfile.TemporaryDirectory() as tmp, MastodonServer() as srv:
        svc = services(Path(tmp) / "home", args.embedding)
        svc.connections.add(BRAND, "mastodon", secret=srv.token, by="root", base_url=srv.url)
        result["network_ms"] = network_only(srv)
        done = 0
        for size in sorted(args.sizes):
            t0 = time.perf_counter()
            done = grow(svc, size, done)
            entry = {"size": size, "ingest_s": round(time.perf_counter() - t0, 1)}
            entry |= measure(svc, size, args.items)
            result["sizes"].append(entry)
            print(json.dumps(entry), file=sys.stderr)
        svc.review.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
