"""`assistant doctor`: every brand's index checked against the record, in a child process, and
rebuilt from the record where it is broken.

An embedded Chroma store can be left corrupt by a process killed while it wrote (upstream
reports: chroma-core/chroma#7510, #7238); opening it then crashes the process with a signal and no
message. So the store is opened and read in a child process (`python -m assistant.knowledge.doctor
--probe`): if the child dies, the caller survives, moves the store aside and rebuilds every brand
from the record. A child that reads the store returns each collection's ids, compared with the
record's: missing or extra documents are synced, an unreadable collection is rebuilt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

PROBE_TIMEOUT = 300
UNSEARCHABLE_TOLERATED = 2  # of the 24 sampled documents (HNSW search is approximate)


@dataclass
class BrandHealth:
    brand: str
    recorded: int = 0
    indexed: int | None = None  # None: the index could not be read
    missing: int = 0  # in the record, not in the index
    extra: int = 0  # in the index, not in the record
    unsearchable: int = 0  # sampled documents a query with their own vector did not find
    unsearchable_exemplars: int = 0  # the same, for the approved exemplars (all checked, up to 50)
    pending: bool = False
    error: str | None = None
    action: str | None = None  # what --repair did: synced | rebuilt

    @property
    def ok(self) -> bool:
        return self.error is None and not (self.missing or self.extra or self.pending or self.lost_vectors)

    @property
    def lost_vectors(self) -> bool:
        """Approximate search may miss one document now and then; a damaged index misses many."""
        return self.unsearchable > UNSEARCHABLE_TOLERATED or self.unsearchable_exemplars > 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


@dataclass
class Checkup:
    store_readable: bool
    brands: list[BrandHealth] = field(default_factory=list)
    crash: str | None = None  # how the probe died, when it did
    moved_to: str | None = None  # where a broken embedded store was moved by --repair

    @property
    def ok(self) -> bool:
        return self.store_readable and all(b.ok for b in self.brands)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "store_readable": self.store_readable, "crash": self.crash,
                "moved_to": self.moved_to, "brands": [b.as_dict() for b in self.brands]}


def _probe(services: Any, slugs: list[str]) -> tuple[dict[str, Any] | None, str | None]:
    """Run the probe in a child process: (its findings, None) or (None, how it died)."""
    env = {**os.environ, "ASSISTANT_HOME": str(services.settings.home),
           "ANONYMIZED_TELEMETRY": "False", "ASSISTANT_EMBEDDING": services.settings.embedding}
    try:
        done = subprocess.run([sys.executable, "-m", "assistant.knowledge.doctor", "--probe", *slugs],
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return None, f"the store did not answer within {PROBE_TIMEOUT} s"
    if done.returncode != 0:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
        return None, f"opening the store crashed the checking process ({how}) {tail[0][:300]}".strip()
    try:
        return json.loads(done.stdout.strip().splitlines()[-1]), None
    except (json.JSONDecodeError, IndexError):
        return None, "the checking process printed no result"


def check(services: Any, slugs: list[str] | None = None) -> Checkup:
    """Every brand's index against the record (brand folders and brands the record holds)."""
    record = services.knowledge.record
    slugs = slugs or sorted(set(b.slug for b in services.brands()) | set(record.brands()))
    found, crash = _probe(services, slugs)
    result = Checkup(store_readable=found is not None, crash=crash)
    for slug in slugs:
        ids = record.ids(slug)
        health = BrandHealth(slug, recorded=len(ids), pending=record.has_pending(slug))
        got = (found or {}).get(slug)
        if got is None:
            health.error = crash or "not probed"
        elif got.get("error"):
            health.error = got["error"]
        else:
            indexed = set(got.get("ids", []))
            health.indexed, health.missing, health.extra = len(indexed), len(ids - indexed), len(indexed - ids)
            health.unsearchable = int(got.get("unsearchable", 0))
            health.unsearchable_exemplars = int(got.get("unsearchable_exemplars", 0))
        result.brands.append(health)
    return result


def repair(services: Any, checkup: Checkup) -> Checkup:
    """Rebuild what `check` found broken, from the record; nothing recorded is lost."""
    index = services.knowledge.index
    if not checkup.store_readable:
        moved = services.store.move_aside()
        checkup.moved_to = str(moved) if moved else None
        for health in checkup.brands:
            if health.recorded:
                index.rebuild(health.brand)
            health.action = "rebuilt"
    else:
        for health in checkup.brands:
            if health.error is not None or health.lost_vectors:
                index.rebuild(health.brand)
                health.action = "rebuilt"
            elif not health.ok:
                index.sync(health.brand)
                health.action = "synced"
    for marker in index.marks.dead():
        marker.unlink(missing_ok=True)
    return checkup


def after_crash(services: Any) -> list[str]:
    """If a writer died while writing to the embedded store, check it (in a child process) and
    repair it before this process opens it. Returns what was done, for the user; [] when nothing."""
    if not services.knowledge.index.marks.dead():
        return []
    checkup = check(services)
    if checkup.ok:
        for marker in services.knowledge.index.marks.dead():
            marker.unlink(missing_ok=True)
        return ["an earlier process stopped while writing to the index; the index was checked and is intact"]
    repair(services, checkup)
    done = [f"{b.brand}: {b.action} from the record ({b.recorded} documents)" for b in checkup.brands if b.action]
    lead = ("the index was unreadable after an interrupted write (moved to " + str(checkup.moved_to) + ")"
            if not checkup.store_readable else "the index was out of step after an interrupted write")
    return [f"{lead}; " + "; ".join(done)]


def _main(argv: list[str]) -> int:  # the child process
    if not argv or argv[0] != "--probe":
        print("usage: python -m assistant.knowledge.doctor --probe BRAND...", file=sys.stderr)
        return 2
    from assistant.knowledge.embeddings import build_embedder
    from assistant.knowledge.vectorstore import VectorStore
    from assistant.settings import load_settings

    settings = load_settings()
    store = VectorStore(settings, build_embedder(settings))
    print(json.dumps(store.probe(argv[1:])))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
