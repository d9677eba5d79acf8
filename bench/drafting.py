"""Benchmark: drafting pipeline overhead (no LLM), prompt size and composition, and the local
model's first token and speed. JSON.

    .venv/bin/python bench/drafting.py [--runs 30] [--skip-local] [--repeats 3] [--no-busy]

- overhead: retrieval + prompt rendering with the token budget + platform/brand checks, measured
  with the fake provider (whose own time is subtracted), real offline embeddings, real Chroma,
  on the demo brands.
- prompt tokens per draft with 8 exemplars and 4 guideline passages (settings' default budget).
- prompt_composition: what the prompt holds, per brief, at the bundled model's budget and at the
  settings' default: guideline passages and exemplars, how many of the brief's own top-4 passages
  (retrieval for the brief alone) made it in, and the passages' mean cosine to the brief.
- local model (bundled SmolLM2 served by llama.cpp, its capped budget): every run is a fresh
  process, so "cold" is cold. Scenarios: `cold` (first draft, 2 variants, then a second draft of
  the same brand with another brief), `warmed` (`Services.warm(slug)` finished, then the same two
  drafts: the first draft after choosing a brand), `warming` (the draft sent right after
  `Services.warm`, the warm-up still running). First token both as the drafter records it (from
  the request to the provider) and end to end (from `Drafter.stream` to the first token: query
  embedding and retrieval included). Each with the other core idle and with a busy-loop process
  on it, and `cold` under OMP_WAIT_POLICY unset / ACTIVE / PASSIVE (unset: the code's default).
  Medians of `--repeats` runs; the machine has 2 cores shared with other work, so figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

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
# More briefs for the prompt's composition only (no model): each brand, several platforms.
MORE_BRIEFS = [
    ("bottega-pasubio", "instagram", "Nuovo colore del maglione Novegno: grigio Summano, pochi pezzi"),
    ("bottega-pasubio", "facebook", "Come lavare a mano un maglione di lana senza infeltrirlo"),
    ("villa-moranda", "facebook", "Matrimoni 2026: visite guidate della villa il primo sabato del mese"),
    ("villa-moranda", "x", "Regata Storica: barca del mattino per Venezia dal nostro pontile"),
    ("paycairn", "linkedin", "Customer story: a logistics company cut approval time in half"),
    ("paycairn", "x", "Product update: duplicate invoice detection is now on by default"),
]
LOCAL_BRAND, LOCAL_PLATFORM = "bottega-pasubio", "instagram"
LOCAL_BRIEFS = ("Laboratorio di rammendo sabato in bottega", "Riaprono i Filò del giovedì con la lana Foza")


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


def overhead(svc: Services, runs: int) -> dict:
    fake = TimedFake()
    drafter = svc.drafter(provider=fake)
    spent, prompt_tokens, sources = [], [], []
    for i in range(runs):
        brand, platform, brief = BRIEFS[i % len(BRIEFS)]
        request = DraftRequest(brand=brand, platforms=[platform], brief=f"{brief} ({i})")
        fake.spent = 0.0
        started = time.perf_counter()
        [draft] = drafter.draft(request)
        spent.append((time.perf_counter() - started - fake.spent) * 1000)
        prompt_tokens.append(draft.prompt_tokens)
        sources.append(len(draft.sources))
    return {
        "runs": runs,
        "overhead_ms": {"p50": round(statistics.median(spent), 1), "p95": round(pct(spent, 95), 1)},
        "prompt_tokens": {"p50": statistics.median(prompt_tokens), "max": max(prompt_tokens),
                          "budget": svc.settings.prompt_budget},
        "sources_per_draft": {"p50": statistics.median(sources), "max": max(sources)},
    }


def composition(svc: Services) -> dict:
    """Per budget: passages and exemplars in the prompt, the brief's own top-4 passages kept, and
    the passages' mean cosine to the brief (the embedder's own vectors)."""
    out = {}
    for label, cap in (("bundled_cap_1400", 1400), ("default_budget", None)):
        fake = FakeProvider()
        fake.prompt_budget_cap = cap
        drafter = svc.drafter(provider=fake)
        rows = []
        for brand, platform, brief in BRIEFS + MORE_BRIEFS:
            ids, _, _, vectors = svc.store.all_of_kind(brand, "guideline")
            unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
            q = np.asarray(svc.embedder.query(brief), dtype=np.float32)
            cosine = dict(zip(ids, (unit @ (q / np.linalg.norm(q))).tolist()))
            top4 = {s.id for s in svc.retriever.retrieve(brand, brief, k=0, kind="guideline", k_guidelines=4)}
            [draft] = drafter.draft(DraftRequest(brand=brand, platforms=[platform], brief=brief))
            passages = [s.id for s in draft.sources if s.kind == "guideline"]
            rows.append({"passages": len(passages), "exemplars": len(draft.sources) - len(passages),
                         "brief_top4_kept": len(top4 & set(passages)) / max(len(top4), 1),
                         "passage_cosine": statistics.mean(cosine[i] for i in passages) if passages else None,
                         "prompt_tokens": draft.prompt_tokens})
        cosines = [r["passage_cosine"] for r in rows if r["passage_cosine"] is not None]
        out[label] = {
            "briefs": len(rows), "budget": drafter.prompt_budget,
            "passages_mean": round(statistics.mean(r["passages"] for r in rows), 2),
            "exemplars_mean": round(statistics.mean(r["exemplars"] for r in rows), 2),
            "brief_top4_kept_mean": round(statistics.mean(r["brief_top4_kept"] for r in rows), 3),
            "passage_cosine_mean": round(statistics.mean(cosines), 4) if cosines else None,
            "prompt_tokens_p50": statistics.median(r["prompt_tokens"] for r in rows),
        }
    return out


# --- the local model, one fresh process per run ------------------------------------------------

def timed_draft(drafter, request: DraftRequest) -> list[dict]:
    """Every variant of `request`: first token end to end (from `stream`), and what the draft recorded."""
    rows, started, first = [], time.perf_counter(), None  # variant 1: from the call (retrieval included)
    for event in drafter.stream(request):
        if event.kind == "token" and first is None:
            first = int((time.perf_counter() - started) * 1000)
        elif event.kind == "done" and event.draft is not None:
            d = event.draft
            generating_s = max((d.latency_ms - (d.first_token_ms or 0)) / 1000, 1e-3)
            rows.append({"variant": d.variant, "first_token_ms": d.first_token_ms, "first_token_e2e_ms": first,
                         "latency_ms": d.latency_ms, "prompt_tokens": d.prompt_tokens,
                         "completion_tokens": d.completion_tokens, "repaired": d.repaired,
                         "tokens_per_s": round(d.completion_tokens / generating_s, 1),
                         # the server's own count for the last request (the repair's, if repaired)
                         "cached_tokens": getattr(drafter.provider, "last_cached_tokens", None)})
            started, first = time.perf_counter(), None  # the next variant: from this one's end
    return rows


def child(scenario: str, home: Path) -> dict:
    started = time.perf_counter()
    svc = Services(load_settings(home=home, provider="local"))
    provider = svc.provider
    out: dict = {"scenario": scenario, "omp": os.environ.get("OMP_WAIT_POLICY"), "model": provider.model,
                 "budget_cap": provider.prompt_budget_cap, "load_ms": int((time.perf_counter() - started) * 1000)}
    if scenario in ("warmed", "warming"):
        if not hasattr(svc, "warm"):
            return {**out, "skipped": "this code has no Services.warm"}
        started = time.perf_counter()
        warming = svc.warm(LOCAL_BRAND)
        if scenario == "warmed" and warming is not None:
            warming.wait()
            out["warm_ms"] = int((time.perf_counter() - started) * 1000)
            again = []
            for _ in range(20):  # what a page run pays to ask again (deduplicated: nothing is sent)
                started = time.perf_counter()
                svc.warm(LOCAL_BRAND)
                again.append((time.perf_counter() - started) * 1000)
            out["warm_again_ms"] = round(statistics.median(again), 2)
    drafter = svc.drafter()
    first, second = LOCAL_BRIEFS
    out["first"] = timed_draft(drafter, DraftRequest(brand=LOCAL_BRAND, platforms=[LOCAL_PLATFORM], variants=2,
                                                     brief=first))
    out["second"] = timed_draft(drafter, DraftRequest(brand=LOCAL_BRAND, platforms=[LOCAL_PLATFORM], brief=second))
    out["load_average"] = round(os.getloadavg()[0], 2)  # other work on the machine, over the last minute
    return out


def run_child(scenario: str, home: Path, omp: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if omp:
        env["OMP_WAIT_POLICY"] = omp
    done = subprocess.run([sys.executable, __file__, "--child", scenario, "--home", str(home)], env=env,
                          capture_output=True, text=True, timeout=900)
    if done.returncode:
        return {"scenario": scenario, "error": done.stderr[-2000:]}
    return json.loads(done.stdout)


def summary(runs: list[dict]) -> dict:
    """Medians over runs of the first draft's variants 1 and 2 and of the second draft."""
    ok = [r for r in runs if "first" in r]
    if not ok:
        return {"skipped": (runs[0].get("skipped") or runs[0].get("error", "")[-300:]) if runs else "no runs"}

    def med(pick):
        values = [pick(r) for r in ok]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    out = {
        "runs": len(ok),
        "first_draft_first_token_ms": med(lambda r: r["first"][0]["first_token_ms"]),
        "first_draft_first_token_e2e_ms": med(lambda r: r["first"][0]["first_token_e2e_ms"]),
        "variant2_first_token_ms": med(lambda r: r["first"][1]["first_token_ms"]),
        "second_draft_first_token_ms": med(lambda r: r["second"][0]["first_token_ms"]),
        "second_draft_first_token_e2e_ms": med(lambda r: r["second"][0]["first_token_e2e_ms"]),
        "tokens_per_s": med(lambda r: statistics.median(d["tokens_per_s"] for d in r["first"] + r["second"])),
        "prompt_tokens": med(lambda r: r["first"][0]["prompt_tokens"]),
        "first_draft_cached_tokens": med(lambda r: r["first"][0].get("cached_tokens")),
        "second_draft_cached_tokens": med(lambda r: r["second"][0].get("cached_tokens")),
        "all_first_token_ms": [r["first"][0]["first_token_ms"] for r in ok],
        "load_average": med(lambda r: r.get("load_average")),
    }
    if any("warm_ms" in r for r in ok):
        out["warm_ms"] = med(lambda r: r.get("warm_ms"))
        out["warm_again_ms"] = med(lambda r: r.get("warm_again_ms"))
    return out


def local(home: Path, repeats: int, busy: bool) -> dict:
    conditions = [("idle", False)] + ([("busy_core", True)] if busy else [])
    result: dict = {"first_token": {}, "omp_wait_policy": {}}
    example = None
    for label, with_busy in conditions:
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if with_busy else None
        try:
            per: dict[tuple[str, str | None], list[dict]] = {}
            for _ in range(repeats):  # interleaved, so slow phases of the machine spread over all
                for scenario, omp in (("cold", None), ("warmed", None), ("warming", None),
                                      ("cold", "ACTIVE"), ("cold", "PASSIVE")):
                    per.setdefault((scenario, omp), []).append(run_child(scenario, home, omp))
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        result["first_token"][label] = {s: summary(per[(s, None)]) for s in ("cold", "warmed", "warming")}
        result["omp_wait_policy"][label] = {str(omp or "unset"): summary(per[("cold", omp)])
                                            for omp in (None, "ACTIVE", "PASSIVE")}
        if example is None and per[("cold", None)] and "first" in per[("cold", None)][0]:
            example = per[("cold", None)][0]
    if example is not None:  # the keys of earlier versions of this bench: one cold request, 2 variants
        drafts = [{k: v for k, v in d.items() if k not in ("first_token_e2e_ms", "cached_tokens")}
                  for d in example["first"]]
        result["local_model"] = {"model": example["model"], "budget_cap": example["budget_cap"], "drafts": drafts}
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-busy", action="store_true", help="skip the runs with a busy-loop process on the other core")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.home))))
        return
    home = Path(tempfile.mkdtemp(prefix="copydesk-bench-draft-"))
    svc = Services(load_settings(home=home))
    for brand in svc.brands():
        svc.knowledge.index_brand(brand)
    result = overhead(svc, args.runs)
    result["prompt_composition"] = composition(svc)
    if not args.skip_local:
        build_provider(load_settings(home=home, provider="local"))  # fails here, clearly, without the model
        measured = local(home, args.repeats, busy=not args.no_busy)
        result["local_model"] = measured.pop("local_model", None)
        result.update(measured)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
