"""The main flow in a real browser: the app as a subprocess on a free loopback port, driven by
Playwright with Debian's Chromium: brand -> brief -> drafts appear -> send to review -> approve.
Screenshots of each page go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path, brands_dir):
    port = _free_port()
    env = {**os.environ, "ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_BRANDS_DIR": str(brands_dir),
           "ASSISTANT_PROVIDER": "fake", "ASSISTANT_EMBEDDING": "fake"}
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the app did not start: " + (tmp_path / "streamlit.log").read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_main_flow_in_chromium(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(60_000)
        page.goto(app_url)
        expect(page.get_by_role("heading", name="Bozze per Bottega Pasubio")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "01-draft-empty.png"), full_page=True)

        name = page.get_by_label("Il tuo nome")
        name.fill("Giulia Test")
        name.press("Enter")
        page.wait_for_timeout(500)
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
        page.get_by_role("tab", name="Decidi").click()
        page.get_by_role("button", name="Approva").click()
        expect(page.get_by_text(re.compile(r"^approvato · versione"))).to_be_visible()
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
        expect(page.get_by_role("button", name="Importa i post")).to_be_visible()
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
    for name in ("01-draft-empty", "02-drafts", "03-review", "04-approved", "04b-calendar", "05-library-upload",
                 "05-library", "06-insights"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
