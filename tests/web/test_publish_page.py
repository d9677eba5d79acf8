"""Publishing in the app with AppTest, against the Mastodon stand-in (`tests.utils.mastodon_server`:
a real HTTP server on loopback written from Mastodon's API documentation, not Mastodon): an
administrator connects an account (the token is never shown back), tests it, and "Publish now"
on an approved item puts the live link on the item and in the calendar; a revoked token makes
the item "publish failed" with the network's reason and notifies the brand's editor; people who
are not administrators cannot see the form that connects accounts; a `javascript:` address
recorded as the live post never becomes a link."""

from __future__ import annotations

import pytest
import yaml
from cryptography.fernet import Fernet
from streamlit.testing.v1 import AppTest

from assistant.accounts.permissions import PermissionDenied
from assistant.services import Services
from tests.factories import make_draft
from tests.utils.mastodon_server import MastodonServer
from tests.web.test_app import APP, sign_in, texts

BRAND = "bottega-pasubio"
TEXT = "Sabato laboratorio di rammendo in bottega: portate i maglioni bucati."


@pytest.fixture
def pub(env, monkeypatch, brands_dir):
    """The app's services with a key of their own for the secrets, Mastodon among the brand's
    platforms, and the Mastodon stand-in on loopback."""
    monkeypatch.setenv("ASSISTANT_SECRETS_KEY", Fernet.generate_key().decode())
    profile = brands_dir / BRAND / "brand.yaml"
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    data["platforms"] = ["mastodon", *data["platforms"]]
    profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with MastodonServer() as srv:
        yield srv


def open_page(page: str, *, username: str = "giulia", role: str = "approver", lang: str = "it") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, username, role, BRAND if role not in ("approver", "admin") else None)
    at.session_state["ui_lang"] = lang
    at.session_state["brand"] = BRAND
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def everything(at: AppTest) -> str:
    """All the page says or holds: messages, HTML bodies, the values of its fields, the sidebar's."""
    parts = [texts(at)] + [str(h.proto.body) for h in at.get("html")]
    parts += [str(e.value) for kind in ("text_input", "text_area") for e in at.get(kind)]
    parts += [str(e.value) for e in at.sidebar.get("markdown")] + [str(e.label) for e in at.get("expander")]
    return "\n".join(parts)


def html_bodies(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, [b.label for b in at.button]
    return found[0]


def approved_item(text: str = TEXT) -> int:
    svc = Services()
    sign_in(AppTest.from_file(APP))  # root, giulia and marco exist
    item = svc.review.add_draft(make_draft(text, brand=BRAND, platform="mastodon"), by="giulia", submit=True)
    svc.review.approve(item.id, by="marco")
    return item.id


def connect(srv: MastodonServer) -> int:
    sign_in(AppTest.from_file(APP))
    return Services().connections.add(BRAND, "mastodon", secret=srv.token, by="root", base_url=srv.url).id


def test_an_administrator_connects_tests_and_publishes_now(pub):
    srv = pub
    at = open_page("views/accounts.py", username="root")
    assert "Nessun account collegato" in texts(at)
    at.text_input(key="acc_url_mastodon_0").input(srv.url)
    at.text_input(key="acc_secret_mastodon_0").input(srv.token)
    button(at, "Collega").click().run()
    assert not at.exception, at.exception
    [conn] = Services().connections.list(BRAND)
    assert (conn.network, conn.base_url, conn.status) == ("mastodon", srv.url, "active")
    assert f"Account n. {conn.id} collegato" in texts(at)
    assert srv.token not in everything(at)  # never shown back, not even in the (cleared) field
    assert at.text_input(key="acc_secret_mastodon_1").value == ""  # a new, empty field

    at.button(key=f"acc_test_{conn.id}").click().run()
    assert "La connessione funziona" in texts(at) and "Prova riuscita" in texts(at)
    assert "copydesk" in html_bodies(at)  # the handle the network confirmed, as text
    assert srv.token not in everything(at)

    item = approved_item()
    review = open_page("views/review.py")
    review.button(key=f"pub_now_{item}").click().run()
    assert not review.exception, review.exception
    [status] = srv.statuses
    assert status["text"] == TEXT
    live = Services().review.get(item)
    assert live.state == "published" and live.published_url == status["url"]
    assert f"Pubblicato sull'account n. {conn.id}" in texts(review)
    assert f'href="{status["url"]}"' in html_bodies(review)  # the live link on the item
    [jobs] = [d.value for d in review.dataframe if "Id della risposta" in d.value.columns]  # beside the history
    assert jobs.to_dict("records")[0] | {"Previsto": ""} == {
        "Account": f"#{conn.id} mastodon @{Services().connections.get(conn.id).handle}", "Giro": 1,
        "Stato": "pubblicato", "Tentativi": 1,
        "Worker": jobs["Worker"][0], "Id della risposta": status["id"], "Previsto": "", "Ultimo errore": ""}
    assert jobs["Worker"][0].startswith("app:")  # this app process published it (the audit names it too)
    calendar = open_page("views/calendar.py")
    assert f'href="{status["url"]}"' in html_bodies(calendar) and "post online" in html_bodies(calendar)


def test_a_revoked_token_fails_the_item_with_the_reason_and_tells_the_editor(pub):
    srv = pub
    conn = connect(srv)
    item = approved_item()
    editor = open_page("views/review.py", username="elena", role="editor")
    assert not any("notific" in str(e.label) for e in editor.get("expander"))
    srv.revoke()
    review = open_page("views/review.py")
    review.button(key=f"pub_now_{item}").click().run()
    assert not review.exception, review.exception
    assert srv.statuses == [] and Services().review.get(item).state == "publish_failed"
    page = texts(review)
    assert f"Non pubblicato sull'account n. {conn}" in page
    assert "Pubblicazione non riuscita (1 tentativo)" in page and "programmalo di nuovo" in page
    assert "ha rifiutato le credenziali dell&#x27;account su Mastodon" in html_bodies(review)  # in the reader's language
    assert "revoked" in html_bodies(review)  # and the network's own reason, as text
    assert Services().connections.get(conn).status == "needs_reconnect"

    editor.run()  # the editor of the brand is told, in their language
    assert any(f"L'account n. {conn} (mastodon) va ricollegato" in str(w.value) for w in editor.sidebar.warning)
    assert any("revoked" in str(h.proto.body) for h in editor.sidebar.get("html"))  # and why, as text
    [badge] = [e for e in editor.get("expander") if "notific" in str(e.label)]
    assert badge.label == "🔔 1 notifica"
    said = " ".join(str(m.value) for m in editor.sidebar.get("markdown"))
    assert f"Il contenuto #{item} non è stato pubblicato su mastodon" in said
    assert "ha rifiutato le credenziali dell'account su Mastodon" in said and "refused" not in said
    [note] = Services().notifications.unread(Services().people.actor("elena"))
    editor.button(key=f"notify_read_{note.id}").click().run()
    assert not editor.exception, editor.exception
    assert not any("notific" in str(e.label) for e in editor.get("expander"))
    assert Services().notifications.unread(Services().people.actor("elena")) == []

    accounts = open_page("views/accounts.py", username="root")
    assert f"L'account n. {conn} (Mastodon) va ricollegato" in texts(accounts)
    assert "revoked" in html_bodies(accounts)
    # an administrator reconnects it with a new secret (never shown back), then removes it
    accounts.text_input(key=f"acc_reconnect_secret_{conn}_0").input("nuovo-token-segreto-42")
    button(accounts, "Ricollega").click().run()
    assert not accounts.exception, accounts.exception
    assert Services().connections.get(conn).status == "active" and f"Account n. {conn} ricollegato" in texts(accounts)
    assert "nuovo-token-segreto-42" not in everything(accounts) and "va ricollegato" not in texts(accounts)
    accounts.checkbox(key=f"acc_remove_sure_{conn}").check().run()
    accounts.button(key=f"acc_remove_{conn}").click().run()
    assert Services().connections.list(BRAND) == [] and f"Account n. {conn} rimosso" in texts(accounts)


def test_a_bluesky_account_needs_its_handle_said_in_the_readers_language(pub):
    at = open_page("views/accounts.py", username="root")
    at.radio(key="acc_network").set_value("bluesky").run()
    assert at.text_input(key="acc_url_bluesky_0").value == "https://bsky.social"
    at.text_input(key="acc_secret_bluesky_0").input("abcd-efgh-ijkl-mnop")
    button(at, "Collega").click().run()
    assert not at.exception, at.exception
    assert "Scrivi l'handle dell'account" in " ".join(str(e.value) for e in at.error)
    assert Services().connections.list(BRAND) == [] and "abcd-efgh-ijkl-mnop" not in texts(at)


def test_people_who_are_not_administrators_cannot_connect_accounts(pub):
    srv = pub
    conn = connect(srv)
    viewer = open_page("views/accounts.py", username="vera", role="viewer")
    assert not viewer.get("text_input") and not [b for b in viewer.button if b.label == "Collega"]
    assert not [b for b in viewer.button if b.label == "Prova la connessione"]
    assert "Solo un amministratore del brand" in texts(viewer)
    editor = open_page("views/accounts.py", username="elena", role="editor")
    assert not editor.get("text_input") and not [b for b in editor.button if b.label == "Collega"]
    editor.button(key=f"acc_test_{conn}").click().run()  # an editor may test a connection
    assert "La connessione funziona" in texts(editor)
    with pytest.raises(PermissionDenied):  # and the library refuses, not only the page
        Services().connections.add(BRAND, "mastodon", secret="x" * 20, by="elena", base_url=srv.url)
    assert srv.token not in everything(editor)


def test_no_connected_account_says_to_export_in_the_readers_language(pub):
    item = approved_item()
    review = open_page("views/review.py")
    review.button(key=f"pub_now_{item}").click().run()
    assert not review.exception, review.exception
    said = " ".join(str(e.value) for e in review.error)
    assert "Bottega Pasubio non ha un account mastodon collegato" in said and "esporta il post" in said, said
    assert Services().review.get(item).state == "approved"


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>"])
def test_a_live_address_that_is_not_http_never_becomes_a_link(pub, url):
    item = approved_item()
    Services().review.mark_published(item, by="giulia", url=url)
    review = open_page("views/review.py")
    bodies = html_bodies(review)
    assert "href=\"javascript" not in bodies.lower() and "href=\"data" not in bodies.lower()
    assert "<script>" not in bodies and "non è un link web" in texts(review)
    calendar = open_page("views/calendar.py")
    cal = html_bodies(calendar)
    assert "✅" in cal and "href" not in cal and "<script>" not in cal


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_publishing_pages_speak_only_the_readers_language(pub, lang, monkeypatch):
    """The catalogue scan of `test_catalogue_scan` on the accounts page (an account that needs
    reconnecting, a failed test) and on an item whose publishing failed, with its notification."""
    from assistant.web import common
    from tests.web.test_catalogue_scan import problems

    monkeypatch.setattr(common, "lang", lambda: lang)  # AppTest runs format_func in the test's thread too
    srv = pub
    conn = connect(srv)
    item = approved_item()
    srv.revoke()
    Services().outbox.publish_now(item, by="giulia", worker="app:test")
    Services().connections.test(conn, by="root")
    found = []
    for page in ("views/accounts.py", "views/review.py", "views/calendar.py"):
        at = open_page(page, username="root", lang=lang)
        found += [f"{page}: {p}" for p in problems(at, lang)]
    review = open_page("views/review.py", username="root", lang=lang)
    review.button(key=f"pub_now_{item}").click().run()  # the account still needs reconnecting: it waits
    assert review.get("warning"), "no message for a post waiting on its account"
    found += [f"publish now: {p}" for p in problems(review, lang)]
    assert not found, "\n".join(found)


def test_a_network_hiccup_waits_to_retry_and_a_refusal_is_shown_as_text(pub):
    """A 503 is retried later (said so, with when); a 422 with markup in the network's message
    fails the item, and that message stays text on the item and in the notification."""
    import re

    srv = pub
    connect(srv)
    item = approved_item()
    srv.fail("/api/v1/statuses", 503)
    review = open_page("views/review.py")
    review.button(key=f"pub_now_{item}").click().run()
    assert not review.exception, review.exception
    assert "Non ancora pubblicato sull'account n. 1" in texts(review) and "riprova il" in texts(review)
    assert Services().review.get(item).state == "approved" and srv.statuses == []
    [job] = Services().outbox.jobs(item_id=item)
    assert (job.state, job.attempts) == ("pending", 1) and job.next_attempt_at is not None

    evil = "Validation failed: ![x](http://evil.example/x.png) <img src=x onerror=alert(1)>"
    srv.fail("/api/v1/statuses", 422, error=evil)
    review.button(key=f"pub_now_{item}").click().run()  # "publish now" again: the same row, now refused
    assert not review.exception, review.exception
    assert Services().review.get(item).state == "publish_failed" and srv.statuses == []
    assert "Pubblicazione non riuscita (2 tentativi)" in texts(review)
    bodies = html_bodies(review)
    assert "&lt;img src=x" in bodies and "<img src=x" not in bodies
    said = [str(m.value) for m in review.sidebar.get("markdown")]  # giulia edits this brand: told too
    assert any("evil.example" in m for m in said)
    live = re.compile(r"(?<!\\)<img|(?<!\\)!(?<!\\)\[")  # an HTML tag or a Markdown image that would render
    assert not any(live.search(m) for m in said), said
