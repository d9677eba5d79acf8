"""Benchmark: language detection on real posts, the project's detector against lingua. Prints JSON.

    .venv/bin/python bench/language.py [--posts /work/shared/data/posts] [--old REV]
        [--distances 0,0.1,0.25] [--low-accuracy]

- data: every `<lang>_*.csv` under --posts (the file name's prefix is the account's language,
  see SOURCES.md there); texts de-duplicated across files (the 11-outlet file repeats the single
  outlet files). Posts written in Japanese, Chinese or Korean script (AmazonHelp answers some
  customers in Japanese) are not in any of the six languages: they are scored apart, where the
  right answer is None.
- "current": `assistant.text.language.detect` as it is in the tree; with --old REV also the
  module as it was at git revision REV (read with `git show`, nothing is checked out).
- "lingua-d<d>-w<w>": lingua restricted to LANGUAGES, built once, models preloaded, with
  `with_minimum_relative_distance(d)` for each --distances value (None when unsure), answering
  None below w words (`language.words`, for each --min-words value). URLs, @mentions and
  #hashtags are stripped first, as the project does. "lingua-low-…": low accuracy mode.
- accuracy = correct / posts; "none" (no answer) is counted apart from "wrong". Also by length
  (words left after stripping: short <= 8, long > 8). ms/post is the mean over all posts after one
  warm-up pass. For lingua: import + build + first detection time and RSS growth (VmRSS from
  /proc), median of 3 fresh processes.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.text import language  # noqa: E402

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
SHORT = 8


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load_posts(folder: Path) -> list[tuple[str, str]]:
    """(expected language or "other", text), one per distinct text."""
    seen: set[str] = set()
    out = []
    for path in sorted(folder.glob("*.csv")):
        lang = path.name.split("_", 1)[0]
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row["text"].strip()
                if not text or text in seen:
                    continue
                seen.add(text)
                out.append(("other" if _CJK.search(text) else lang, text))
    return out


def old_module(rev: str) -> types.ModuleType:
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:assistant/text/language.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"language_{rev}")
    exec(compile(source, f"{rev}:assistant/text/language.py", "exec"), module.__dict__)
    return module


def score(detect, posts: list[tuple[str, str]]) -> dict:
    for _, text in posts:  # warm-up (caches, lazy loading)
        detect(text)
    start = time.perf_counter()
    answers = [detect(text) for _, text in posts]
    elapsed = time.perf_counter() - start
    result: dict = {"ms_per_post": round(elapsed * 1000 / len(posts), 4)}
    groups: dict[str, list[tuple[str, str | None, int]]] = {}
    for (expected, text), got in zip(posts, answers):
        n = len(language.words(text))
        groups.setdefault(expected, []).append((expected, got, n))
        if expected != "other":
            groups.setdefault("all", []).append((expected, got, n))
            groups.setdefault(f"short<={SHORT}w" if n <= SHORT else f"long>{SHORT}w", []).append((expected, got, n))
    for name, rows in groups.items():
        if name == "other":
            result["other_script"] = {"posts": len(rows), "none": sum(g is None for _, g, _ in rows),
                                      "wrong": sum(g is not None for _, g, _ in rows)}
            continue
        correct = sum(g == e for e, g, _ in rows)
        none = sum(g is None for _, g, _ in rows)
        result[name] = {"posts": len(rows), "accuracy": round(correct / len(rows), 4),
                        "correct": correct, "none": none, "wrong": len(rows) - correct - none}
    return result


def build_lingua(distance: float, low: bool):
    import lingua
    codes = [getattr(lingua.IsoCode639_1, code.upper()) for code in language.LANGUAGES]
    builder = lingua.LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_minimum_relative_distance(distance)
    return (builder.with_low_accuracy_mode() if low else builder.with_preloaded_language_models()).build()


def measure_load(low: bool) -> dict:
    """Import + build of a lingua detector in a fresh process: seconds and RSS growth."""
    code = ("import json, sys, time; sys.path.insert(0, %r); import language as b; "
            "r0 = b.rss_kib(); t0 = time.perf_counter(); d = b.build_lingua(0.0, %r); "
            "d.detect_language_of('ciao a tutti, come state oggi?'); "
            "print(json.dumps({'load_s': round(time.perf_counter() - t0, 3), "
            "'rss_delta_mib': round((b.rss_kib() - r0) / 1024, 1)}))") % (str(Path(__file__).parent), low)
    runs = [json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                      text=True, cwd=REPO).stdout) for _ in range(3)]
    return {"load_s_median": sorted(r["load_s"] for r in runs)[1],
            "rss_delta_mib_median": sorted(r["rss_delta_mib"] for r in runs)[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=Path, default=Path("/work/shared/data/posts"))
    parser.add_argument("--old", help="also score assistant/text/language.py at this git revision")
    parser.add_argument("--distances", default="0,0.1,0.25")
    parser.add_argument("--min-words", default="0,3",
                        help="lingua variants answer None below this many words (after stripping)")
    parser.add_argument("--low-accuracy", action="store_true", help="lingua's low accuracy mode too")
    args = parser.parse_args()

    posts = load_posts(args.posts)
    out: dict = {"posts": {lang: sum(e == lang for e, _ in posts) for lang in sorted({e for e, _ in posts})}}
    out["current"] = score(language.detect, posts)
    if args.old:
        out[f"old@{args.old}"] = score(old_module(args.old).detect, posts)

    strip = language._STRIP
    modes = [False, True] if args.low_accuracy else [False]
    out["lingua_load_fresh_process"] = {("low" if low else "high_preloaded"): measure_load(low) for low in modes}
    for low in modes:
        for d in args.distances.split(","):
            detector = build_lingua(float(d), low)
            for w in (int(x) for x in args.min_words.split(",")):
                def detect(text: str, detector=detector, w=w) -> str | None:
                    if len(language.words(text)) < w:
                        return None
                    found = detector.detect_language_of(strip.sub(" ", text))
                    return found.iso_code_639_1.name.lower() if found is not None else None

                out[f"lingua{'-low' if low else ''}-d{d}-w{w}"] = score(detect, posts)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
