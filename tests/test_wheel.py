"""The wheel installs and runs: build it, install it into a fresh venv, run the CLI and the app.

The new venv sees the project's already-installed dependencies through a `.pth` line naming this
venv's site-packages (a directory added that way has its own `.pth` files ignored, so the editable
copydesk finder stays inactive) and gets the wheel with `--no-deps`: offline, no build isolation.
Every command runs outside the checkout, so only files inside the wheel can be found.
"""

from __future__ import annotations

import json
import urllib.request
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.utils.processes import free_port, healthy, stop

REPO = Path(__file__).resolve().parent.parent
BRAND = "bottega-pasubio"
EXPECTED = (
    "assistant/data/prompts/draft.md",
    f"assistant/data/brands/{BRAND}/brand.yaml",
    "assistant/analytics/report/templates/report.html.j2",
    "assistant/analytics/record/templates/record.html.j2",
    "assistant/web/app.py",
    "assistant/web/views/draft.py",
    "assistant/locales/it.py",
)
# Not part of a build: state, caches, local environments, tests and benchmarks.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", ".assistant", "__pycache__", "*.pyc", "build",
                                     "dist", "*.egg-info", ".pytest_cache", "test-artifacts", "tests", "bench",
                                     ".env", "node_modules")

pytestmark = pytest.mark.slow


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{cmd[1:]} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _venv_site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages")) or sorted(venv.glob("Lib/site-packages"))
    assert found, f"no site-packages in {venv}"
    return found[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the working tree (a build in place would leave build/ and
    egg-info behind, and race with other test runs)."""
    root = tmp_path_factory.mktemp("wheel")
    source, dist = root / "src", root / "dist"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", str(dist)], cwd=source, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}, timeout=180)
    wheels = list(dist.glob("copydesk-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_code_prompts_brands_and_templates(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in EXPECTED if name not in names]
    assert not missing, missing
    # Every module of the package (pyproject lists the packages one by one: a new one must be added).
    source = wheel.parent.parent / "src"  # the copy the wheel was built from
    modules = {p.relative_to(source).as_posix() for p in (source / "assistant").rglob("*.py")}
    assert not modules - names, sorted(modules - names)
    shipped = {p.name for p in (source / "prompts").glob("*.md")}
    assert {f"assistant/data/prompts/{n}" for n in shipped} <= names
    brand_files = {p.relative_to(source / "brand_profiles").as_posix()
                   for p in (source / "brand_profiles").rglob("*") if p.suffix in (".yaml", ".md", ".csv")}
    assert {f"assistant/data/brands/{n}" for n in brand_files} <= names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "prompts/", "brand_profiles/"))]


def test_installed_wheel_runs_the_cli_and_the_app(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    site = _venv_site_packages(venv)
    # The project's dependencies, without the editable copydesk (that directory's .pth files are not run).
    (site / "copydesk-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    python = venv / "bin" / "python"
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)], cwd=tmp_path, env=pip_env)

    work = tmp_path / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ASSISTANT_", "PYTHON", "OPENAI_", "VIRTUAL_ENV"))}
    env.update(ASSISTANT_HOME=str(tmp_path / "home"), ASSISTANT_BRANDS_DIR=str(tmp_path / "brands"),
               ASSISTANT_EMBEDDING="fake", TIKTOKEN_CACHE_DIR=str(tmp_path / "tiktoken"),
               ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    exe = str(venv / "bin" / "assistant")

    def cli(*args: str, timeout: float = 120) -> str:
        return _run([exe, *args], cwd=work, env=env, timeout=timeout).stdout

    # The installed copy ran, with its packaged data, not the checkout's.
    where = json.loads(_run([str(python), "-c", (
        "import assistant, json, assistant.resources as r, assistant.web as w; print(json.dumps({"
        "'package': assistant.__file__, 'prompts': str(r.prompts_dir()), 'brands': str(r.demo_brands_dir()),"
        "'app': str(w.APP), 'checkout': r.in_checkout()}))")], cwd=work, env=env).stdout)
    assert not where["checkout"], where
    for key in ("package", "prompts", "brands", "app"):
        path = Path(where[key]).resolve()
        assert path.is_relative_to(site.resolve()), (key, path)
        assert not path.is_relative_to(REPO), (key, path)
    assert Path(where["prompts"]).name == "prompts" and Path(where["prompts"]).parent.name == "data"

    out = cli("demo")
    assert BRAND in out and "indexed" in out, out
    assert (tmp_path / "brands" / BRAND / "brand.yaml").is_file()

    brands = json.loads(cli("brands", "--json"))
    by_slug = {b["slug"]: b for b in brands}
    assert {"bottega-pasubio", "paycairn", "villa-moranda"} <= set(by_slug), brands
    assert by_slug[BRAND]["indexed_posts"] > 0 and by_slug[BRAND]["guideline_chunks"] > 0

    assert BRAND in cli("ingest", BRAND)

    hits = json.loads(cli("search", BRAND, "maglia", "--json"))
    assert hits and all(hit["text"] for hit in hits), hits

    cli("users", "add", "ada", "--name", "Ada", "--role", "approver")
    users = json.loads(cli("users", "list", "--json"))
    assert [(u["username"], u["grants"]) for u in users] == [("ada", [{"role": "approver", "brand": "*"}])]
    drafts = json.loads(cli("draft", BRAND, "-p", "instagram", "-b", "Filò del giovedì in bottega",
                            "--provider", "fake", "--queue", "--by", "Ada", "--json"))
    assert drafts and drafts[0]["brand"] == BRAND and drafts[0]["platform"] == "instagram", drafts
    assert drafts[0]["text"].strip() and drafts[0]["sources"]

    queue = json.loads(cli("queue", "list", "--json"))
    assert queue["total"] >= 1, queue
    assert queue["items"][0]["created_by"] == "Ada" and queue["items"][0]["brand"] == BRAND

    item = json.loads(cli("queue", "show", "1", "--json", "--language", "en"))
    assert item["id"] == 1 and item["state"] == "in_review" and item["revisions"], item
    assert item["text"] == drafts[0]["text"]

    cli("report", BRAND, "--month", "2026-03", "--format", "html", "--out", "r.html")
    report = (work / "r.html").read_text(encoding="utf-8")
    assert "<html" in report.lower() and "Bottega Pasubio" in report, report[:500]

    # The app's shell and default page render from the installed package (no exception), signed in.
    rendered = _run([str(python), "-c", (
        "import assistant.web as w; from streamlit.testing.v1 import AppTest\n"
        "from assistant.services import Services\n"
        "svc = Services(); at = AppTest.from_file(str(w.APP), default_timeout=60)\n"
        "at.session_state['auth_cookie'] = svc.sessions.start(svc.people.actor('ada'))\n"
        "at.run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "print(len(at.selectbox), at.title[0].value if at.title else '')")], cwd=work, env=env).stdout
    assert "Bottega Pasubio" in rendered, rendered

    # `assistant app`: the server comes up and answers its health check.
    port = free_port()
    log = (tmp_path / "app.log").open("w+", encoding="utf-8")
    app = subprocess.Popen([exe, "app", "--port", str(port)], cwd=work, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        up = healthy(f"http://127.0.0.1:{port}/_stcore/health", app)
        log.flush()
        log.seek(0)
        assert up, f"no health on port {port} (exit {app.poll()}):\n{log.read()}"
        # Copydesk's own routes are served beside the app (sign-in page)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/account/signin?lang=en", timeout=10) as page:
            assert page.status == 200 and b'name="password"' in page.read()
    finally:
        stop(app)
        log.close()
