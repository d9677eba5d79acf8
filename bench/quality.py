"""Draft-quality harness (issue 14): our briefs through the real drafter, measured. JSON + Markdown.

    .venv/bin/python bench/quality.py [--provider fake|local|compatible|openai] [--embedding fake|local]
        [--variants N] [--limit N] [--brands a,b] [--home DIR] [--out run.json] [--markdown table.md]
        [--against old.json] [--base-url URL] [--model NAME] [--briefs FILE]

Builds `Services` on a temporary ASSISTANT_HOME (or --home), indexes the demo brands the chosen
briefs use, and runs every brief of bench/data/quality_briefs.yaml (or --briefs) through
`services.drafter(provider).stream(request)` with --variants variants per platform. Without --out
the JSON goes to stdout; without --markdown the table goes to stderr (with the progress lines).

Per draft (`drafts[]`): brief_id, brand, platform, variant, goal, hard (the brief's hard cases);
language_asked / language_detected (assistant.text.language.detect) / language_ok (None when the
detector abstains); violations_before (what the model wrote first: `Draft.first_attempt` checked
again with platforms.validate + guards.echoes when a repair was kept) and violations_after (the
draft's own), each {codes, errors, warnings}; repair_attempted, repaired, complete, incomplete;
prompt_echo, copied_exemplar (after; *_before likewise); voice {score, brand_median, reason}
(services.voice when it exists); length {count in the platform's counting, limit, norm (the
table's see_more_at, else the data file's norm), over_limit, over_norm, norm_ratio}; mentions
{expected, found, missing} of the brief's must_mention; first_token_ms, latency_ms (total, repair
included), prompt/completion tokens, cost_usd, provider, model, prompt_version; identical_to_variant
(an earlier variant of the same brief and platform with exactly the same text); text, first_attempt.
Per run: `aggregates` (overall, by_brand, by_platform, by_language; definitions in
bench/qualitylib/aggregate.py), `environment`, `options`, `failures` (a brief whose drafting raised),
and with --against `comparison` (every aggregate: old, new, delta; per-draft error changes).

`--provider openai` needs OPENAI_API_KEY; `compatible` needs --base-url (or ASSISTANT_BASE_URL).
The fake run is a test (tests/bench/test_quality.py); local and remote runs are benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.drafting.providers import PROVIDERS, build_provider  # noqa: E402
from assistant.errors import BrandNotFound, ConfigError  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from bench.qualitylib.aggregate import aggregates, compare  # noqa: E402
from bench.qualitylib.briefs import BRIEFS_FILE, Brief, BriefError, load_briefs, select  # noqa: E402
from bench.qualitylib.measure import Context, VoiceScorer, mark_identical, measure  # noqa: E402
from bench.qualitylib.report import markdown  # noqa: E402


class HarnessError(Exception):
    """A problem the person running the harness must fix; the message says how."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/quality.py", description="Draft-quality harness (JSON + Markdown).")
    ap.add_argument("--provider", choices=PROVIDERS, default="fake")
    ap.add_argument("--embedding", choices=("fake", "local"), default="local")
    ap.add_argument("--variants", type=int, default=1, choices=range(1, 6), metavar="1-5")
    ap.add_argument("--limit", type=int, default=None, help="at most N briefs (round-robin across brands)")
    ap.add_argument("--brands", default=None, help="comma-separated brand slugs (default: all)")
    ap.add_argument("--home", type=Path, default=None, help="ASSISTANT_HOME to use (default: a temporary one)")
    ap.add_argument("--briefs", type=Path, default=BRIEFS_FILE)
    ap.add_argument("--out", type=Path, default=None, help="write the JSON here (default: stdout)")
    ap.add_argument("--markdown", type=Path, default=None, help="write the table here (default: stderr)")
    ap.add_argument("--against", type=Path, default=None, help="a previous run's JSON to compare with")
    ap.add_argument("--base-url", default=None, help="the OpenAI-compatible server (provider compatible)")
    ap.add_argument("--model", default=None, help="the model name to ask the provider for")
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")
    return args


def build(args: argparse.Namespace, home: Path) -> tuple[Services, Any]:
    """Services on `home` with the chosen embedding, and the chosen provider, or a HarnessError."""
    overrides: dict[str, Any] = {"home": home, "embedding": args.embedding, "provider": args.provider}
    if args.base_url:
        overrides["base_url"] = args.base_url
    if args.model:
        overrides["model"] = args.model
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        raise HarnessError(str(exc)) from exc
    if args.provider == "openai" and settings.openai_api_key is None:
        raise HarnessError("--provider openai needs OPENAI_API_KEY: export it (it is sent only to OpenAI), "
                           "or use --provider local for the offline model")
    if args.provider == "compatible" and not settings.base_url:
        raise HarnessError("--provider compatible needs the server's address: --base-url "
                           "http://127.0.0.1:11434/v1 (or ASSISTANT_BASE_URL)")
    try:
        return Services(settings), build_provider(settings)
    except ConfigError as exc:
        raise HarnessError(str(exc)) from exc


def _git(*command: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(REPO), *command], capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def environment(services: Services, provider: Any, drafter: Any) -> dict[str, Any]:
    status = _git("status", "--porcelain")
    return {"provider": provider.name, "model": provider.model, "demo_model": provider.is_demo_model,
            "embedding": services.embedder.name, "machine_cores": os.cpu_count(),
            "machine": host.platform(), "python": host.python_version(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git_commit": _git("rev-parse", "HEAD"), "git_dirty": None if status is None else bool(status),
            "prompt_budget": drafter.prompt_budget, "max_output_tokens": drafter.max_output_tokens}


def index(services: Services, briefs: list[Brief]) -> float:
    """Index every brand the briefs use (skipped when the home's index is fresh); seconds spent."""
    started = time.perf_counter()
    for slug in sorted({b.brand for b in briefs}):
        try:
            brand = services.brand(slug)
        except BrandNotFound as exc:
            raise HarnessError(f"{exc} (brief file names brand '{slug}'; fix the brief or add the brand)") from exc
        services.knowledge.index_brand(brand)
    return round(time.perf_counter() - started, 2)


def draft_all(drafter: Any, briefs: list[Brief], ctx: Context, variants: int) -> tuple[list[dict], list[dict]]:
    """Every brief through `drafter.stream`; a brief whose drafting raises is recorded in failures
    and the run goes on (one bad answer from a server should not lose a 30-minute run)."""
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    total = sum(len(b.platforms) for b in briefs) * variants
    for brief in briefs:
        try:
            for event in drafter.stream(brief.request(variants)):
                if event.kind != "done" or event.draft is None:
                    continue
                row = measure(event.draft, brief, ctx)
                rows.append(row)
                print(f"quality: [{len(rows)}/{total}] {brief.id} {row['platform']} v{row['variant']}: errors "
                      f"{row['violations_before']['errors']}→{row['violations_after']['errors']}, "
                      f"{row['latency_ms']} ms", file=sys.stderr, flush=True)
        except Exception as exc:  # noqa: BLE001 - recorded and reported, see the docstring
            failures.append({"brief_id": brief.id, "error": f"{type(exc).__name__}: {exc}"})
            print(f"quality: {brief.id} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    mark_identical(rows)
    return rows, failures


def run(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    brief_set = load_briefs(args.briefs)
    brands = [b.strip() for b in args.brands.split(",") if b.strip()] if args.brands else None
    briefs = select(brief_set.briefs, brands=brands, limit=args.limit)
    if not briefs:
        raise HarnessError(f"no brief matches --brands {args.brands}: use slugs from {args.briefs}")
    services, provider = build(args, home)
    index_s = index(services, briefs)
    drafter = services.drafter(provider=provider)
    ctx = Context(rules=services.rules, norms=brief_set.norms, profile=lambda slug: services.brand(slug).profile,
                  voice=VoiceScorer(services))
    started = time.perf_counter()
    rows, failures = draft_all(drafter, briefs, ctx, args.variants)
    env = environment(services, provider, drafter) | {"index_s": index_s,
                                                       "wall_s": round(time.perf_counter() - started, 1)}
    options = {"variants": args.variants, "limit": args.limit, "brands": brands, "embedding": args.embedding,
               "provider": args.provider, "briefs_file": str(args.briefs), "briefs": [b.id for b in briefs]}
    return {"harness": "bench/quality.py", "environment": env, "options": options, "drafts": rows,
            "failures": failures, "aggregates": aggregates(rows)}


def read_previous(path: Path) -> dict[str, Any]:
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"--against {path}: cannot read it as JSON ({exc}); pass a file written by --out") from exc
    if not isinstance(previous, dict) or "aggregates" not in previous or "drafts" not in previous:
        raise HarnessError(f"--against {path}: not a run of this harness (no aggregates/drafts); pass a file "
                           "written by --out")
    return previous


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="copydesk-quality-"))
    try:
        previous = read_previous(args.against) if args.against else None
        result = run(args, home)
    except (HarnessError, BriefError) as exc:
        print(f"quality: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    if previous is not None:
        result["comparison"] = compare(previous, result)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    table = markdown(result)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    else:
        print(table, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
