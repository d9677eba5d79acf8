"""Every page, in Italian and in English, driven through its error paths: every string the
interface shows must come from that language's catalogue (or be the user's own data). The scan
fails on a raw catalogue key, on a string of the other language's catalogue, on English words in
an Italian message (a library message that was never localised), and on raw exception text
(pydantic, tracebacks)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from assistant.i18n import CATALOGUE
from tests.web.test_app import APP, send, settle, shown, sign_in

PAGES = ["views/draft.py", "views/review.py", "views/calendar.py", "views/library.py", "views/insights.py",
         "views/people.py", "views/models.py", "views/media.py", "views/accounts.py"]
KEYS = set(CATALOGUE["it"]) | {k.rsplit(".", 1)[0] for k in CATALOGUE["it"]}
RAW = ("pydantic", "Traceback", "Value error", "validation error for", "errors.pydantic.dev", "KeyError",
       "object has no attribute")
ENGLISH = re.compile(r"\b(the|is|are|and|please|must|should|cannot|your|with|was|were|not|found|use|set)\b",
                     re.IGNORECASE)


def interface_strings(at: AppTest) -> dict[str, list[str]]:
    """What the page says in its own voice (messages, labels, buttons, tabs, headings), apart from
    Markdown bodies that may carry data, which are scanned for keys and raw errors only."""
    voice: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "info", "warning", "error", "success"):
        voice += [str(e.value) for e in at.get(kind)]
    for kind in ("button", "text_input", "text_area", "selectbox", "multiselect", "radio", "checkbox",
                 "number_input", "date_input", "time_input", "toggle"):
        voice += [str(getattr(e, "label", "") or "") for e in at.get(kind)]
    voice += [str(e.label) for e in at.get("expander")] + [str(e.label) for e in at.get("tab")]
    voice += [str(getattr(e.proto, "placeholder", "") or "") for e in at.get("chat_input")]
    for holder in (at, at.sidebar):
        voice += [str(getattr(e, "label", "") or "") for e in holder.get("download_button")]
    data = [str(m.value) for m in at.markdown]
    return {"voice": [shown(v) for v in voice if v], "data": [shown(d) for d in data]}


def problems(at: AppTest, lang: str) -> list[str]:
    other = "en" if lang == "it" else "it"
    mine = set(CATALOGUE[lang].values())
    foreign = {v for k, v in CATALOGUE[other].items() if v != CATALOGUE[lang].get(k) and len(v) >= 14
               and "{" not in v and v not in mine}
    found = []
    strings = interface_strings(at)
    for text in strings["voice"] + strings["data"]:
        for token in re.findall(r"[a-z_]+(?:\.[a-z_]+)+", text):
            if token in KEYS:
                found.append(f"raw key {token!r} in {text!r}")
        found += [f"raw error text {r!r} in {text!r}" for r in RAW if r in text]
    for text in strings["voice"]:
        found += [f"{other} catalogue string {f!r} in {text!r}" for f in foreign if f in text]
        if lang == "it" and len(set(m.lower() for m in ENGLISH.findall(text))) >= 2:
            found.append(f"English in the Italian interface: {text!r}")
    if at.exception:
        found.append(f"exception: {at.exception}")
    return found


def visit_every_page(at: AppTest, lang: str) -> list[str]:
    found = []
    for page in PAGES:
        at.switch_page(page).run()
        found += [f"{page}: {p}" for p in problems(at, lang)]
    return found


@pytest.fixture
def admin(env):
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, "root", "admin")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_page_speaks_only_its_language(admin, lang, monkeypatch):
    import assistant.web.common as common

    admin.sidebar.radio(key="ui_lang").set_value(lang).run()
    monkeypatch.setattr(common, "lang", lambda: lang)  # AppTest runs format_func in the test's thread too
    send(admin, "Laboratorio di rammendo sabato in bottega")  # something on every page to talk about
    at_draft = problems(admin, lang)
    found = [f"views/draft.py: {p}" for p in at_draft] + visit_every_page(admin, lang)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_error_paths_speak_the_users_language(admin, lang, monkeypatch):
    import assistant.web.common as common

    admin.sidebar.radio(key="ui_lang").set_value(lang).run()
    monkeypatch.setattr(common, "lang", lambda: lang)
    found = []
    # the brief: empty, too short, a link that is not a link
    send(admin, "   ")
    found += problems(admin, lang)
    admin.text_input(key="link").input("ftp://example.org/offerta").run()
    send(admin, "Laboratorio di rammendo sabato in bottega")
    found += problems(admin, lang)
    assert admin.get("warning"), "the bad link got no message"
    admin.text_input(key="link").input("").run()
    # review on a four-eyes brand: approving your own item, and asking for changes without a note
    admin.sidebar.selectbox(key="brand").set_value("paycairn").run()
    send(admin, "Nuova carta prepagata per i ragazzi")
    card = next(b for b in admin.button if b.key and b.key.startswith("send-"))
    card.click().run()
    admin.switch_page("views/review.py").run()
    item = next(b for b in admin.button if b.key and b.key.startswith("rq_approve_"))
    item_id = item.key.removeprefix("rq_approve_")
    item.click().run()
    errors = [shown(e.value) for e in admin.error]
    assert any("Paycairn" in e for e in errors) and not any("paycairn" in e for e in errors), errors
    found += [f"four eyes: {p}" for p in problems(admin, lang)]
    admin.button(key=f"rq_request_changes_{item_id}").click().run()
    assert admin.error, "no message for a missing note"
    found += [f"note: {p}" for p in problems(admin, lang)]
    share = admin.text_input(key=f"share_to_{item_id}")
    share.input("<carla@cliente.it>").run()
    admin.button(key=f"share_create_{item_id}").click().run()
    assert admin.error, "no message for a recipient without a name"
    found += [f"share: {p}" for p in problems(admin, lang)]
    # people: a password too short
    admin.switch_page("views/people.py").run()
    admin.text_input(key="pw_new").input("corta").run()
    admin.text_input(key="pw_again").input("corta").run()
    admin.button(key="pw_change").click().run()
    assert admin.error, "no message for a short password"
    found += [f"password: {p}" for p in problems(admin, lang)]
    assert not found, "\n".join(found)


def test_the_scan_catches_what_it_looks_for():
    def page():
        import streamlit as st

        st.error("history.create")
        from assistant.i18n import t

        st.caption(t("draft.empty_hint", "it"))
        st.warning("the brief is empty: write what the post is about")
        st.info("1 validation error for DraftRequest")

    at = AppTest.from_function(page)
    at.run()
    found = "\n".join(problems(at, "it"))
    assert "raw key 'history.create'" in found
    assert "English in the Italian interface: 'the brief is empty" in found
    assert "raw error text 'validation error for'" in found
    found_en = "\n".join(problems(at, "en"))
    assert "it catalogue string 'Scrivi un brief qui sotto" in found_en  # Italian in the English interface
