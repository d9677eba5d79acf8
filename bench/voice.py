"""Benchmark: the voice-match score on real accounts the project does not ship. Prints JSON.

    .venv/bin/python bench/voice.py [--seeds 14] [--test-size 0.3] [--posts-dir ../shared/data/posts]

Real public posts from ../shared/data/posts/*.csv (internal use only), grouped by the `account`
column (one file holds 11 outlets; an account found in several files counts once), each text once.
Per seed, one stratified split (held-out share `--test-size`) of every account's posts:

- attribution: a multi-class linear SVM over the product's features (`assistant.voice.features`)
  trained on the training posts of all accounts; accuracy on the held-out ones (chance 1/accounts).
- the score, per account, exactly as the product computes it: the account's training posts are
  written as a brand's posts into a knowledge record (a temporary SQLite home), and
  `VoiceModels.train` learns them against the SHIPPED background only (no other account, no demo
  brand). Then the AUC of `VoiceModels.scores` separating the account's held-out posts from every
  other account's posts, the held-out posts' median score against the model's own calibrated
  median, and the goal (AUC >= 0.90 for accounts with 90+ posts).
- costs: training time and model size on disk per account; the unchanged-check and scoring
  latency; a refresh after 5 posts are added (a full retrain: see assistant/voice/store.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from assistant.knowledge.parsing import KnowledgeDoc, content_id  # noqa: E402
from assistant.knowledge.record import KnowledgeRecordStore  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from assistant.voice import VoiceModels  # noqa: E402
from assistant.voice import features  # noqa: E402
from assistant.voice.background import load_background  # noqa: E402

POSTS = REPO.parent / "shared" / "data" / "posts"
GOAL_AUC, GOAL_MIN_POSTS = 0.90, 90


def accounts(folder: Path) -> dict[str, list[str]]:
    """account -> its distinct texts (whitespace-normalised), over every file."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("text") or "").strip()
                if text and row.get("account"):
                    found[row["account"]].setdefault(" ".join(text.split()), text)
    return {a: list(v.values()) for a, v in sorted(found.items())}


def slug_of(account: str) -> str:
    return "acct-" + "".join(c if c.isalnum() else "-" for c in account.lower()).strip("-")


def attribution(texts: list[str], labels: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict[str, float]:
    X = features.featurize(texts)
    clf = LinearSVC(C=1.0, class_weight="balanced").fit(X[train], labels[train])
    accuracy = float(np.mean(clf.predict(X[test]) == labels[test]))
    return {"accuracy": round(accuracy, 4), "chance": round(1 / len(set(labels)), 4), "held_out": int(len(test))}


def write_brand(record: KnowledgeRecordStore, slug: str, texts: list[str]) -> None:
    docs = [KnowledgeDoc(id=content_id(slug, "post", "x", " ".join(t.split())), kind="post", text=t,
                         metadata={"brand": slug, "kind": "post", "platform": "x", "source": "bench"}) for t in texts]
    record.write(slug, add=docs)


def per_account(voice: VoiceModels, record: KnowledgeRecordStore, data: dict[str, list[str]],
                split: dict[str, tuple[list[str], list[str]]]) -> list[dict]:
    rows = []
    for account, (train, held) in split.items():
        slug = slug_of(account)
        write_brand(record, slug, train)
        info = voice.train(slug)
        others = [t for other, texts in data.items() if other != account for t in texts]
        scored = voice.scores(slug, held + others) if info else []
        row = {"account": account, "posts": len(data[account]), "train": len(train), "held_out": len(held)}
        if info is None:
            rows.append(row | {"auc": None, "note": "fewer posts than the minimum: no model"})
            continue
        values = np.array([s.score for s in scored])
        raws = np.array([s.raw for s in scored])
        truth = np.r_[np.ones(len(held)), np.zeros(len(others))]
        auc = float(roc_auc_score(truth, raws))
        eligible = len(data[account]) >= GOAL_MIN_POSTS
        rows.append(row | {
            "auc": round(auc, 4), "goal": (auc >= GOAL_AUC) if eligible else None,
            "held_out_median_score": float(np.median(values[: len(held)])),
            "others_median_score": float(np.median(values[len(held):])),
            "model_median": info.median, "model_q1": info.q1, "model_q3": info.q3, "cv_auc_vs_background": info.cv_auc,
            "train_seconds": info.train_seconds, "size_bytes": info.size_bytes, "features": info.features})
    return rows


def costs(voice: VoiceModels, record: KnowledgeRecordStore, slug: str, extra: list[str]) -> dict[str, float]:
    """Latency of an unchanged check + one score, of scoring 100 texts, and of a refresh after new posts."""
    sample = ["Una nuova bozza da valutare, con un link https://example.com e una menzione @qualcuno."] * 100
    started = time.perf_counter()
    for _ in range(20):
        voice.score(slug, sample[0])
    one = (time.perf_counter() - started) / 20
    started = time.perf_counter()
    voice.scores(slug, sample)
    hundred = time.perf_counter() - started
    before = voice.trainings
    write_brand(record, slug, extra)
    started = time.perf_counter()
    voice.score(slug, sample[0])
    refresh = time.perf_counter() - started
    started = time.perf_counter()
    features.featurize(load_background().texts)
    background = time.perf_counter() - started
    return {"score_one_ms_unchanged": round(one * 1000, 2), "score_100_texts_ms": round(hundred * 1000, 1),
            "refresh_after_5_new_posts_s": round(refresh, 3), "retrained": voice.trainings - before,
            "background_features_s (once per process)": round(background, 3)}


def run_seed(data: dict[str, list[str]], seed: int, test_size: float, home: Path) -> dict:
    texts = [t for texts in data.values() for t in texts]
    labels = np.array([a for a, texts in data.items() for _ in texts])
    train, test = train_test_split(np.arange(len(texts)), test_size=test_size, stratify=labels, random_state=seed)
    split = {a: ([texts[i] for i in train if labels[i] == a], [texts[i] for i in test if labels[i] == a]) for a in data}
    settings = load_settings(home=home / f"seed{seed}", brands_dir=home / "no-brands", embedding="fake")
    record = KnowledgeRecordStore(Services(settings).review)
    voice = VoiceModels(settings, record)
    started = time.perf_counter()
    rows = per_account(voice, record, data, split)
    total = time.perf_counter() - started
    biggest = max(data, key=lambda a: len(data[a]))
    return {"seed": seed, "attribution": attribution(texts, labels, train, test), "accounts": rows,
            "costs": costs(voice, record, slug_of(biggest), split[biggest][1][:5]) | {"all_accounts_s": round(total, 1)}}


def summary(runs: list[dict], data: dict[str, list[str]]) -> dict:
    by_account: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for row in run["accounts"]:
            if row["auc"] is not None:
                by_account[row["account"]].append(row["auc"])
    eligible = [a for a in data if len(data[a]) >= GOAL_MIN_POSTS and by_account.get(a)]
    mean_auc = {a: round(statistics.mean(by_account[a]), 4) for a in by_account}
    failing = sorted((a for a in eligible if mean_auc[a] < GOAL_AUC), key=lambda a: mean_auc[a])
    return {"accounts": len(data), "eligible_accounts": len(eligible),
            "meeting_goal": len(eligible) - len(failing), "failing": {a: mean_auc[a] for a in failing},
            "auc_min": min(mean_auc[a] for a in eligible), "auc_median": round(statistics.median(mean_auc[a] for a in eligible), 4),
            "auc_mean_by_account": mean_auc,
            "train_seconds_median": statistics.median(r["train_seconds"] for run in runs for r in run["accounts"]
                                                      if r["auc"] is not None),
            "size_bytes_median": statistics.median(r["size_bytes"] for run in runs for r in run["accounts"]
                                                   if r["auc"] is not None),
            "attribution_accuracy": round(statistics.mean(r["attribution"]["accuracy"] for r in runs), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="14", help="comma-separated split seeds (the figures are averaged)")
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--posts-dir", type=Path, default=POSTS)
    args = parser.parse_args()
    if not args.posts_dir.is_dir():
        print(json.dumps({"skipped": f"{args.posts_dir} not found (real posts are internal test data)"}))
        return
    data = accounts(args.posts_dir)
    background = load_background()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
        runs = [run_seed(data, seed, args.test_size, Path(tmp)) for seed in seeds]
    print(json.dumps({"background": {"posts": len(background.posts), "parts": list(background.parts),
                                     "skipped_lines": background.skipped,
                                     "languages": dict(sorted(_count(p.lang for p in background.posts).items()))},
                      "features": features.describe(), "goal": {"auc": GOAL_AUC, "min_posts": GOAL_MIN_POSTS},
                      "summary": summary(runs, data), "runs": runs}, indent=2, ensure_ascii=False))


def _count(values) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for v in values:
        out[v or "?"] += 1
    return out


if __name__ == "__main__":
    main()
