"""Nothing lost when ingestion is killed: real `assistant ingest` processes killed with SIGKILL at
many points (while embedding, while writing the record, while Chroma writes), on SQLite and on
PostgreSQL; afterwards `doctor --repair` and the next ingest leave the brand with exactly its posts
and exemplars, no duplicates, and a search that works. Also: an unreadable store is moved aside and
rebuilt from the record."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import DEMO_BRANDS
from tests.factories import PG_SKIP, PG_URL, drop_review_tables

pytestmark = pytest.mark.slow
ASSISTANT = Path(sys.executable).with_name("assistant")
WORDS = ("lana maglia bottega filo ferri giovedì sabato montagna inverno calze sciarpa colore tinta naturale "
         "Schio laboratorio corso rammendo gomitolo pecora").split()
POSTS = 3000


def _posts_file(path: Path) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "platform", "date", "likes"])
        for i in range(POSTS):
            writer.writerow([f"Post {i}: " + " ".join(rng.choices(WORDS, k=25)), "instagram",
                             f"2026-0{1 + i % 9}-{1 + i % 28:02d} 10:{i % 60:02d}", i % 97])


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request, tmp_path):
    brands = tmp_path / "brands"
    shutil.copytree(DEMO_BRANDS / "bottega-pasubio", brands / "bottega-pasubio")
    _posts_file(brands / "bottega-pasubio" / "posts.csv")  # the brand's own file: 3,000 posts
    environ = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_BRANDS_DIR": str(brands),
               "ASSISTANT_EMBEDDING": "fake", "ANONYMIZED_TELEMETRY": "False"}
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(PG_SKIP)
        drop_review_tables(PG_URL)
        environ["ASSISTANT_DATABASE_URL"] = PG_URL
    yield environ
    if request.param == "postgresql":
        drop_review_tables(PG_URL)


def run(environ, *args, check=True):
    done = subprocess.run([str(ASSISTANT), *args], env=environ, capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def services_of(environ):
    from assistant.knowledge.embeddings import HashingEmbedder
    from assistant.services import Services
    from assistant.settings import load_settings

    settings = load_settings(home=environ["ASSISTANT_HOME"], brands_dir=environ["ASSISTANT_BRANDS_DIR"],
                             embedding="fake", database_url=environ.get("ASSISTANT_DATABASE_URL"))
    return Services(settings, embedder=HashingEmbedder())


def recorded_count(environ) -> int:
    """How many documents the brand's record holds, read as another process would (0 before the
    database or its tables exist)."""
    from sqlalchemy import create_engine, text

    url = environ.get("ASSISTANT_DATABASE_URL") or f"sqlite:///{environ['ASSISTANT_HOME']}/copydesk.db"
    if url.startswith("sqlite") and not (Path(environ["ASSISTANT_HOME"]) / "copydesk.db").exists():
        return 0
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM knowledge_docs WHERE brand = 'bottega-pasubio'")).scalar()
    except Exception:  # noqa: BLE001 - not made yet, or being made
        return 0
    finally:
        engine.dispose()


def expected_ids(environ) -> set[str]:
    from assistant.knowledge.parsing import parse_file

    folder = Path(environ["ASSISTANT_BRANDS_DIR"]) / "bottega-pasubio"
    ids = {d.id for d in parse_file((folder / "posts.csv").read_bytes(), brand="bottega-pasubio",
                                    source="posts.csv", kind="post").documents}
    for guideline in sorted((folder / "guidelines").iterdir()):
        ids |= {d.id for d in parse_file(guideline.read_bytes(), brand="bottega-pasubio", source=guideline.name,
                                         kind="guideline").documents}
    return ids


def test_ingest_killed_at_many_points_loses_nothing_and_duplicates_nothing(env):
    svc = services_of(env)
    exemplar = svc.knowledge.add_approved("bottega-pasubio", item_id=41, text="Approvato: il filò del giovedì",
                                          platform="instagram", approved_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    svc.review.close()
    rng = random.Random(11)
    kills = 0
    for _ in range(6):  # each run starts where the killed one left off, and is killed mid-work
        before = recorded_count(env)
        proc = subprocess.Popen([str(ASSISTANT), "ingest", "bottega-pasubio"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Not after a fixed time (a fast machine finishes first): once this run has recorded a batch
        # of its own, then a random moment more, so the kill lands while the next batch is being
        # embedded, recorded or written to Chroma.
        deadline = time.monotonic() + 120
        while proc.poll() is None and recorded_count(env) <= before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 3, "the ingest finished before it could be killed: make the file larger"
    repaired = json.loads(run(env, "doctor", "--repair", "--json").stdout)
    assert repaired["brands"] and all(b["action"] in (None, "synced", "rebuilt") for b in repaired["brands"])
    run(env, "ingest", "bottega-pasubio")
    check = json.loads(run(env, "doctor", "--json", check=False).stdout)
    assert check["ok"], json.dumps(check)
    svc = services_of(env)
    recorded = svc.knowledge.record.ids("bottega-pasubio")
    assert recorded == expected_ids(env) | {exemplar}  # exactly its posts, passages and exemplar
    assert svc.store.all_ids("bottega-pasubio") == recorded and svc.store.count("bottega-pasubio") == len(recorded)
    found = json.loads(run(env, "search", "bottega-pasubio", "Approvato: il filò del giovedì", "--kind", "post",
                           "--json").stdout)
    assert found and found[0]["id"] == exemplar  # the exemplar survived every kill and search finds it
    svc.review.close()


def test_an_unreadable_store_is_moved_aside_and_rebuilt_from_the_record(env):
    run(env, "ingest", "bottega-pasubio")
    svc = services_of(env)
    recorded = svc.knowledge.record.ids("bottega-pasubio")
    svc.review.close()
    chroma = Path(env["ASSISTANT_HOME"]) / "chroma"
    (chroma / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    broken = run(env, "doctor", "--json", check=False)
    assert broken.returncode == 1 and json.loads(broken.stdout)["store_readable"] is False
    (chroma / ".writers").mkdir(exist_ok=True)
    (chroma / ".writers" / "999999").write_text("a writer that died")  # as a SIGKILL leaves it
    done = run(env, "search", "bottega-pasubio", "lana", "--json")  # the next command repairs, then answers
    assert "rebuilt from the record" in done.stderr and json.loads(done.stdout)
    assert any(p.name.startswith("chroma.broken-") for p in chroma.parent.iterdir())
    svc = services_of(env)
    assert svc.store.all_ids("bottega-pasubio") == recorded
    svc.review.close()
