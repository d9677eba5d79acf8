"""The media pages with AppTest: a real PNG (made with Pillow) uploaded to the brand's library is
listed with its facts; a file that is not an image is refused with the library's message in the
page's language; a viewer cannot upload; in the review queue, media are attached from the library,
reordered, detached and given alt text; for a `pa-it` brand the missing (and then proposed)
alt text is an error beside the text's violations and disappears once a person confirms it; a
change on an item that can no longer change is refused in the reader's language. File names
and alt texts are foreign text: shown as text, never as Markdown images or HTML."""

from __future__ import annotations

import io
import re

import pytest
import yaml
from PIL import Image
from streamlit.testing.v1 import AppTest

from assistant.accounts.permissions import PermissionDenied
from assistant.services import Services
from tests.factories import make_draft
from tests.web.test_app import APP, shown, sign_in, texts

BRAND = "bottega-pasubio"
EVIL_NAME = "<img src=x onerror=alert(1)>.png"  # a file name keeps no folder: no '/' in it
EVIL_ALT = "![x](http://evil/x.png) <img src=x>"


def png(size=(120, 80), color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def open_page(page: str, *, lang: str = "it", username: str = "giulia", role: str = "approver",
              brand: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, username, role, brand)
    at.session_state["ui_lang"] = lang
    at.session_state["brand"] = brand or BRAND
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def markdown_sources(at) -> list[str]:
    return [str(e.value) for kind in ("markdown", "caption", "success", "info", "warning", "error")
            for e in at.get(kind)]


def html_bodies(at) -> list[str]:
    return [str(e.proto.body) for e in at.get("html")]


def assert_plain(at, *foreign: str) -> None:
    """Each foreign string is on the page, and only as text: escaped wherever Markdown or HTML is rendered."""
    sources, bodies = markdown_sources(at), html_bodies(at)
    for text in foreign:
        assert any(text in shown(s) for s in sources) or any(text in b for b in bodies) \
            or any(text.replace("<", "&lt;").replace(">", "&gt;") in b for b in bodies), text
        assert not any(text in s for s in sources), f"{text!r} unescaped in Markdown"
        assert not any(text in b for b in bodies), f"{text!r} unescaped in HTML"
    live = re.compile(r"(?<!\\)<img|(?<!\\)!(?<!\\)\[")  # an HTML tag or a Markdown image that would render
    assert not any(live.search(s) for s in sources), [s for s in sources if live.search(s)]


def upload(at, key: str, files: list[tuple[str, bytes, str]], alt: str | None = None) -> None:
    at.file_uploader(key=key).set_value(files).run()
    if alt is not None:
        at.text_input(key=f"{key}_alt").input(alt)
    at.button(key=f"{key}_add").click().run()
    assert not at.exception, at.exception


def test_upload_a_png_and_see_it_listed_as_text(env):
    at = open_page("views/media.py")
    assert any(t.value == "Media di Bottega Pasubio" for t in at.title)
    upload(at, "media_upload", [(EVIL_NAME, png(), "image/png")], alt=EVIL_ALT)
    stored = env.media.list(BRAND)
    assert [(m.original_name, m.width, m.height, m.alt_text) for m in stored] == [(EVIL_NAME, 120, 80, EVIL_ALT)]
    page = texts(at)
    assert f"Aggiunto 1 file alla libreria: #{stored[0].id}." in page
    assert "PNG · 120 × 80 px" in page and [s.value for s in at.subheader] == ["1 file nella libreria"]
    assert len(at.get("image")) == 1  # the thumbnail
    assert_plain(at, EVIL_NAME, EVIL_ALT)

    upload(at, "media_upload", [(EVIL_NAME, png(), "image/png")])  # the same bytes again: nothing new
    assert "era già nella libreria" in texts(at) and len(env.media.list(BRAND)) == 1


def test_a_file_that_is_not_an_image_is_refused_in_the_page_language(env):
    at = open_page("views/media.py", lang="en")
    upload(at, "media_upload", [("photo.png", b"%PDF-1.7 not a picture at all", "image/png")])
    errors = " ".join(shown(e.value) for e in at.error)
    assert "photo.png is PDF, not an image or a video Copydesk takes" in errors and "export it" in errors
    assert env.media.list(BRAND) == []
    at.session_state["ui_lang"] = "it"
    upload(at, "media_upload", [("foto.jpg", b"GIF89a......", "image/jpeg")])
    assert "foto.jpg è GIF" in " ".join(shown(e.value) for e in at.error)


def test_a_viewer_sees_the_media_but_cannot_upload(env):
    at = open_page("views/media.py", username="vera", role="viewer", brand=BRAND)
    assert not at.get("file_uploader")
    assert "ma non caricare media" in texts(at)
    svc = Services()
    svc.media.add(BRAND, png(color=(1, 2, 3)), by="giulia", name="banco.png")
    at.run()
    assert "banco.png" in texts(at) and not at.get("file_uploader")
    with pytest.raises(PermissionDenied):  # the library says no, not only the page
        svc.media.add(BRAND, png(color=(4, 5, 6)), by="vera", name="x.png")
    assert [m.original_name for m in svc.media.list(BRAND)] == ["banco.png"]


def pa_brand(env) -> str:
    """A public-administration brand (`style_rules: [pa-it]`: alt text required) among the brands."""
    slug = "comune-lana"
    folder = env.settings.brands_dir / slug
    (folder / "guidelines").mkdir(parents=True)
    profile = {"name": "Comune di Lana", "language": "it", "voice": "Chiaro e cortese.", "style_rules": ["pa-it"],
               "platforms": ["mastodon"]}
    (folder / "brand.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return slug


def item_with_media(env, brand: str, n: int = 2) -> tuple[int, list[int]]:
    svc = Services()
    sign_in(AppTest.from_file(APP))  # giulia and marco exist (approvers on every brand)
    item = svc.review.add_draft(make_draft("Sabato la biblioteca resta aperta fino alle 19.", brand=brand,
                                           platform="mastodon"), by="giulia", submit=True)
    ids = [svc.media.add(brand, png(color=(10 * i, 90, 90)), by="giulia", name=f"IMG_{i}_sala-lettura.png").id
           for i in range(n)]
    return item.id, ids


def test_attach_reorder_alt_text_and_the_pa_rule(env):
    slug = pa_brand(env)
    item, ids = item_with_media(env, slug)
    at = open_page("views/review.py", brand=slug)
    assert any(t.label == "Media (0)" for t in at.tabs)
    at.multiselect(key=f"att_pick_{item}").set_value(ids).run()
    at.button(key=f"att_add_{item}").click().run()
    assert not at.exception, at.exception
    att = Services().attachments
    assert [a.media_id for a in att.list(item)] == ids
    assert [a.alt_source for a in att.list(item)] == ["proposal", "proposal"]
    page = texts(at)
    assert "Proposta: conferma o modifica" in page and "un'approssimazione" in page
    assert page.count("🛑 Il testo alternativo del media") == 2  # pa-it: an error, beside the text's
    assert any(t.label == "Media (2)" for t in at.tabs)

    at.button(key=f"att_down_{item}_{ids[0]}").click().run()  # the first goes second
    assert [a.media_id for a in att.list(item)] == [ids[1], ids[0]]
    at.button(key=f"att_alt_ok_{item}_{ids[1]}").click().run()  # confirm the first's proposal as it is
    assert not at.exception, at.exception
    at.text_area(key=f"att_alt_{item}_{ids[0]}").input(EVIL_ALT).run()
    at.button(key=f"att_alt_save_{item}_{ids[0]}").click().run()
    assert not at.exception, at.exception
    assert [(a.media_id, a.alt_source) for a in att.list(item)] == [(ids[1], "human"), (ids[0], "human")]
    assert att.list(item)[1].alt_text == EVIL_ALT
    page = texts(at)
    assert "🛑 Il testo alternativo del media" not in page and "Proposta: conferma o modifica" not in page
    assert "Aggiunto" not in page and not at.error

    at.button(key=f"att_detach_{item}_{ids[1]}").click().run()
    assert [a.media_id for a in att.list(item)] == [ids[0]]
    # the text editor's base followed the media's versions: saving the text is no conflict
    at.text_area(key=f"rq_text_{item}").input("Sabato la biblioteca resta aperta fino alle 20.").run()
    at.button(key=f"rq_save_{item}").click().run()
    assert not at.exception, at.exception
    assert Services().review.get(item).text.endswith("alle 20.") and not at.error


def test_alt_text_missing_is_an_error_until_a_person_writes_one(env):
    slug = pa_brand(env)
    item, ids = item_with_media(env, slug, n=1)
    att = Services().attachments
    att.attach(item, ids, by="giulia")
    att.set_alt(item, ids[0], None, by="giulia")  # no alt text at all
    at = open_page("views/review.py", brand=slug)
    assert "🛑 Il media 1 non ha testo alternativo" in texts(at)
    at.text_area(key=f"att_alt_{item}_{ids[0]}").input("La sala di lettura con i tavoli in legno").run()
    at.button(key=f"att_alt_save_{item}_{ids[0]}").click().run()
    assert "non ha testo alternativo" not in texts(at)
    assert att.list(item)[0].alt_source == "human"


def test_names_and_alt_texts_show_as_text_in_the_item_and_refusals_are_said(env):
    slug = pa_brand(env)
    item, _ = item_with_media(env, slug, n=0)
    svc = Services()
    evil = svc.media.add(slug, png(size=(300, 100)), by="giulia", name=EVIL_NAME, alt=EVIL_ALT)
    svc.attachments.attach(item, [evil.id], by="giulia")
    at = open_page("views/review.py", brand=slug)
    assert_plain(at, EVIL_NAME)
    assert at.text_area(key=f"att_alt_{item}_{evil.id}").value == EVIL_ALT  # a field's value: text
    # the library's refusal, in the page's language, and nothing changed
    at.text_area(key=f"att_alt_{item}_{evil.id}").input("a" * 5001).run()
    at.button(key=f"att_alt_save_{item}_{evil.id}").click().run()
    assert not at.exception, at.exception
    assert any("Il testo alternativo ha 5001" in shown(e.value) and "al massimo 5.000" in shown(e.value) for e in at.error), \
        [e.value for e in at.error]
    assert svc.attachments.list(item)[0].alt_text == EVIL_ALT
    # someone changes the item meanwhile: a click on the media made on what was seen is refused
    svc.review.edit(item, "Un testo di un collega.", by="marco", base_version=svc.review.get(item).version)
    at.button(key=f"att_detach_{item}_{evil.id}").click().run()
    assert [a.media_id for a in svc.attachments.list(item)] == [evil.id]
    assert any("qualcuno ha cambiato l'elemento" in shown(e.value) for e in at.error)
    at.run()
    assert not at.error  # said once
    # once approved, media change no more than the text: read-only, and the page says why
    svc.review.decide(item, "approve", by="marco", base_version=svc.review.get(item).version)
    at.run()
    assert "i media non si modificano, come il testo" in texts(at)
    assert not any(b.key == f"att_detach_{item}_{evil.id}" for b in at.button)
    assert not any(b.key == f"att_add_{item}" for b in at.button) and not at.get("file_uploader")
    assert_plain(at, EVIL_NAME, EVIL_ALT)


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_media_pages_speak_only_their_language(env, lang, monkeypatch):
    import assistant.web.common as common
    from tests.web.test_catalogue_scan import problems

    monkeypatch.setattr(common, "lang", lambda: lang)  # AppTest runs format_func in the test's thread too
    slug = pa_brand(env)
    item, ids = item_with_media(env, slug)
    Services().attachments.attach(item, ids[:1], by="giulia")
    at = open_page("views/media.py", lang=lang, brand=slug)
    upload(at, "media_upload", [("foto.png", b"%PDF-1.7 not a picture", "image/png")])
    assert at.error, "no message for a file that is not an image"
    found = [f"media page: {p}" for p in problems(at, lang)]
    at.switch_page("views/review.py").run()
    assert any(tab.label == "Media (1)" for tab in at.tabs)
    found += [f"review item: {p}" for p in problems(at, lang)]
    assert not found, "\n".join(found)


def test_a_file_uploaded_in_the_item_goes_to_the_library_and_onto_the_item(env):
    item, ids = item_with_media(env, BRAND, n=1)
    at = open_page("views/review.py")
    upload(at, f"att_upload_{item}", [("IMG_9_maglioni-piegati.png", png(color=(5, 5, 200)), "image/png")])
    att = Services().attachments.list(item)
    new = [m.id for m in Services().media.list(BRAND) if m.id not in ids]
    assert len(new) == 1 and [a.media_id for a in att] == new
    assert att[0].alt_source == "proposal" and "maglioni piegati" in att[0].alt_text
    assert "Aggiunto 1 file alla libreria" in texts(at) and any(tab.label == "Media (1)" for tab in at.tabs)
    # the same file again: already in the library and on the item, nothing doubles
    upload(at, f"att_upload_{item}", [("copia.png", png(color=(5, 5, 200)), "image/png")])
    assert [a.media_id for a in Services().attachments.list(item)] == new and not at.error
