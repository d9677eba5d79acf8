"""The main flow in a real browser: the app as a subprocess on a free loopback port, driven by
Playwright with Debian's Chromium: sign in -> reload -> brief -> drafts -> review -> approve ->
share with the client, who approves from a second browser -> audit trail; a second replica accepts
the same session; a revoked link shows nothing. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.utils.processes import free_port, healthy, stop

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")


PASSWORD = "una frase abbastanza lunga"


def app_env(tmp_path: Path, brands_dir: Path, port: int) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_BRANDS_DIR": str(brands_dir),
            "ASSISTANT_PROVIDER": "fake", "ASSISTANT_EMBEDDING": "fake",
            "ASSISTANT_PUBLIC_URL": f"http://127.0.0.1:{port}"}


def add_user(tmp_path: Path, brands_dir: Path, name: str = "Giulia Test", username: str = "giulia") -> None:
    """An approver on every brand, in the database the app will open (with an administrator)."""
    from assistant.services import Services
    from assistant.settings import load_settings

    svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake", provider="fake"))
    if svc.people.count() == 0:
        svc.people.add("root", name="Root Admin", password=PASSWORD, grants=[("admin", None)])
    svc.people.add(username, name=name, password=PASSWORD, grants=[("approver", None)],
                   by=svc.people.actor("root"))
    svc.review.close()


def idle(page, timeout: float = 60_000) -> None:
    """Wait until the app's script run is over: Streamlit marks its root `data-test-script-state`
    ("running" / "notRunning"). A click made while a rerun is still drawing the page can land on
    an element that the rerun then replaces, and be lost."""
    page.wait_for_timeout(150)  # the run a click or a blur starts reaches the page
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)


def sign_in(page, url: str, username: str = "giulia") -> None:
    """Through the gate and the sign-in form, as a person would."""
    from playwright.sync_api import expect

    page.goto(url)  # no session: straight to the sign-in page
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_text(re.compile(r"^Accesso come"))).to_be_visible()


@contextmanager
def running_app(tmp_path: Path, brands_dir: Path, port: int | None = None, log_name: str = "streamlit.log",
                extra: tuple[str, ...] = (), env_extra: dict[str, str] | None = None,
                started: list | None = None) -> Iterator[str]:
    """The app as a subprocess on a free loopback port, with the fake provider and embedding
    (`started` receives the process, for a test that kills it)."""
    port = port or free_port()
    env = app_env(tmp_path, brands_dir, port) | (env_extra or {})
    log = (tmp_path / log_name).open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             *extra],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    if started is not None:
        started.append(proc)
    url = f"http://127.0.0.1:{port}"
    try:
        if not healthy(f"{url}/_stcore/health", proc):
            pytest.fail("the app did not start: " + (tmp_path / log_name).read_text()[-2000:])
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.fixture
def app_url(tmp_path, brands_dir):
    import yaml

    profile = brands_dir / "bottega-pasubio" / "brand.yaml"  # the client approves after the team
    data = yaml.safe_load(profile.read_text(encoding="utf-8")) | {"approval": ["internal", "client"]}
    profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    add_user(tmp_path, brands_dir)
    with running_app(tmp_path, brands_dir) as url:
        yield url


def _chromium(pw):
    from playwright.sync_api import expect

    # Assertions wait up to 30 s (Playwright's default is 5): the first page of a brand trains its
    # voice model (about 4 s idle, more on a loaded 2-core machine) before the cards render.
    expect.set_options(timeout=30_000)
    return pw.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])


def test_main_flow_in_chromium(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(60_000)
        page.goto(app_url)
        expect(page.get_by_label("Nome utente")).to_be_visible()  # nothing of the app without signing in
        expect(page.get_by_role("heading", name="Bozze per Bottega Pasubio")).to_have_count(0)
        sign_in(page, app_url)
        page.reload()  # a reload keeps the session (a cookie checked against the database)
        expect(page.get_by_role("heading", name="Bozze per Bottega Pasubio")).to_be_visible()
        expect(page.get_by_text("Accesso come Giulia Test")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "01-draft-empty.png"), full_page=True)

        brief = page.get_by_placeholder("Scrivi il brief: di cosa parla il post?")
        brief.fill("Laboratorio di rammendo sabato in bottega: portate i maglioni bucati")
        brief.press("Enter")
        expect(page.get_by_text("Scritta da fake-echo-1 (fake)").first).to_be_visible()
        expect(page.get_by_text("Fonti usate").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "02-drafts.png"), full_page=True)

        page.get_by_role("button", name="Invia in revisione").first.click()
        expect(page.get_by_text("In revisione: elemento n. 1")).to_be_visible()

        page.get_by_role("link", name="Revisione").click()
        expect(page.get_by_role("heading", name="Coda di revisione")).to_be_visible()
        expect(page.get_by_text("Elementi: 1")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "03-review.png"), full_page=True)
        page.get_by_role("tab", name="Decidi").click()  # the review page reruns to remember the tab
        idle(page)
        page.get_by_role("button", name="Approva").click()
        expect(page.get_by_text(re.compile(r"^dal cliente · testo v\d"))).to_be_visible()  # the client's turn
        idle(page)

        recipient = page.get_by_label("Cliente (\"Nome <e-mail>\")")
        page.get_by_text("Condividi con il cliente").click()
        expect(recipient).to_be_visible()
        recipient.fill("Carla Cliente <carla@cliente.it>")
        recipient.press("Tab")  # the value reaches the server before the button is pressed
        idle(page)
        page.get_by_role("button", name="Crea link").click()
        idle(page)
        link = page.locator("code").filter(has_text="/client/").first
        expect(link).to_be_visible()
        url = link.inner_text().strip()
        assert url.startswith(f"{app_url}/client/"), url
        client = browser.new_context(locale="it-IT").new_page()  # the client: another browser, no account, no cookie
        client.set_default_timeout(60_000)
        client.goto(url)
        expect(client.get_by_role("heading", name="Post da approvare")).to_be_visible()
        expect(client.get_by_text("Laboratorio di rammendo").first).to_be_visible()
        client.screenshot(path=str(ARTIFACTS / "04-client.png"), full_page=True)
        client.get_by_role("button", name="Approva").click()
        expect(client.get_by_text("Approvato: grazie.")).to_be_visible()

        page.reload()
        expect(page.get_by_text(re.compile(r"^approvato · testo v\d"))).to_be_visible()
        page.get_by_role("tab", name="Storico").click()  # the review page reruns to remember the tab
        idle(page)
        # the history table is a canvas grid: its cells are in the page, drawn rather than laid out
        expect(page.get_by_text("approvato dal cliente").first).to_be_attached()
        expect(page.get_by_text("Carla Cliente <carla@cliente.it> (client link #1)").first).to_be_attached()
        page.screenshot(path=str(ARTIFACTS / "04-approved.png"), full_page=True)

        page.get_by_role("link", name="Calendario").click()
        expect(page.get_by_role("heading", name="Calendario editoriale")).to_be_visible()
        page.get_by_role("button", name="Programma").last.click()
        expect(page.get_by_text(re.compile(r"18:00 Instagram")).first).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "04b-calendar.png"), full_page=True)

        page.get_by_role("link", name="Libreria del brand").click()
        expect(page.get_by_role("heading", name="Libreria di Bottega Pasubio")).to_be_visible()
        page.get_by_role("tab", name="Carica file").click()
        export = tmp_path / "esportazione.csv"  # as Italian Excel saves it: cp1252 and semicolons
        export.write_bytes("Data;Messaggio;Mi piace\n01/10/2026 18:00;Più lana, più calore: è arrivato l'autunno;12\n"
                           "02/10/2026 09:30;Perché rammendare? Perché dura di più;7\n".encode("cp1252"))
        page.locator("input[type=file]").first.set_input_files(str(export))
        expect(page.get_by_text("Codifica cp1252")).to_be_visible()
        expect(page.get_by_text("2 post pronti")).to_be_visible()
        expect(page.get_by_role("button", name="Importa i post")).to_be_disabled()  # the file names no platform
        page.get_by_role("combobox", name=re.compile("Il file non ha una colonna")).click()
        page.get_by_role("option", name="Facebook").click()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "05-library-upload.png"), full_page=True)
        page.get_by_role("button", name="Importa i post").click()
        expect(page.get_by_text("Aggiunti 2")).to_be_visible()
        page.get_by_role("tab", name="Cosa vedrà il modello").click()
        search = page.get_by_placeholder("es. laboratorio di maglia per principianti")
        search.fill("autunno lana calore")
        search.press("Enter")
        expect(page.get_by_text("Più lana, più calore").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "05-library.png"), full_page=True)

        page.get_by_role("link", name="Risultati").click()
        expect(page.get_by_role("heading", name="Risultati")).to_be_visible()
        expect(page.get_by_text("100%").first).to_be_visible()
        page.wait_for_timeout(1000)  # let the charts draw before the picture
        page.screenshot(path=str(ARTIFACTS / "06-insights.png"), full_page=True)
        browser.close()
    for name in ("01-draft-empty", "02-drafts", "03-review", "04-client", "04-approved", "04b-calendar",
                 "05-library-upload", "05-library", "06-insights"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


# --- foreign text never loads anything (issue 10) -----------------------------------------------

class PixelServer:
    """A loopback HTTP server that records the path of every request it receives."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                paths.append(self.path)
                body = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00" \
                       b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PixelServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def payloads(base: str, tag: str) -> str:
    """Markdown and HTML that would fetch `base/pixel-<kind>-<tag>` if rendered, plus a script link."""
    return (f"![x]({base}/pixel-md-{tag}) <img src=\"{base}/pixel-img-{tag}\"> "
            f"<iframe src=\"{base}/pixel-frame-{tag}\"></iframe> "
            f"<style>@import url({base}/pixel-css-{tag})</style> [link](javascript:alert(1))")


def plant_payloads(brands_dir: Path, base: str) -> None:
    """Bottega Pasubio's posts, a guideline heading and profile fields carry the payloads."""
    import yaml

    folder = brands_dir / "bottega-pasubio"
    with (folder / "posts.csv").open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    with (folder / "posts.csv").open("a", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        for i, when in enumerate(("2025-10-02T18:30:00+02:00", "2025-10-09T18:30:00+02:00")):
            writer.writerow({k: "" for k in header} | {
                "posted_at": when, "platform": "instagram", "language": "it", "likes": "10", "comments": "1",
                "shares": "0", "impressions": "100",
                "text": f"Zafferano e ricamo in bottega, giornata {i}. {payloads(base, f'post{i}')}"})
    guideline = sorted((folder / "guidelines").glob("*.md"))[0]
    guideline.write_text(guideline.read_text(encoding="utf-8") + f"\n\n## ![h]({base}/pixel-heading) Zafferano\n\n"
                         f"Quando parliamo di zafferano e ricamo restiamo concreti. {payloads(base, 'guideline')}\n",
                         encoding="utf-8")
    profile_file = folder / "brand.yaml"
    profile = yaml.safe_load(profile_file.read_text(encoding="utf-8"))
    profile["name"] = f"Bottega Pasubio ![n]({base}/pixel-name) <img src=\"{base}/pixel-name-img\">"
    # short ones: the profile goes into every prompt, and a long one would leave no room for sources
    profile["audience"] = profile["audience"] + f" <iframe src=\"{base}/pixel-frame-audience\"></iframe>"
    profile["voice"] = profile["voice"] + f" <img src=\"{base}/pixel-img-voice\">"
    profile["do"] = [*profile["do"], f"<style>@import url({base}/pixel-css-do)</style>"]
    profile_file.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")


def plant_media(tmp_path: Path, brands_dir: Path, base: str) -> None:
    """A file of the brand's library whose alt text carries the payloads and whose name is Markdown
    and HTML too (a name keeps no slashes: a path's last part)."""
    import io

    from PIL import Image

    from assistant.services import Services
    from assistant.settings import load_settings

    svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake", provider="fake"))
    buf = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 60, 30)).save(buf, "PNG")
    svc.media.add("bottega-pasubio", buf.getvalue(), by="giulia", name="![m](pixel-name.png) <img src=x>.png",
                  alt=f"Gomitoli {payloads(base, 'alt')}")
    svc.review.close()


@pytest.fixture
def pixel():
    with PixelServer() as server:
        yield server


@pytest.fixture
def payload_app_url(tmp_path, brands_dir, pixel):
    plant_payloads(brands_dir, pixel.base)
    add_user(tmp_path, brands_dir, name=f"Giulia ![r]({pixel.base}/pixel-reviewer)")  # a user's name is text too
    plant_media(tmp_path, brands_dir, pixel.base)
    with running_app(tmp_path, brands_dir) as url:
        yield url


def test_foreign_text_loads_nothing_in_chromium(payload_app_url, pixel, tmp_path, brands_dir):
    """Posts, guideline headings, profile fields, the brief, the model's output, a comment, the
    signed-in user's name and a client's name on a share link carry Markdown images, <img>,
    <iframe> and <style> pointing at a loopback pixel server: every page (the client's page
    included) shows them as text and the server hears nothing."""
    from playwright.sync_api import expect, sync_playwright

    base = pixel.base
    seen: dict[str, str] = {}  # page -> its visible text

    def settle(name: str) -> None:
        page.wait_for_timeout(700)  # let any image, frame or style that would load try to
        seen[name] = page.inner_text("body")

    with sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(60_000)
        sign_in(page, payload_app_url)
        expect(page.get_by_role("heading", name=re.compile(r"^Bozze per Bottega Pasubio"))).to_be_visible()
        # the browser can reach the pixel server: so silence below means nothing tried
        assert page.evaluate("url => fetch(url).then(r => r.status)", f"{base}/selftest") == 200
        assert pixel.paths == ["/selftest"]

        brief = page.get_by_placeholder("Scrivi il brief: di cosa parla il post?")
        brief.fill(f"Giornata di zafferano e ricamo sabato in bottega {payloads(base, 'brief')}")
        brief.press("Enter")
        expect(page.get_by_text("Scritta da fake-echo-1 (fake)").first).to_be_visible()
        page.get_by_text("Fonti usate").first.click()
        expect(page.get_by_text("Zafferano e ricamo in bottega, giornata").first).to_be_visible()  # a source
        settle("draft")
        idle(page)
        page.get_by_text(re.compile(r"^Media \(0\)$")).first.click()  # the card's media panel
        expect(page.get_by_role("combobox", name="File dalla libreria del brand, nell’ordine del post").first
               ).to_be_visible()
        settle("draft-media")

        page.get_by_role("button", name="Invia in revisione").first.click()
        expect(page.get_by_text("In revisione: elemento n. 1")).to_be_visible()
        settle("draft-sent")

        page.get_by_role("link", name="Revisione").click()
        expect(page.get_by_role("heading", name="Coda di revisione")).to_be_visible()
        expect(page.get_by_text("Elementi: 1")).to_be_visible()
        page.get_by_role("tab", name=re.compile(r"^Commenti")).click()  # the review page reruns to remember the tab
        idle(page)
        comment = page.get_by_label("Aggiungi un commento")
        comment.fill(f"Da rivedere {payloads(base, 'comment')}")
        comment.press("Control+Enter")  # a text area's value reaches the app on Ctrl+Enter (or blur)
        expect(page.get_by_role("button", name="Commenta")).to_be_enabled()
        page.get_by_role("button", name="Commenta").click()
        expect(page.get_by_role("tab", name="Commenti (1)")).to_be_visible()
        page.get_by_role("tab", name=re.compile(r"^Commenti")).click()  # the review page reruns to remember the tab
        idle(page)
        expect(page.get_by_text("Da rivedere").first).to_be_visible()
        settle("review-comments")
        page.get_by_role("tab", name="Storico").click()  # the review page reruns to remember the tab
        idle(page)
        page.get_by_text(re.compile(r"^\d+ revision[ei]$")).first.click()
        settle("review-history")

        # a share link for a client whose name is foreign text: the review page's list and the client page
        from assistant.services import Services
        from assistant.settings import load_settings

        svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake",
                                     provider="fake"))
        made = svc.shares.create("bottega-pasubio", [1], to=f"Carla ![s]({base}/pixel-share) <carla@cliente.it>",
                                 by=svc.people.actor("giulia"))
        svc.review.close()
        page.reload()
        page.get_by_text("Condividi con il cliente").click()
        expect(page.get_by_text(f"![s]({base}/pixel-share)").first).to_be_visible()
        settle("review-share")
        page.goto(f"{payload_app_url}/client/{made.token}")
        expect(page.get_by_text("Da rivedere").first).to_be_visible()  # the comment, as the client sees it
        settle("client-page")
        page.goto(payload_app_url)
        expect(page.get_by_role("heading", name=re.compile(r"^Bozze per Bottega Pasubio"))).to_be_visible()

        page.get_by_role("link", name="Libreria del brand").click()
        expect(page.get_by_role("heading", name=re.compile(r"^Libreria di Bottega Pasubio"))).to_be_visible()
        page.get_by_role("tab", name="Profilo").click()
        settle("library-profile")
        page.get_by_role("tab", name="Cosa vedrà il modello").click()
        search = page.get_by_placeholder("es. laboratorio di maglia per principianti")
        search.fill("zafferano ricamo bottega")
        search.press("Enter")
        expect(page.get_by_text("Zafferano e ricamo in bottega").first).to_be_visible()
        settle("library-search")
        page.get_by_role("radiogroup", name="Tipo").get_by_text("Linee guida").click()
        expect(page.get_by_text("Quando parliamo di zafferano").first).to_be_visible()
        settle("library-guidelines")

        page.get_by_role("link", name="Calendario").click()
        expect(page.get_by_role("heading", name="Calendario editoriale")).to_be_visible()
        settle("calendar")

        page.get_by_role("link", name="Media").click()  # the library's names and alt texts
        expect(page.get_by_role("heading", name=re.compile(r"^Media di Bottega Pasubio"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"^Gomitoli")).first).to_be_visible()
        settle("media-page")

        page.get_by_role("link", name="Risultati").click()
        expect(page.get_by_role("heading", name="Risultati")).to_be_visible()
        page.wait_for_timeout(1000)  # the charts draw
        settle("insights")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "07-foreign-text.png"), full_page=True)
        browser.close()

    assert pixel.paths == ["/selftest"], f"content loaded resources: {pixel.paths}"
    # ... and the payloads are on screen, as text
    everything = "\n".join(seen.values())
    assert f"![x]({base}/pixel-md-brief)" in seen["draft"]  # the brief, and the model's echo of it
    assert f"![x]({base}/pixel-md-post0)" in seen["draft"]  # a source
    assert f'<img src="{base}/pixel-img-comment">' in seen["review-comments"]
    assert f"![r]({base}/pixel-reviewer)" in seen["review-comments"]
    assert f"Accesso come Giulia ![r]({base}/pixel-reviewer)" in seen["draft"]  # the sidebar
    assert f"![s]({base}/pixel-share)" in seen["review-share"]
    assert f"Carla ![s]({base}/pixel-share)" in seen["client-page"]  # the client page's greeting
    assert f"<img src=\"{base}/pixel-img-comment\">" in seen["client-page"]  # comments, as text there too
    assert f"![n]({base}/pixel-name)" in seen["library-profile"]  # the brand's name in the title
    assert f"<iframe src=\"{base}/pixel-frame-audience\"></iframe>" in seen["library-profile"]
    assert f"<style>@import url({base}/pixel-css-do)</style>" in seen["library-profile"]
    assert f"![x]({base}/pixel-md-post0)" in seen["library-search"] or \
        f"![x]({base}/pixel-md-post1)" in seen["library-search"]
    assert f"![h]({base}/pixel-heading)" in seen["library-guidelines"]  # a guideline's heading
    assert f"<img src=\"{base}/pixel-img-guideline\">" in seen["library-guidelines"]
    assert "[link](javascript:alert(1))" in everything
    assert f"![n]({base}/pixel-name)" in seen["insights"]  # the scope radio's label
    assert f"![x]({base}/pixel-md-alt)" in seen["media-page"] and "![m](pixel-name.png)" in seen["media-page"]
    assert f'<img src="{base}/pixel-img-alt">' in seen["media-page"]  # an alt text, as text


# --- sessions across replicas, and dead links (issue 11) -----------------------------------------

def test_two_replicas_accept_one_session_and_a_revoked_link_shows_nothing(tmp_path, brands_dir):
    """Two app processes on one database (replicas behind one address): a sign-in on one is a
    sign-in on the other; sign-out ends it on both. A link revoked after it was sent opens a page
    that says so and shows no item."""
    from playwright.sync_api import expect, sync_playwright

    from assistant.services import Services
    from assistant.settings import load_settings

    add_user(tmp_path, brands_dir)
    svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake", provider="fake"))
    giulia = svc.people.actor("giulia")
    from tests.factories import make_draft

    item = svc.review.add_draft(make_draft("Il post da ritirare", brand="bottega-pasubio"), by=giulia, submit=True)
    made = svc.shares.create("bottega-pasubio", [item.id], to="Carla <carla@cliente.it>", by=giulia)
    with running_app(tmp_path, brands_dir) as one, running_app(tmp_path, brands_dir, log_name="two.log") as two:
        with sync_playwright() as pw:
            browser = _chromium(pw)
            page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            sign_in(page, one)
            page.goto(two)  # cookies belong to the host, not the port: the same browser, the other replica
            expect(page.get_by_text("Accesso come Giulia Test")).to_be_visible()
            expect(page.get_by_role("heading", name="Bozze per Bottega Pasubio")).to_be_visible()
            page.get_by_role("button", name="Esci").click()
            expect(page.get_by_text("Accedi per usare Copydesk")).to_be_visible()
            page.goto(one)
            expect(page.get_by_label("Nome utente")).to_be_visible()  # signed out on the other replica too

            client = browser.new_context(locale="it-IT").new_page()
            client.goto(f"{two}/client/{made.token}")
            expect(client.get_by_text("Il post da ritirare")).to_be_visible()
            svc.shares.revoke(made.share.id, by=giulia)
            client.reload()
            expect(client.get_by_text("Questo link è stato ritirato")).to_be_visible()
            assert "Il post da ritirare" not in client.inner_text("body")
            browser.close()
    svc.review.close()


# --- OpenID Connect with a real provider on loopback (issue 11) ----------------------------------

OIDC = REPO / "tests" / "utils" / "oidc"
NODE = shutil.which("node")


@contextmanager
def oidc_provider(tmp_path: Path, redirect_uri: str) -> Iterator[str]:
    """node's oidc-provider (tests/utils/oidc/server.mjs): its development login form signs anyone
    in as <login>@example.com."""
    port = free_port()
    log = (tmp_path / "oidc.log").open("w")
    proc = subprocess.Popen([NODE, str(OIDC / "server.mjs")], cwd=OIDC, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PORT": str(port), "REDIRECT_URI": redirect_uri})
    url = f"http://localhost:{port}"
    try:
        if not healthy(f"{url}/.well-known/openid-configuration", proc):
            pytest.fail("the OpenID provider did not start: " + (tmp_path / "oidc.log").read_text()[-2000:])
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.mark.skipif(NODE is None or not (OIDC / "node_modules" / "oidc-provider").is_dir(),
                    reason="node's oidc-provider is not installed (`npm ci --prefix tests/utils/oidc`, as .ci/run does)")
def test_openid_connect_sign_in_maps_the_email_to_a_copydesk_user(tmp_path, brands_dir):
    """Streamlit's st.login against a real OpenID provider: the e-mail it vouches for is a Copydesk
    user (a viewer here, whose roles come from Copydesk: no drafting); an e-mail no user has gets a
    clear page and nothing of the app."""
    from playwright.sync_api import expect, sync_playwright

    from assistant.services import Services
    from assistant.settings import load_settings

    svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake", provider="fake"))
    svc.people.add("root", name="Root Admin", password=PASSWORD, grants=[("admin", None)])
    svc.people.add("vera", name="Vera Viewer", email="vera@example.com", grants=[("viewer", None)],
                   by=svc.people.actor("root"))
    svc.review.close()
    port = free_port()
    app = f"http://localhost:{port}"
    with oidc_provider(tmp_path, f"{app}/oauth2callback") as issuer:
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "{app}/oauth2callback"\n'
            'cookie_secret = "a-cookie-secret-for-the-tests-0123456789"\n'
            'client_id = "copydesk"\nclient_secret = "copydesk-test-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
            'client_kwargs = { prompt = "login" }\n', encoding="utf-8")
        with running_app(tmp_path, brands_dir, port=port, extra=("--secrets.files", str(secrets_file))):
            with sync_playwright() as pw:
                browser = _chromium(pw)
                for login, expected in (("vera", "Accesso come Vera Viewer"),
                                        ("eve", "nessun utente Copydesk ha questa e-mail")):
                    page = browser.new_context(locale="it-IT").new_page()
                    page.set_default_timeout(60_000)
                    page.goto(app)
                    page.get_by_role("button", name="Accedi con l'account della tua organizzazione").click()
                    page.wait_for_url(re.compile(re.escape(issuer) + r"/interaction/.*"))
                    page.locator("input[name=login]").fill(login)
                    page.locator("input[name=password]").fill("anything")
                    page.locator("button[type=submit]").click()
                    page.get_by_role("button", name="Continue").click()
                    expect(page.get_by_text(expected)).to_be_visible()
                    if login == "vera":
                        expect(page.get_by_text("ma non bozze")).to_be_visible()  # a viewer: no drafting
                        page.reload()
                        expect(page.get_by_text("Accesso come Vera Viewer")).to_be_visible()
                    else:
                        assert "Bozze per" not in page.inner_text("body")
                browser.close()
    events = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake",
                                    provider="fake")).people.events(user="vera")
    assert (events[0].action, events[0].data) == ("signin", {"via": "oidc"})  # newest first
