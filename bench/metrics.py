"""Benchmark: word-level Levenshtein and text similarity, hand-written/difflib against rapidfuzz.
Prints JSON.

    .venv/bin/python bench/metrics.py [--words 200] [--edit-share 0.1] [--pairs 300] [--seed 7]
        [--posts /work/shared/data/posts]

- levenshtein: `old` is the two-row dynamic programme that assistant/review/metrics.py had
  (copied below), `rapidfuzz` is `rapidfuzz.distance.Levenshtein.distance` on the same word lists.
  Pairs: random texts of --words words from a 500-word vocabulary, the second with --edit-share
  of its words substituted, deleted or inserted at random places; plus random pairs of 0..40
  words from a 6-word vocabulary (many repeats, every edge case). Reports mismatches (must be 0)
  and the mean ms per pair, and the same for `assistant.review.metrics.levenshtein` as it is.
- similarity: `difflib` is matching.similarity as it was (SequenceMatcher(autojunk=False).ratio,
  copied below), `rapidfuzz` is `assistant.analytics.performance.matching.similarity` as it is
  (2 * LCS / (len a + len b) with the LCS from rapidfuzz's Indel distance). Both include the
  prefix comparison for shorter texts of >= PREFIX_MIN_CHARS.
  Pairs from the real posts under --posts, normalised as matching does: each post against a light
  export edit of itself (hashtag appended, a word dropped, trailing "..."), and against the posts
  that pass matching's word pre-filter (share >= SHARED_WORDS of distinct words). Reports how
  often the two disagree on >= TEXT_THRESHOLD, the largest score gap and ms per comparison.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from assistant.analytics.performance.matching import (  # noqa: E402
    PREFIX_MIN_CHARS, SHARED_WORDS, TEXT_THRESHOLD, normalize_for_match, similarity)
from assistant.review import metrics  # noqa: E402


def old_levenshtein(a: Sequence[str], b: Sequence[str]) -> int:
    """The hand-written version (assistant/review/metrics.py before rapidfuzz)."""
    start, end_a, end_b = 0, len(a), len(b)
    while start < end_a and start < end_b and a[start] == b[start]:
        start += 1
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def old_similarity(a: str, b: str) -> float:
    """matching.similarity before rapidfuzz."""
    if not a or not b:
        return 0.0
    score = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    short, long_ = sorted((a, b), key=len)
    if PREFIX_MIN_CHARS <= len(short) < len(long_):
        score = max(score, difflib.SequenceMatcher(None, short, long_[:len(short)], autojunk=False).ratio())
    return score


def edited(rng: random.Random, text: list[str], share: float, vocab: list[str]) -> list[str]:
    out = list(text)
    for _ in range(max(1, round(len(text) * share))):
        op, at = rng.choice("sdi"), rng.randrange(len(out) + 1)
        if op == "i" or not out or at == len(out):
            out.insert(at, rng.choice(vocab))
        elif op == "d":
            del out[at]
        else:
            out[at] = rng.choice(vocab)
    return out


def timed(fn, pairs) -> tuple[list, float]:
    start = time.perf_counter()
    results = [fn(a, b) for a, b in pairs]
    return results, (time.perf_counter() - start) * 1000 / len(pairs)


def bench_levenshtein(rng: random.Random, n_words: int, share: float, n_pairs: int) -> dict:
    vocab = [f"w{i}" for i in range(500)]
    realistic = []
    for _ in range(n_pairs):
        a = [rng.choice(vocab) for _ in range(n_words)]
        realistic.append((a, edited(rng, a, share, vocab)))
    small = list("abcdef")
    edge = [([rng.choice(small) for _ in range(rng.randrange(41))], [rng.choice(small) for _ in range(rng.randrange(41))])
            for _ in range(5000)] + [([], []), ([], ["a"]), (["a"], []), (["a", "b"], ["b", "a"])]
    out: dict = {}
    for name, pairs in ((f"{n_words}_words_{share:.0%}_edits", realistic), ("random_small_vocab", edge)):
        old, old_ms = timed(old_levenshtein, pairs)
        new, new_ms = timed(lambda a, b: Levenshtein.distance(a, b), pairs)
        tree, tree_ms = timed(metrics.levenshtein, pairs)
        out[name] = {"pairs": len(pairs), "mismatches_rapidfuzz_vs_old": sum(x != y for x, y in zip(old, new)),
                     "mismatches_tree_vs_old": sum(x != y for x, y in zip(old, tree)),
                     "ms_per_pair_old": round(old_ms, 4), "ms_per_pair_rapidfuzz": round(new_ms, 4),
                     "ms_per_pair_tree": round(tree_ms, 4), "speedup_rapidfuzz": round(old_ms / new_ms, 1), "speedup_tree": round(old_ms / tree_ms, 1)}
    return out


def load_posts(folder: Path, limit: int, rng: random.Random) -> list[str]:
    texts = set()
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            texts.update(t for row in csv.DictReader(fh) if len(t := normalize_for_match(row["text"]).strip()) >= 20)
    texts = sorted(texts)
    rng.shuffle(texts)
    return texts[:limit]


def export_edit(rng: random.Random, text: str) -> str:
    words = text.split()
    choice = rng.randrange(3)
    if choice == 0:
        return normalize_for_match(text + " #" + rng.choice(["filanda", "ansa", "news", "italia"]))
    if choice == 1 and len(words) > 3:
        del words[rng.randrange(len(words))]
        return " ".join(words)
    return normalize_for_match(text[: max(20, int(len(text) * 0.8))] + "...")


def bench_similarity(rng: random.Random, folder: Path, n_posts: int) -> dict:
    posts = load_posts(folder, n_posts, rng)
    word_sets = [frozenset(p.split()) for p in posts]
    same = [(p, export_edit(rng, p)) for p in posts]
    near = [(posts[i], posts[j]) for i in range(len(posts)) for j in range(i + 1, len(posts))
            if len(word_sets[i] & word_sets[j]) >= SHARED_WORDS * min(len(word_sets[i]), len(word_sets[j]))]
    out: dict = {}
    for name, pairs in (("post_vs_its_export_edit", same), ("posts_passing_word_prefilter", near)):
        if not pairs:
            out[name] = {"pairs": 0}
            continue
        old, old_ms = timed(old_similarity, pairs)
        new, new_ms = timed(similarity, pairs)
        out[name] = {"pairs": len(pairs),
                     "difflib_match": sum(x >= TEXT_THRESHOLD for x in old),
                     "rapidfuzz_match": sum(y >= TEXT_THRESHOLD for y in new),
                     "decisions_differ": sum((x >= TEXT_THRESHOLD) != (y >= TEXT_THRESHOLD) for x, y in zip(old, new)),
                     "scores_differ": sum(abs(x - y) > 1e-9 for x, y in zip(old, new)),
                     "max_gap": round(max(abs(x - y) for x, y in zip(old, new)), 4),
                     "rapidfuzz_below_difflib": sum(y < x - 1e-9 for x, y in zip(old, new)),
                     "ms_per_pair_difflib": round(old_ms, 4), "ms_per_pair_rapidfuzz": round(new_ms, 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=200)
    parser.add_argument("--edit-share", type=float, default=0.1)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--posts", type=Path, default=Path("/work/shared/data/posts"))
    parser.add_argument("--similarity-posts", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = {"levenshtein": bench_levenshtein(rng, args.words, args.edit_share, args.pairs)}
    if args.posts.is_dir():
        out["similarity"] = bench_similarity(rng, args.posts, args.similarity_posts)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
