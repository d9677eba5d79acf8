"""Benchmark: app start to first page served, and AppTest time per interaction (fake provider,
so the LLM is excluded). Prints JSON.

    .venv/bin/python bench/ui.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_time(env: dict) -> float:
    """Seconds from `streamlit run` to the app's page and health endpoint answering."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py"),
                             "--server.port", str(port), "--server.headless", "true"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                            page.read()
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
            if time.perf_counter() - started > 120:
                raise RuntimeError("the app did not start in 120 s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def interactions(repeat: int) -> dict:
    from streamlit.testing.v1 import AppTest

    timings: dict[str, list[float]] = {}

    def timed(name, fn):
        started = time.perf_counter()
        fn()
        timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    for _ in range(repeat):
        at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120)
        timed("first_run", at.run)
        timed("set_reviewer", lambda: at.sidebar.text_input(key="reviewer_name").input("Bench").run())
        timed("draft_2_platforms", lambda: at.chat_input[0].set_value("Laboratorio di rammendo sabato").run())
        conv = at.session_state["conversations"]["bottega-pasubio"]
        draft_id = conv[-1]["drafts"][0]["id"]
        timed("send_to_review", lambda: at.button(key=f"send-{draft_id}").click().run())
        timed("open_review_page", lambda: at.switch_page("views/review.py").run())
        item = at.session_state["rq_item"]
        timed("approve", lambda: at.button(key=f"rq_approve_{item}").click().run())
        timed("open_insights", lambda: at.switch_page("views/insights.py").run())
        timed("open_library", lambda: at.switch_page("views/library.py").run())
        timed("switch_language", lambda: at.sidebar.radio(key="ui_lang").set_value("en").run())
    return {name: {"p50_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1)} for name, v in timings.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="copydesk-bench-ui-"))
    brands = home / "brands"
    shutil.copytree(REPO / "brand_profiles", brands)
    env = {**os.environ, "ASSISTANT_HOME": str(home / "state"), "ASSISTANT_BRANDS_DIR": str(brands),
           "ASSISTANT_PROVIDER": "fake", "ASSISTANT_EMBEDDING": "fake"}
    starts = [start_time(env) for _ in range(3)]
    os.environ.update({k: v for k, v in env.items() if k.startswith("ASSISTANT_")})
    from assistant.services import Services

    Services().knowledge.index_brand(Services().brand("bottega-pasubio"))  # as `make run` does before starting
    print(json.dumps({"start_to_first_page_s": {"runs": [round(s, 2) for s in starts],
                                                "median": round(statistics.median(starts), 2)},
                      "interactions_excluding_llm": interactions(args.repeat),
                      "note": "fake provider and hashing embedder: app overhead only"}, indent=2))


if __name__ == "__main__":
    main()
