"""The voice-match score on a draft card (recomputed on every edit) and on a review item."""

from __future__ import annotations

import re

from tests.web.test_app import BRIEF, app, draft_and_send, drafts_in, send, texts  # noqa: F401 (app: a fixture)

LINE = re.compile(r"Voce del brand: (\d+)/100 · i post del brand stanno intorno a (\d+)")


def scores_on(at) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in LINE.findall(texts(at))]


def test_every_card_shows_its_voice_score_and_an_edit_changes_it(app, env):
    send(app, BRIEF)
    assert not app.exception, app.exception
    cards = drafts_in(app)
    shown = scores_on(app)
    assert len(shown) == len(cards) >= 1
    voice = env.voice
    info = voice.info("bottega-pasubio")
    assert info is not None and all(median == info.median for _, median in shown)
    card = cards[0]
    own_post = voice.record.documents("bottega-pasubio", kinds=["post"])[0].text
    foreign = "@user123 Sorry about that! Please DM us your order number and we'll sort it out ASAP. ^JT"
    scores = {}
    for text in (own_post, foreign):
        app.text_area(key=f"edit-{card['id']}").set_value(text).run()
        assert not app.exception, app.exception
        scores[text] = scores_on(app)[0][0]
        assert scores[text] == voice.score("bottega-pasubio", text).score  # the text as it stands now
    assert scores[own_post] > scores[foreign]


def test_a_review_item_shows_the_voice_score_of_its_current_text(app, env):
    from assistant.services import Services

    draft_and_send(app)
    app.switch_page("views/review.py").run()
    assert not app.exception, app.exception
    queue = Services().review
    assert scores_on(app)[0][0] == env.voice.score("bottega-pasubio", queue.get(1).text).score
    edited = "@user123 Sorry about that! Please DM us your order number and we'll sort it out ASAP. ^JT"
    queue.edit(1, edited, by="Marco", base_version=queue.get(1).version)
    app.run()
    assert scores_on(app)[0][0] == env.voice.score("bottega-pasubio", edited).score


def test_cards_say_the_voice_is_being_learnt_and_the_page_does_not_wait_for_it(env, monkeypatch):
    """The brand's voice model trains in the background once its posts are in: the brief is drafted
    without waiting, its cards say the score is coming, and the next page run shows it."""
    import threading

    from streamlit.testing.v1 import AppTest

    from assistant.voice import store
    from assistant.web.common import services
    from tests.web.test_app import APP, settle, sign_in

    release = threading.Event()
    real_train = store.VoiceModel.train
    monkeypatch.setattr(store.VoiceModel, "train", lambda *a, **k: release.wait(60) and real_train(*a, **k))
    monkeypatch.setattr(store.VoiceModel, "load", staticmethod(lambda folder: None))  # no model saved by an earlier test
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at)
    at.run()
    assert not at.exception, at.exception
    at.chat_input[0].set_value(BRIEF).run()
    for turn in list(services().jobs.running()):
        assert services().jobs.wait(turn, 90)
    at.run()
    assert services().voice.learning("bottega-pasubio")  # the brief's posts are in: learning, and nobody waits
    assert drafts_in(at) and scores_on(at) == []
    assert texts(at).count("la sto ancora imparando") == len(drafts_in(at))
    release.set()
    settle(at)
    assert len(scores_on(at)) == len(drafts_in(at)) and "la sto ancora imparando" not in texts(at)
