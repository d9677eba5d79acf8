"""The `assistant` CLI: JSON on stdout, errors on stderr with a non-zero exit."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from tests.conftest import write_brand


@pytest.fixture
def cli_env(monkeypatch, tmp_path, brands_dir, hash_embedder):
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSISTANT_BRANDS_DIR", str(brands_dir))
    # Unit-speed: the CLI builds Services(); give it the hashing embedder.
    import assistant.cli.common as cli

    from assistant.services import Services
    from assistant.settings import load_settings

    monkeypatch.setattr(cli, "services", lambda **kw: Services(load_settings(**kw), embedder=hash_embedder))
    from tests.factories import add_people

    add_people(Services(load_settings(), embedder=hash_embedder).review, ("Giulia",), role="editor")
    return brands_dir


def run(*args):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_brands_ingest_search_json(cli_env):
    code, out, _ = run("brands", "--json")
    assert code == 0
    before = {b["slug"]: b for b in json.loads(out)}
    assert {"bottega-pasubio"} <= set(before) and before["bottega-pasubio"]["indexed_posts"] == 0
    code, out, _ = run("ingest", "bottega-pasubio", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["added"] > 40 and report["rejected"] == 0 and report["errors"] == []
    code, out, _ = run("ingest", "bottega-pasubio", "--json")
    again = json.loads(out)
    assert again["added"] == 0 and again["skipped"] == report["added"] and again["embedded"] == 0
    code, out, _ = run("brands", "--json")
    after = {b["slug"]: b for b in json.loads(out)}
    assert after["bottega-pasubio"]["indexed_posts"] >= 40 and after["bottega-pasubio"]["guideline_chunks"] > 0
    code, out, _ = run("search", "bottega-pasubio", "lana", "--k", "3", "--kind", "post", "--json")
    results = json.loads(out)
    assert code == 0 and len(results) == 3 and all(r["kind"] == "post" for r in results)
    assert all(r["metadata"]["brand"] == "bottega-pasubio" for r in results)


def test_ingest_files_with_mapping_and_warnings(cli_env, tmp_path):
    write_brand(cli_env, "prova")
    f = tmp_path / "export.csv"
    f.write_text("Quando;Messaggio;Titolo\n01/02/2026 10:00;Ciao dal forno;interno\n02/02/2026;;vuoto\n",
                 encoding="cp1252")
    code, out, err = run("ingest", "prova", "--posts", str(f), "--map", "text=Messaggio", "--map", "posted_at=Quando",
                         "--platform", "facebook", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["added"] == 1 and report["rejected"] == 1
    assert "export.csv, row 3, column 'Messaggio'" in report["rejected_rows"][0]


def posts_of(slug: str) -> dict[str, dict]:
    from assistant.services import Services

    return {d.text: d.metadata for d in Services().knowledge.record.documents(slug, kinds=["post"])}


def test_ingest_without_a_platform_column_says_to_pass_platform(cli_env, tmp_path):
    write_brand(cli_env, "prova")
    f = tmp_path / "senza.csv"
    f.write_text("testo,data\nFilò del giovedì,14/03/2026 18:30\nCalze per l'estate,14/07/2026 18:30\n",
                 encoding="utf-8")
    code, out, err = run("ingest", "prova", "--posts", str(f))
    assert code == 1 and "senza.csv: no platform column" in err
    assert "--platform instagram" in err and "--platform mixed" in err and "--map platform=" in err
    assert posts_of("prova") == {}  # nothing went in
    code, out, err = run("ingest", "prova", "--posts", str(f), "--platform", "Instagram", "--json")
    assert code == 0, err
    posts = posts_of("prova")
    assert {m["platform"] for m in posts.values()} == {"instagram"}
    # the brand's zone (Europe/Rome, the default): 18:30 is 17:30 UTC in March, 16:30 UTC in July
    assert posts["Filò del giovedì"]["posted_at"] == "2026-03-14T17:30:00+00:00"
    assert posts["Calze per l'estate"]["posted_at"] == "2026-07-14T16:30:00+00:00"


@pytest.mark.parametrize(("options", "march"), [
    (["--utc"], "2026-03-14T18:30:00+00:00"),
    (["--timezone", "Europe/London"], "2026-03-14T18:30:00+00:00"),
    (["--timezone", "America/New_York"], "2026-03-14T22:30:00+00:00"),  # EDT since 8 March
    (["--timezone", "UTC", "--utc"], "2026-03-14T18:30:00+00:00"),
])
def test_ingest_times_in_another_zone(cli_env, tmp_path, options, march):
    write_brand(cli_env, "prova")
    f = tmp_path / "orari.csv"
    f.write_text("text,date\nFilò del giovedì,14/03/2026 18:30\n", encoding="utf-8")
    code, _, err = run("ingest", "prova", "--posts", str(f), "--platform", "mixed", *options)
    assert code == 0, err
    post = posts_of("prova")["Filò del giovedì"]
    assert post["posted_at"] == march and post["platform"] == ""


def test_ingest_zone_and_platform_options_are_checked(cli_env, tmp_path):
    write_brand(cli_env, "prova")
    f = tmp_path / "orari.csv"
    f.write_text("text,date\nFilò,14/03/2026 18:30\n", encoding="utf-8")
    code, _, err = run("ingest", "prova", "--posts", str(f), "--platform", "x", "--timezone", "Europe/Roma")
    assert code == 2 and "unknown time zone 'Europe/Roma'" in err
    code, _, err = run("ingest", "prova", "--posts", str(f), "--platform", "x", "--utc", "--timezone", "Europe/Rome")
    assert code == 2 and "disagree" in err
    code, _, err = run("ingest", "prova", "--utc")
    assert code == 2 and "apply to --posts files" in err
    code, _, err = run("ingest", "prova", "--posts", str(f), "--platform", "Myspace")
    assert code == 1 and "unknown platform 'Myspace'" in err and posts_of("prova") == {}


def test_errors_go_to_stderr_with_nonzero_exit(cli_env, tmp_path):
    code, out, err = run("search", "nessuno", "x")
    assert code == 1 and out == "" and "no brand 'nessuno'" in err
    bad = tmp_path / "vuoto.csv"
    bad.write_bytes(b"")
    write_brand(cli_env, "prova")
    code, out, err = run("ingest", "prova", "--posts", str(bad))
    assert code == 1 and "vuoto.csv: the file is empty" in err
    code, _, err = run("ingest", "prova", "--posts", str(bad), "--map", "text")
    assert code == 2 and "FIELD=COLUMN" in err
    code, _, err = run("ingest")
    assert code == 2 and "--all" in err


def test_installed_entry_point_runs():
    exe = Path(sys.executable).with_name("assistant")
    if not exe.exists():
        pytest.skip("the `assistant` script is not installed in this environment (run `make install`)")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "ingest" in proc.stdout and "search" in proc.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if exe is None:
        pytest.skip("the chroma CLI is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "srv"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_client_server_chroma(chroma_server, tmp_path, brands_dir, hash_embedder):
    """ASSISTANT_CHROMA_HOST switches to a real Chroma server; isolation holds there too."""
    from assistant.services import Services
    from assistant.settings import load_settings

    settings = load_settings(home=tmp_path / "h", brands_dir=brands_dir, chroma_host="127.0.0.1", chroma_port=chroma_server)
    svc = Services(settings, embedder=hash_embedder)
    report = svc.knowledge.index_brand(svc.brand("bottega-pasubio"))
    assert report.added > 40 and not (tmp_path / "h" / "chroma").exists()
    assert svc.knowledge.index_brand(svc.brand("bottega-pasubio")) is None  # state lives with the collection
    hits = svc.retriever.retrieve("bottega-pasubio", "lana", k=2, kind="post")
    assert len(hits) == 2 and all(h.metadata["brand"] == "bottega-pasubio" for h in hits)


def test_draft_json_and_streaming(cli_env, monkeypatch):
    code, _, err = run("ingest", "bottega-pasubio")
    assert code == 0, err
    code, out, err = run("draft", "bottega-pasubio", "--platform", "instagram", "--platform", "x",
                         "--brief", "Filò del giovedì: si riparte", "--variants", "2", "--provider", "fake", "--json")
    assert code == 0, err
    drafts = json.loads(out)
    assert [(d["platform"], d["variant"]) for d in drafts] == [("instagram", 1), ("instagram", 2), ("x", 1), ("x", 2)]
    for d in drafts:
        assert {"text", "sources", "provider", "model", "prompt_version", "prompt_tokens", "completion_tokens",
                "cost_usd", "latency_ms", "violations"} <= set(d)
        assert d["provider"] == "fake" and "Filò del giovedì" in d["text"] and d["sources"]
    code, out, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò del giovedì", "--provider", "fake")
    assert code == 0 and "--- instagram · variant 1 ---" in out and "Filò del giovedì" in out
    assert "fake / fake-echo-1" in err


def test_draft_bad_input(cli_env):
    code, _, err = run("draft", "bottega-pasubio", "-p", "myspace", "-b", "x y z", "--provider", "fake")
    assert code == 2 and "unknown platform" in err
    code, _, err = run("draft", "bottega-pasubio", "-p", "x", "-b", "ciao a tutti", "--provider", "gemini")
    assert code == 1 and "unknown provider" in err


def test_draft_into_the_queue(cli_env):
    code, _, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò del giovedì", "--provider", "fake",
                       "--queue", "--by", "giulia.")
    assert code == 1 and "no user 'giulia.'" in err  # a look-alike of a user is nobody: nothing is queued
    code, out, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò del giovedì", "--provider", "fake",
                         "--queue", "--by", "Giulia", "--json")
    assert code == 0, err
    [draft] = json.loads(out)
    code, out, err = run("queue", "show", str(draft["queue_item"]), "--json")
    assert code == 0, err
    item = json.loads(out)
    assert item["state"] == "in_review" and item["revisions"][0]["text"] == draft["text"]
    code, _, err = run("draft", "bottega-pasubio", "-p", "x", "-b", "ciao a tutti", "--provider", "fake", "--queue")
    assert code == 2 and "--by" in err


def test_draft_into_the_queue_with_media_in_order(cli_env, hash_embedder):
    from assistant.services import Services
    from assistant.settings import load_settings
    from tests.media.helpers import png

    svc = Services(load_settings(), embedder=hash_embedder)
    first = svc.media.add("bottega-pasubio", png(color=(1, 2, 3)), by="giulia", name="IMG_1_gomitoli.png").id
    second = svc.media.add("bottega-pasubio", png(color=(4, 5, 6)), by="giulia", name="banco.png",
                           alt="Il banco della bottega").id
    theirs = svc.media.add("paycairn", png(color=(7, 8, 9)), by="giulia", name="p.png").id
    base = ["draft", "bottega-pasubio", "-p", "mastodon", "-b", "Filò del giovedì", "--provider", "fake"]
    for media, said in ((["--media", "4242"], "--media 4242"), (["--media", str(theirs)], "a file of paycairn")):
        code, out, err = run(*base, "--queue", "--by", "Giulia", *media, "--json")
        assert code == 2 and said in err and "assistant media list bottega-pasubio" in err, err
        assert out == ""  # refused before anything was generated or queued
    code, _, err = run(*base, "--media", str(first))
    assert code == 2 and "--queue" in err
    code, _, err = run(*base, "--queue", "--by", "Giulia", "--media", str(first), "--alt", "a", "--alt", "b")
    assert code == 2 and "2 --alt for 1 --media" in err
    assert svc.review.list().total == 0
    code, out, err = run(*base, "-n", "2", "--queue", "--by", "Giulia", "--media", str(second), "--media", str(first),
                         "--alt", "Due gomitoli sul banco", "--json")
    assert code == 0, err
    drafts = json.loads(out)
    assert [d["media"] for d in drafts] == [[second, first], [second, first]]
    # every queued draft has them, in order: --alt is the first file's (over its upload alt), the second's a proposal
    for d in drafts:
        attached = svc.attachments.list(d["queue_item"])
        assert [(a.media_id, a.alt_text, a.alt_source) for a in attached] == [
            (second, "Due gomitoli sul banco", "human"), (first, "Immagine: gomitoli. Filò del giovedì", "proposal")]
    code, _, err = run(*base, "--queue", "--by", "Giulia", "--media", str(first))
    assert code == 0 and f"with media {first}" in err


def test_a_failure_after_the_first_variant_reports_what_was_created(cli_env, monkeypatch, hash_embedder):
    """Two variants; the second fails: --json still prints the queued first one, with the error."""
    import assistant.cli.common as cli
    from assistant.drafting.providers import FakeProvider
    from assistant.errors import ProviderError
    from assistant.services import Services
    from assistant.settings import load_settings

    fake = FakeProvider(script=["Filò del giovedì in bottega, vi aspettiamo! #BottegaPasubio",
                                ProviderError("compatible failed with HTTP 500 after retries; try again later")])
    monkeypatch.setattr(cli, "services", lambda **kw: Services(load_settings(**kw), embedder=hash_embedder,
                                                             provider=fake))
    code, out, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò del giovedì", "-n", "2",
                         "--queue", "--by", "Giulia", "--json")
    assert code == 1
    result = json.loads(out)
    assert "HTTP 500" in result["error"] and len(result["drafts"]) == 1
    assert result["drafts"][0]["queue_item"] == 1


def test_an_incomplete_answer_is_not_queued_unless_kept(cli_env, monkeypatch, hash_embedder):
    import assistant.cli.common as cli
    from assistant.drafting.providers import FakeProvider
    from assistant.services import Services
    from assistant.settings import load_settings

    def with_reply(reply):
        fake = FakeProvider(script=[reply])
        monkeypatch.setattr(cli, "services", lambda **kw: Services(load_settings(**kw), embedder=hash_embedder,
                                                                 provider=fake))

    with_reply(("Mezza risposta che si", None))
    code, out, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò", "--queue", "--by", "Giulia",
                         "--json", "--ui-language", "en")
    assert code == 1 and "cut off after" in err and "not queued" in err
    [draft] = json.loads(out)
    assert draft["complete"] is False and "queue_item" not in draft
    with_reply(("Mezza risposta che si", None))
    code, out, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò", "--queue", "--by", "Giulia",
                         "--json", "--keep-incomplete")
    [draft] = json.loads(out)
    assert code == 1 and draft["queue_item"] == 1  # kept as a draft, still reported as incomplete
    code, out, _ = run("queue", "show", "1", "--json")
    assert json.loads(out)["state"] == "draft"


def test_draft_for_a_brand_that_refuses_the_provider_sends_nothing_and_names_the_operator(cli_env, monkeypatch,
                                                                                        hash_embedder):
    import getpass

    from assistant.services import Services
    from assistant.settings import load_settings
    from tests.utils.policy import TcpListener, restrict

    restrict(cli_env, "bottega-pasubio", allowed_providers=["local"])
    with TcpListener() as listener:
        monkeypatch.setenv("ASSISTANT_PROVIDER", "compatible")
        monkeypatch.setenv("ASSISTANT_BASE_URL", listener.base_url)
        code, out, err = run("draft", "bottega-pasubio", "-p", "instagram", "-b", "Filò del giovedì")
        assert code == 1, out
        assert "does not allow its material to go to provider 'compatible'" in err
        assert "allowed_providers in bottega-pasubio/brand.yaml: local" in err and "nothing was sent" in err
        assert listener.connections() == 0
    [event] = [e for e in Services(load_settings(), embedder=hash_embedder).people.events()
               if e.action == "provider_refused"]
    assert event.data["by"] == f"{getpass.getuser()} (command line)" and event.data["provider"] == "compatible"


def test_a_large_ingest_shows_a_progress_bar_with_rate_on_stderr(cli_env, tmp_path):
    write_brand(cli_env, "grande")
    f = tmp_path / "many.csv"
    rows = "\n".join(f"2026-01-{1 + i % 28:02d}T10:00:00+01:00,x,Post numero {i} sulla bottega" for i in range(260))
    f.write_text("posted_at,platform,text\n" + rows + "\n", encoding="utf-8")
    code, out, err = run("ingest", "grande", "--posts", str(f), "--json")
    assert code == 0, err
    assert json.loads(out)["added"] == 260
    assert "grande: embedding" in err and "260/260" in err and "posts/s" in err
    code, _, err = run("ingest", "grande", "--json")  # the brand folder: small, no bar
    assert code == 0 and "posts/s" not in err
