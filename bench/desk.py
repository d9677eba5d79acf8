"""Benchmark: what writing every drafting step to the database costs. Prints JSON.

    .venv/bin/python bench/desk.py [--rounds 5] [--variants 2]

- direct: `Drafter.stream` consumed in memory (what the page did before the desk), fake provider
  with no delay: the pipeline alone (retrieval, prompt, checks, repair).
- job: the same brief as a desk job (`Jobs.brief`: a thread, a row per draft, streamed text
  flushed every 0.25 s, the heartbeat), from start to the job's end in the database.
- read: `Desk.get` of a finished session (what a page run or a poll of a watching tab pays).
- rows_per_draft_written: how many times each draft's row was written while streaming with a
  0.02 s pause per word (a slow model), against the words it had.
On SQLite in a temporary directory with the demo brands and the hashing embedder; nothing mocked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variants", type=int, default=2)
    args = parser.parse_args()

    from assistant.desk import Jobs
    from assistant.drafting.providers import FakeProvider
    from assistant.drafting.schemas import DraftRequest
    from assistant.knowledge.embeddings import HashingEmbedder
    from assistant.services import Services
    from assistant.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        brands = Path(tmp) / "brands"
        shutil.copytree(ROOT / "brand_profiles", brands)
        svc = Services(load_settings(home=Path(tmp) / "home", brands_dir=brands), embedder=HashingEmbedder())
        svc.knowledge.index_brand(svc.brand("bottega-pasubio"))
        svc.people.add("root", name="Root Admin", grants=[("admin", None)])
        root = svc.people.actor("root")
        request = DraftRequest(brand="bottega-pasubio", platforms=["instagram", "linkedin"], variants=args.variants,
                               brief="Laboratorio di rammendo sabato in bottega")
        direct, job, read = [], [], []
        for _ in range(args.rounds):
            drafter = svc.drafter(provider=FakeProvider(), actor=root)
            start = time.perf_counter()
            list(drafter.stream(request))
            direct.append(time.perf_counter() - start)

            jobs = Jobs(svc.desk, lambda a: svc.drafter(provider=FakeProvider(), actor=a))
            session = svc.desk.open(root, "bottega-pasubio")
            start = time.perf_counter()
            jobs.wait(jobs.brief(root, session, request), 120)
            job.append(time.perf_counter() - start)

            start = time.perf_counter()
            svc.desk.get(root, session)
            read.append(time.perf_counter() - start)

        writes = {"n": 0}
        original = svc.desk.writer_stream

        def counted(*a, **k):
            writes["n"] += 1
            return original(*a, **k)

        svc.desk.writer_stream = counted  # type: ignore[method-assign]
        slow = Jobs(svc.desk, lambda a: svc.drafter(provider=FakeProvider(delay=0.02), actor=a))
        session = svc.desk.open(root, "bottega-pasubio")
        slow.wait(slow.brief(root, session, request.model_copy(update={"variants": 1})), 120)
        drafts = svc.desk.get(root, session).turns[0].drafts
        words = sum(len(d.text.split()) for d in drafts)
        print(json.dumps({
            "drafts_per_brief": 2 * args.variants,
            "direct_ms": median_ms(direct),
            "job_ms": median_ms(job),
            "job_overhead_ms": round(median_ms(job) - median_ms(direct), 2),
            "read_finished_session_ms": median_ms(read),
            "slow_model": {"drafts": len(drafts), "words": words, "stream_writes": writes["n"],
                           "writes_per_draft": round(writes["n"] / max(len(drafts), 1), 1)},
        }, indent=2))
        svc.review.close()


if __name__ == "__main__":
    main()
