"""The library upload in Chromium, served by `streamlit run streamlit_app.py` (as `make run` does):
the uploader's limit is Copydesk's, its button speaks the page's language, a file over the limit
is refused with a message in that language, a file with no platform column asks for it, and the
outcome shows under the button while the header counts move. Screenshots in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.web.test_browser import ARTIFACTS, CHROMIUM, _chromium, add_user, running_app, sign_in

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")

NO_PLATFORM = ("testo,data,mi piace\n"
               "Filò del giovedì: si lavora a maglia insieme in bottega,14/03/2026 18:30,40\n"
               "Calze di lana Foza per l'estate in montagna,14/07/2026 18:30,25\n")


def test_library_upload_in_chromium(tmp_path, brands_dir):
    from playwright.sync_api import expect, sync_playwright

    add_user(tmp_path, brands_dir)
    posts = tmp_path / "senza_piattaforma.csv"
    posts.write_text(NO_PLATFORM, encoding="utf-8")
    big = tmp_path / "enorme.csv"
    big.write_bytes(b"text\n" + b"x" * 2_200_000)  # over 2 MiB: the browser refuses it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_app(tmp_path, brands_dir, env_extra={"ASSISTANT_MAX_UPLOAD_MB": "2"}) as url, \
            sync_playwright() as pw:
        browser = _chromium(pw)
        page = browser.new_page(locale="it-IT", viewport={"width": 1400, "height": 2000})
        page.set_default_timeout(60_000)
        sign_in(page, url)
        page.get_by_role("link", name="Libreria").click()
        page.get_by_role("tab", name="Carica file").click()
        posts_field = page.locator(".st-key-posts_upload")
        expect(posts_field.get_by_text("2MB per file")).to_be_visible()  # not Streamlit's 200MB
        expect(posts_field.locator("button").first).to_have_accessible_name(re.compile("Scegli il file"))
        assert "Upload" not in posts_field.inner_text()  # Streamlit's English label is not shown

        posts_field.locator("input[type=file]").set_input_files(str(big))
        expect(posts_field.locator('[data-testid="stFileChip"][aria-invalid="true"]')).to_be_visible()
        note = posts_field.locator('[data-testid="stFileChips"]').evaluate(
            "el => getComputedStyle(el, '::after').content")
        assert "Il file supera il limite di 2 MB" in note  # the browser's refusal, in the page's language
        page.screenshot(path=str(ARTIFACTS / "library-00-too-big.png"), full_page=True)
        posts_field.get_by_role("button", name=re.compile("Remove")).click()

        before = page.get_by_text(re.compile(r"post e .* indicizzati")).inner_text()
        posts_field.locator("input[type=file]").set_input_files(str(posts))
        expect(page.get_by_text("Il file non ha una colonna con la piattaforma")).to_be_visible()
        expect(page.get_by_role("button", name="Importa i post")).to_be_disabled()
        page.screenshot(path=str(ARTIFACTS / "library-01-platform-question.png"), full_page=True)
        page.get_by_role("combobox", name=re.compile("Il file non ha una colonna")).click()
        page.get_by_role("option", name="Instagram").click()
        page.get_by_role("button", name="Importa i post").click()
        expect(page.get_by_text("Aggiunti 2, aggiornati 0")).to_be_visible()
        after = page.get_by_text(re.compile(r"post e .* indicizzati")).inner_text()
        assert after != before  # the header counts moved with the upload
        button = page.get_by_role("button", name="Importa i post").bounding_box()
        result = page.get_by_text("Aggiunti 2, aggiornati 0").bounding_box()
        assert 0 <= result["y"] - (button["y"] + button["height"]) < 150  # right under the button
        page.screenshot(path=str(ARTIFACTS / "library-02-imported.png"), full_page=True)
        browser.close()
