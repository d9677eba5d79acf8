"""Media on a desk card, with AppTest: an Instagram card without media says it needs one; files
picked from the brand's library (real PNGs made with Pillow) are saved to the desk in the order
picked, still there after a reload (a new browser session), given alt text on the card (a proposal
marked as such), checked like the text, and attached to the review item in that order when the
card is sent. File names are foreign text: shown as text, never as Markdown or HTML."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from assistant.i18n import t
from assistant.services import Services
from tests.web.test_app import APP, BRIEF, drafts_in, send, sign_in, texts
from tests.web.test_media_page import EVIL_NAME, assert_plain, png

BRAND = "bottega-pasubio"


def open_desk() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app(env):
    return open_desk()


def test_a_cards_media_are_saved_kept_checked_and_sent_with_it(app):
    svc = Services()
    giulia = svc.people.actor("giulia")
    plain = svc.media.add(BRAND, png(color=(10, 20, 30)), by=giulia, name="IMG_1_gomitoli.png").id
    evil = svc.media.add(BRAND, png(color=(30, 20, 10)), by=giulia, name=EVIL_NAME, alt="Il banco della bottega").id
    app.multiselect(key=f"platforms-{BRAND}").set_value(["instagram"]).run()
    send(app, BRIEF)
    card = drafts_in(app)[0]["id"]
    needs = t("violation.media_required", "it", platform="Instagram")
    assert needs in texts(app)
    assert any(e.label == "Media (0)" for e in app.expander)

    app.multiselect(key=f"dm-pick-{card}").set_value([evil, plain]).run()
    assert not app.exception, app.exception
    assert [m.media_id for m in svc.desk.card(giulia, card).media] == [evil, plain]  # saved as picked
    assert needs not in texts(app) and any(e.label == "Media (2)" for e in app.expander)
    # the second file has no alt text of its own: a proposal, marked, and a warning until it changes
    assert app.text_input(key=f"dm-alt-{card}-{evil}").value == "Il banco della bottega"
    proposal = app.text_input(key=f"dm-alt-{card}-{plain}").value
    assert proposal == "Immagine: gomitoli. " + BRIEF
    assert t("media.alt_proposal_mark", "it") in texts(app)
    assert t("violation.alt_unconfirmed", "it", platform="Instagram", n=2) in texts(app)
    assert_plain(app, EVIL_NAME)
    assert not any("<img" in str(h.proto.body) for h in app.get("html"))

    again = open_desk()  # a reload: nothing of the first tab's state
    assert again.multiselect(key=f"dm-pick-{card}").value == [evil, plain]
    again.text_input(key=f"dm-alt-{card}-{plain}").input("Due gomitoli rossi").run()
    assert [(m.media_id, m.alt) for m in svc.desk.card(giulia, card).media] == [
        (evil, None), (plain, "Due gomitoli rossi")]
    assert t("violation.alt_unconfirmed", "it", platform="Instagram", n=2) not in texts(again)

    again.button(key=f"send-{card}").click().run()
    assert not again.exception, again.exception
    item = svc.desk.card(giulia, card).sent_item_id
    assert item is not None
    assert [(a.media_id, a.alt_text, a.alt_source) for a in svc.attachments.list(item)] == [
        (evil, "Il banco della bottega", "human"), (plain, "Due gomitoli rossi", "human")]
    assert not [w for w in again.multiselect if w.key == f"dm-pick-{card}"]  # a sent card's media are its item's
