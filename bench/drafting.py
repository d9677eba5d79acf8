"""Benchmark: drafting pipeline overhead (no LLM), prompt size, and the local model's speed. JSON.

    .venv/bin/python bench/drafting.py [--runs 30] [--skip-local]

- overhead: retrieval + prompt rendering with the token budget + platform/brand checks, measured
  with the fake provider (whose own time is subtracted), real offline embeddings, real Chroma,
  on the demo brands.
- prompt tokens per draft with 8 exemplars and 4 guideline passages (settings' default budget).
- local model: time to first token (cold prompt, then a second variant sharing the prompt prefix)
  and tokens/s of the bundled SmolLM2 served by llama.cpp, with its capped budget.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.drafting.schemas import DraftRequest  # noqa: E402
from assistant.drafting.providers import FakeProvider, build_provider  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.settings import load_settings  # noqa: E402

BRIEFS = [
    ("bottega-pasubio", "instagram", "Laboratorio di rammendo sabato in bottega: portate i maglioni bucati"),
    ("bottega-pasubio", "facebook", "Riaprono i Filò del giovedì con la lana Foza"),
    ("villa-moranda", "linkedin", "Offsite aziendali in villa: sale, giardino e barca per Venezia"),
    ("villa-moranda", "instagram", "Cena nel brolo a giugno, menu con le verdure dell'orto"),
    ("paycairn", "linkedin", "Webinar on invoice fraud for mid-market finance teams"),
    ("paycairn", "x", "New report: how long approvals really take"),
]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class TimedFake(FakeProvider):
    """The fake provider, timing itself so that its time can be subtracted."""

    def __init__(self):
        super().__init__()
        self.spent = 0.0

    def _stream(self, messages, temperature, max_tokens):
        started = time.perf_counter()
        pieces = list(super()._stream(messages, temperature, max_tokens))
        self.spent += time.perf_counter() - started
        yield from pieces


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--skip-local", action="store_true")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="copydesk-bench-draft-"))
    svc = Services(load_settings(home=home))
    for brand in svc.brands():
        svc.knowledge.index_brand(brand)
    fake = TimedFake()
    drafter = svc.drafter(provider=fake)
    overhead, prompt_tokens, sources = [], [], []
    for i in range(args.runs):
        brand, platform, brief = BRIEFS[i % len(BRIEFS)]
        request = DraftRequest(brand=brand, platforms=[platform], brief=f"{brief} ({i})")
        fake.spent = 0.0
        started = time.perf_counter()
        [draft] = drafter.draft(request)
        overhead.append((time.perf_counter() - started - fake.spent) * 1000)
        prompt_tokens.append(draft.prompt_tokens)
        sources.append(len(draft.sources))
    result = {
        "runs": args.runs,
        "overhead_ms": {"p50": round(statistics.median(overhead), 1), "p95": round(pct(overhead, 95), 1)},
        "prompt_tokens": {"p50": statistics.median(prompt_tokens), "max": max(prompt_tokens),
                          "budget": svc.settings.prompt_budget},
        "sources_per_draft": {"p50": statistics.median(sources), "max": max(sources)},
    }
    if not args.skip_local:
        local = build_provider(load_settings(home=home, provider="local"))
        d = svc.drafter(provider=local)
        runs = []
        request = DraftRequest(brand="bottega-pasubio", platforms=["instagram"], variants=2,
                               brief="Laboratorio di rammendo sabato in bottega")
        for draft in d.draft(request):  # variant 2 shares the prompt prefix (llama.cpp prompt cache)
            generating_s = max((draft.latency_ms - (draft.first_token_ms or 0)) / 1000, 1e-3)
            runs.append({"variant": draft.variant, "first_token_ms": draft.first_token_ms,
                         "latency_ms": draft.latency_ms, "prompt_tokens": draft.prompt_tokens,
                         "completion_tokens": draft.completion_tokens, "repaired": draft.repaired,
                         "tokens_per_s": round(draft.completion_tokens / generating_s, 1)})
        result["local_model"] = {"model": local.model, "budget_cap": local.prompt_budget_cap, "drafts": runs}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
