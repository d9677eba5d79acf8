"""Publishing in a real browser (Debian's Chromium through Playwright, the harness of
`tests/web/test_browser.py`): an editor drafts a Mastodon post, uploads an image with alt text to
the brand's media, attaches it to the item in review, approves it (the brand has no four-eyes
rule), schedules it a minute ahead in the calendar; `assistant worker --once` (a subprocess over the
same home and database) leaves it alone while it is not due, then, with its due time brought to
now instead of waiting out the minute, publishes it to the Mastodon stand-in
(`tests.utils.mastodon_server`: a loopback server written from Mastodon's API documentation, not
Mastodon), and the calendar shows the live post's link. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from cryptography.fernet import Fernet
from PIL import Image

from tests.conftest import REPO
from tests.utils.mastodon_server import MastodonServer
from tests.web.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    _chromium,
    add_user,
    app_env,
    idle,
    running_app,
    sign_in,
)

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Debian's chromium is not installed (apt-get install chromium)")
BRAND = "bottega-pasubio"
ALT = "Un maglione blu rammendato sul banco della bottega"


def connect(tmp_path, brands_dir, srv: MastodonServer) -> None:
    """The brand's Mastodon account, connected by the administrator through the library."""
    from assistant.services import Services
    from assistant.settings import load_settings

    svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake", provider="fake"))
    svc.connections.add(BRAND, "mastodon", secret=srv.token, by="root", base_url=srv.url)
    svc.review.close()


def move_due_to_now(tmp_path) -> None:
    from sqlalchemy import create_engine, text

    from assistant.db.engine import utcnow
    from assistant.settings import load_settings

    engine = create_engine(load_settings(home=tmp_path / "home").db_url)
    with engine.begin() as conn:
        moved = conn.execute(text("UPDATE publish_jobs SET due_at = :now WHERE state = 'pending'"),
                             {"now": utcnow().replace(tzinfo=None)}).rowcount
    engine.dispose()
    assert moved == 1


def worker_once(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", "from assistant.cli import main; main()", "worker", "--once"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def setup(tmp_path, brands_dir, monkeypatch):
    monkeypatch.setenv("ASSISTANT_SECRETS_KEY", Fernet.generate_key().decode())  # the app's, the worker's, ours
    profile = brands_dir / BRAND / "brand.yaml"  # a Mastodon brand: the drafts are Mastodon posts
    data = yaml.safe_load(profile.read_text(encoding="utf-8")) | {"platforms": ["mastodon"]}
    profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    image = tmp_path / "maglione-blu.png"
    Image.new("RGB", (1200, 675), (30, 60, 160)).save(image, format="PNG")
    add_user(tmp_path, brands_dir)
    with MastodonServer() as srv:
        connect(tmp_path, brands_dir, srv)
        yield srv, image


def test_attach_approve_schedule_worker_and_the_live_link_in_chromium(setup, tmp_path, brands_dir):
    from playwright.sync_api import expect, sync_playwright

    srv, image = setup
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_app(tmp_path, brands_dir, log_name="streamlit-publish.log") as url, sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1800})
        page.set_default_timeout(60_000)
        sign_in(page, url)
        expect(page.get_by_role("heading", name="Bozze per Bottega Pasubio")).to_be_visible()
        brief = page.get_by_placeholder("Scrivi il brief: di cosa parla il post?")
        brief.fill("Laboratorio di rammendo sabato in bottega: portate i maglioni bucati")
        brief.press("Enter")
        page.get_by_role("button", name="Invia in revisione").first.click()
        expect(page.get_by_text("In revisione: elemento n. 1")).to_be_visible()

        page.get_by_role("link", name="Media").click()  # the image, with its alt text, into the brand's media
        expect(page.get_by_role("heading", name="Media di Bottega Pasubio")).to_be_visible()
        page.locator("input[type=file]").first.set_input_files(str(image))
        alt = page.get_by_role("textbox", name="Testo alternativo (facoltativo, per un solo file)")
        expect(alt).to_be_enabled()
        alt.fill(ALT)
        alt.press("Enter")
        page.get_by_role("button", name="Aggiungi alla libreria").click()
        expect(page.get_by_text("Aggiunto 1 file alla libreria")).to_be_visible()

        page.get_by_role("link", name="Revisione").click()  # attached to the item, then approved
        expect(page.get_by_role("heading", name="Coda di revisione")).to_be_visible()
        page.get_by_role("tab", name="Media (0)").click()  # the review page reruns to remember the tab
        idle(page)
        page.get_by_role("combobox", name="Dalla libreria del brand").click()
        page.get_by_role("option", name=re.compile("maglione-blu.png")).click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Allega", exact=True).click()
        # the count in the tab's name changed: the reviewer stays on the Media tab all the same
        expect(page.get_by_role("tab", name="Media (1)")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_text(ALT).first).to_be_visible()
        page.get_by_role("tab", name="Decidi").click()  # the review page reruns to remember the tab
        idle(page)
        page.get_by_role("button", name="Approva").click()
        expect(page.get_by_text(re.compile(r"^approvato · testo v\d"))).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "07-approved-with-image.png"), full_page=True)

        page.get_by_role("link", name="Calendario").click()  # a minute ahead, in the brand's zone
        expect(page.get_by_role("heading", name="Calendario editoriale")).to_be_visible()
        zone = ZoneInfo("Europe/Rome")
        due = (datetime.now(zone) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        if due.date() != datetime.now(zone).date():  # just before midnight: the next minute is tomorrow
            pytest.skip("the next minute is on another day in Europe/Rome; run again in a minute")
        hour = page.get_by_role("spinbutton", name="ora, Ora (Europe/Rome)")  # the time field's segments
        hour.click()
        page.keyboard.type(f"{due:%H}")
        minute = page.get_by_role("spinbutton", name="minuto, Ora (Europe/Rome)")
        minute.click()
        page.keyboard.type(f"{due:%M}")
        page.keyboard.press("Tab")
        expect(minute).to_have_attribute("aria-valuenow", str(due.minute))
        expect(hour).to_have_attribute("aria-valuenow", str(due.hour))
        idle(page)  # the value reaches the server
        page.get_by_role("button", name="Programma").last.click()
        expect(page.get_by_text("Programmato: n. 1")).to_be_visible()
        expect(page.get_by_text(re.compile(rf"{due:%H:%M} Mastodon")).first).to_be_visible()

        env = app_env(tmp_path, brands_dir, 0)
        if (due - datetime.now(zone)).total_seconds() > 5:  # not due yet: the worker leaves it alone
            assert "0 published" in worker_once(env)
        # The rest of the minute is not waited out: the post's due time is brought to now, as the
        # clock would (when due and not before is tested on its own, tests/publishing).
        move_due_to_now(tmp_path)
        said = worker_once(env)
        assert "1 published" in said, said
        [status] = srv.statuses
        assert [m["description"] for m in status["media_attachments"]] == [ALT]  # the image went with its alt text

        page.reload()
        expect(page.get_by_role("heading", name="Calendario editoriale")).to_be_visible()
        live = page.get_by_role("link", name="post online")
        expect(live).to_be_visible()
        assert live.get_attribute("href") == status["url"]
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "08-calendar-live-link.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "08-calendar-live-link.png").stat().st_size > 10_000
