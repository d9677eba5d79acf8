"""The drafting desk in Chromium: a reload and a second tab mid-draft show the same session still
streaming; a card edit is saved while typing (no blur, no button) and survives a reload, with its
checks run again; the app process killed mid-draft (SIGKILL) and a new one started: the job is
shown interrupted with what it had written, and resumes; a card's media show after a reload, the
panel stays open as their count changes, and they go to review."""

from __future__ import annotations

import os
import re
import signal

from tests.web.test_browser import ARTIFACTS, _chromium, add_user, idle, pytestmark, running_app, sign_in  # noqa: F401

BRIEF = "Laboratorio di rammendo sabato in bottega: portate i maglioni bucati"
SLOW = {"ASSISTANT_FAKE_DELAY": "0.12", "ASSISTANT_JOB_STALE_SECONDS": "3"}


def start_brief(page) -> None:
    box = page.get_by_placeholder("Scrivi il brief: di cosa parla il post?")
    box.fill(BRIEF)
    box.press("Enter")


def test_a_reload_and_a_second_tab_mid_draft_and_an_edit_saved_while_typing(tmp_path, brands_dir):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    add_user(tmp_path, brands_dir)
    with running_app(tmp_path, brands_dir, env_extra=SLOW) as url, sync_playwright() as pw:
        browser = _chromium(pw)
        context = browser.new_context(locale="it-IT", viewport={"width": 1400, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(60_000)
        sign_in(page, url)
        start_brief(page)
        expect(page.get_by_text("in scrittura…", exact=True).first).to_be_visible()
        page.reload()  # mid-draft: the job is the server's, not the tab's
        expect(page.get_by_test_id("stChatMessage").get_by_text(BRIEF).first).to_be_visible()
        expect(page.get_by_text("in scrittura…", exact=True).first).to_be_visible()
        other = context.new_page()  # another tab of the same person sees the same session
        other.set_default_timeout(60_000)
        other.goto(url)
        expect(other.get_by_test_id("stChatMessage").get_by_text(BRIEF).first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "10-desk-streaming.png"), full_page=True)
        expect(page.get_by_text("Scritta da fake-echo-1 (fake)").first).to_be_visible(timeout=60_000)
        expect(other.get_by_text("Scritta da fake-echo-1 (fake)").first).to_be_visible(timeout=60_000)

        editor = page.get_by_label("Modifica prima di inviare").first
        editor.click()
        editor.press("Control+End")
        editor.press_sequentially(" Portate anche le calze!", delay=30)
        page.wait_for_timeout(2_000)  # a pause in typing saves; the field never lost focus
        expect(page.get_by_text("Modifica salvata.").first).to_be_visible()
        expect(page.get_by_text("Controlli sul testo modificato").first).to_be_visible()
        page.reload()
        kept = page.get_by_label("Modifica prima di inviare").first
        expect(kept).to_have_value(re.compile(r"Portate anche le calze!$"))
        expect(page.get_by_text(re.compile(r"^Brief recenti \(1\)$"))).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "11-desk-edit-kept.png"), full_page=True)
        browser.close()


def test_a_killed_app_process_leaves_an_interrupted_job_that_another_process_resumes(tmp_path, brands_dir):
    from playwright.sync_api import expect, sync_playwright

    add_user(tmp_path, brands_dir)
    started: list = []
    with sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(60_000)
        with running_app(tmp_path, brands_dir, env_extra=SLOW, started=started, log_name="first.log") as url:
            sign_in(page, url)
            start_brief(page)
            expect(page.get_by_text("in scrittura…", exact=True).first).to_be_visible()
            page.wait_for_timeout(800)  # some words are written
            os.kill(started[0].pid, signal.SIGKILL)
            started[0].wait(10)
        with running_app(tmp_path, brands_dir, env_extra=SLOW, log_name="second.log") as url:
            page.goto(url)  # the sign-in is in the database: the new process accepts the same cookie
            expect(page.get_by_text(re.compile(r"^Il lavoro si è interrotto")).first).to_be_visible(timeout=30_000)
            expect(page.get_by_text(re.compile(r"^Testo interrotto")).first).to_be_visible()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "12-desk-interrupted.png"), full_page=True)
            page.get_by_role("button", name="Riprendi").click()
            expect(page.get_by_text("Scritta da fake-echo-1 (fake)").first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("button", name="Riprendi")).to_have_count(0)
        browser.close()


def test_the_english_desk_in_chromium_errors_a_reload_live_checks_and_the_history(tmp_path, brands_dir):
    """The same day in English: errors on purpose (said next to the field, the brief kept), a
    reload mid-draft, an edit that breaks a rule and then fixes it (checked as typed), and the
    history of an approved item in English with its zone."""
    from playwright.sync_api import expect, sync_playwright

    add_user(tmp_path, brands_dir)
    with running_app(tmp_path, brands_dir, env_extra=SLOW) as url, sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1600})  # then English
        page.set_default_timeout(60_000)
        sign_in(page, url)
        page.get_by_text("English", exact=True).click()
        expect(page.get_by_role("heading", name="Drafts for Bottega Pasubio")).to_be_visible()
        box = page.get_by_placeholder("Write the brief: what is the post about?")
        box.fill("  ")
        box.press("Enter")
        expect(page.get_by_text("Write at least 3 characters").first).to_be_visible()
        page.get_by_text("Link and call to action").click()
        page.get_by_label("Link (optional)").fill("ftp://example.org/offer")
        page.get_by_label("Link (optional)").press("Enter")
        expect(page.get_by_text(re.compile(r"^The link must be a web address")).first).to_be_visible()
        box.fill(BRIEF)
        box.press("Enter")  # refused: the link is wrong; the brief goes back in the box
        expect(box).to_have_value(BRIEF)
        page.get_by_label("Link (optional)").fill("https://bottega.example/rammendo")
        page.get_by_label("Link (optional)").press("Enter")
        expect(page.get_by_text(re.compile(r"^The link must be a web address"))).to_have_count(0)
        box.press("Enter")
        expect(page.get_by_text("writing…", exact=True).first).to_be_visible()
        page.reload()
        expect(page.get_by_text("Written by fake-echo-1 (fake)").first).to_be_visible(timeout=60_000)

        editor = page.get_by_label("Edit before sending").first
        editor.click()
        editor.press("Control+End")
        editor.press_sequentially(" Prezzo economico!", delay=30)
        expect(page.get_by_text(re.compile(r'^🛑 Banned by the brand: "economico"')).first).to_be_visible()
        for _ in range(len(" Prezzo economico!")):
            editor.press("Backspace")
        expect(page.get_by_text(re.compile(r"Banned by the brand"))).to_have_count(0)  # fixed, checked again
        page.screenshot(path=str(ARTIFACTS / "13-desk-english.png"), full_page=True)

        page.get_by_role("button", name="Send to review").first.click()
        expect(page.get_by_text("In review: item #1")).to_be_visible()
        page.get_by_role("link", name="Review").click()
        page.get_by_role("tab", name="Decide").click()  # the review page reruns to remember the tab
        idle(page)
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text(re.compile(r"^approved · text v\d"))).to_be_visible()
        page.get_by_role("tab", name="History").click()  # the review page reruns to remember the tab
        idle(page)
        expect(page.get_by_text("approved", exact=True).first).to_be_attached()
        expect(page.get_by_text(re.compile(r"\(Europe/Rome\)$")).first).to_be_attached()
        page.screenshot(path=str(ARTIFACTS / "14-history-english.png"), full_page=True)
        browser.close()


def test_media_of_a_card_show_after_a_reload_stay_open_as_their_count_changes_and_go_to_review(tmp_path, brands_dir):
    """Two files of the brand's library chosen for an Instagram card (saved to the desk, as another
    tab of the same person would): the page shows them after a reload, in order, with their alt
    texts; removing one keeps the panel open although its count changes; sending the card gives
    the review item the file left, with its alt text."""
    import io

    from playwright.sync_api import expect, sync_playwright
    from PIL import Image

    from assistant.desk import DraftMedia
    from assistant.services import Services
    from assistant.settings import load_settings

    add_user(tmp_path, brands_dir)
    svc = Services(load_settings(home=tmp_path / "home", brands_dir=brands_dir, embedding="fake", provider="fake"))
    files = []
    for name, colour, alt in (("vetrina.png", (60, 120, 160), "La vetrina con i gomitoli"),
                              ("IMG_2031_maglioni-sul-banco.png", (180, 90, 60), None)):
        buf = io.BytesIO()
        Image.new("RGB", (1080, 1350), colour).save(buf, "PNG")
        files.append(svc.media.add("bottega-pasubio", buf.getvalue(), by="giulia", name=name, alt=alt).id)
    with running_app(tmp_path, brands_dir) as url, sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(60_000)
        sign_in(page, url)
        start_brief(page)
        expect(page.get_by_text("Scritta da fake-echo-1 (fake)")).to_have_count(2)
        expect(page.get_by_text("Instagram richiede un'immagine o un video: allegane almeno uno.")).to_be_visible()
        who = svc.people.actor("giulia")
        view = svc.desk.get(who, svc.desk.latest(who, "bottega-pasubio"))
        [card] = [d for d in view.turns[-1].drafts if d.platform == "instagram"]
        svc.desk.set_media(who, card.id, [DraftMedia(media_id=files[0]), DraftMedia(media_id=files[1])])
        page.reload()
        idle(page)
        page.get_by_text(re.compile(r"^Media \(2\)$")).first.click()
        expect(page.get_by_role("textbox", name="Testo alternativo del file 1")).to_have_value("La vetrina con i gomitoli")
        expect(page.get_by_role("textbox", name="Testo alternativo del file 2")).to_be_visible()
        expect(page.get_by_text("Instagram richiede un'immagine o un video: allegane almeno uno.")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "12-desk-card-media.png"), full_page=True)
        page.get_by_role("button", name=re.compile(r"^Remove #\d+ · vetrina\.png$")).click()
        idle(page)
        expect(page.get_by_text(re.compile(r"^Media \(1\)$")).first).to_be_visible()
        # still open at its new count: the file left is there to describe
        expect(page.get_by_role("textbox", name="Testo alternativo del file 1")).to_have_value(
            re.compile(r"^Immagine: maglioni sul banco"))
        page.get_by_role("button", name="Invia in revisione").first.click()
        expect(page.get_by_text(re.compile(r"^In revisione: elemento n\. \d+")).first).to_be_visible()
        browser.close()
    [item] = svc.review.list_items(brand="bottega-pasubio", platform="instagram").items
    attached = svc.attachments.list(item.id)
    svc.review.close()
    assert [(a.original_name, a.alt_source) for a in attached] == [("IMG_2031_maglioni-sul-banco.png", "proposal")]
