"""VoiceModels: scores from the brand's record, retraining only when its posts change, the saved
model reloaded (or retrained when its files are damaged), other brands read only when allowed."""

from __future__ import annotations

import threading

import pytest

from assistant.voice import MIN_POSTS, VoiceModels
from tests.voice.conftest import add_posts, festa_posts, ledger_posts

BRAND = "bottega-pasubio"  # a demo brand folder exists for it; its record starts empty here


@pytest.fixture
def voice(services, small_background):
    add_posts(services, BRAND, ledger_posts(40))
    return services.voice


def test_the_brands_style_scores_higher_than_another_style(voice):
    mine = voice.scores(BRAND, ledger_posts(15, seed=99))  # the same style, texts it has not seen
    other = voice.scores(BRAND, festa_posts(15))
    assert all(s is not None and 0 <= s.score <= 100 for s in mine + other)
    assert min(s.score for s in mine) > max(s.score for s in other)
    info = voice.info(BRAND)
    # another style scores below the brand's own posts' first quartile; unseen posts in the brand's
    # style score like its own posts do
    assert max(s.score for s in other) < info.q1 <= sorted(s.score for s in mine)[7]


def test_the_brands_median_and_quartiles_are_reported(voice):
    info = voice.info(BRAND)
    assert info is not None and info.posts == 40 and info.background == 150 and info.other_brands_posts == 0
    assert 0 <= info.q1 <= info.median <= info.q3 <= 100 and info.median > 50
    assert info.cv_auc > 0.9 and info.features > 0 and info.size_bytes > 0 and info.train_seconds > 0
    score = voice.score(BRAND, ledger_posts(1, seed=5)[0])
    assert score.brand_median == info.median and score.model_id == info.model_id


def test_retrains_when_the_posts_change_and_not_otherwise(services, voice):
    first = voice.info(BRAND)
    assert voice.trainings == 1
    voice.score(BRAND, "ancora lo stesso")
    voice.info(BRAND)
    assert voice.trainings == 1  # nothing changed: no training
    docs = services.knowledge.record.documents(BRAND, kinds=["post"])
    services.knowledge.record.write(BRAND, metadata={docs[0].id: {**docs[0].metadata, "likes": 12}})
    voice.score(BRAND, "fresh engagement figures are not a new voice")
    assert voice.trainings == 1
    add_posts(services, BRAND, ledger_posts(3, seed=7))
    second = voice.info(BRAND)
    assert voice.trainings == 2 and second.posts == 43 and second.fingerprint != first.fingerprint
    services.knowledge.record.write(BRAND, remove=[docs[0].id])
    assert voice.info(BRAND).posts == 42 and voice.trainings == 3


def test_a_saved_model_is_reloaded_without_training(services, voice, small_background):
    text = "Working capital is a discipline: read the full analysis on our blog."
    before = voice.score(BRAND, text)
    again = VoiceModels(services.settings, services.knowledge.record)  # another process, same home
    after = again.score(BRAND, text)
    assert again.trainings == 0 and after == before
    assert (services.settings.cache_dir / "voice" / BRAND / "weights.npz").is_file()


@pytest.mark.parametrize("damage", ["weights", "truncated", "json", "missing"])
def test_a_damaged_saved_model_is_retrained(services, voice, small_background, damage):
    info = voice.train(BRAND)
    folder = services.settings.cache_dir / "voice" / BRAND
    if damage == "weights":
        (folder / "weights.npz").write_bytes(b"not a zip file")
    elif damage == "truncated":  # a zip cut short, and the JSON's checksum fixed to match it
        import hashlib
        import json

        blob = (folder / "weights.npz").read_bytes()[:-200]
        (folder / "weights.npz").write_bytes(blob)
        doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        doc["weights_sha256"] = hashlib.sha256(blob).hexdigest()
        (folder / "model.json").write_text(json.dumps(doc), encoding="utf-8")
    elif damage == "json":
        (folder / "model.json").write_text("{\"model_version\": ", encoding="utf-8")
    else:
        (folder / "weights.npz").unlink()
    again = VoiceModels(services.settings, services.knowledge.record)
    retrained = again.info(BRAND)
    assert again.trainings == 1 and retrained.fingerprint == info.fingerprint
    assert VoiceModels(services.settings, services.knowledge.record).score(BRAND, "x") is not None


def test_force_trains_again_whatever_is_saved(voice):
    voice.train(BRAND)
    voice.train(BRAND, force=True)
    assert voice.trainings == 2


def test_too_few_posts_means_no_score(services, small_background):
    add_posts(services, "paycairn", ledger_posts(MIN_POSTS - 1))
    assert services.voice.score("paycairn", "anything") is None
    assert services.voice.info("paycairn") is None and services.voice.posts("paycairn") == MIN_POSTS - 1
    add_posts(services, "paycairn", ledger_posts(1, seed=11))
    assert services.voice.score("paycairn", "anything") is not None


class SpyRecord:
    """The record, noting every brand it is asked about."""

    def __init__(self, record) -> None:
        self.record = record
        self.asked: set[str] = set()

    def brands(self):
        self.asked.add("*")
        return self.record.brands()

    def ids(self, brand):
        self.asked.add(brand)
        return self.record.ids(brand)

    def stamp(self, brand, kinds):
        self.asked.add(brand)
        return self.record.stamp(brand, kinds)

    def documents(self, brand, **kw):
        self.asked.add(brand)
        return self.record.documents(brand, **kw)


def test_other_brands_are_never_read_unless_the_setting_is_on(services, small_background):
    add_posts(services, BRAND, ledger_posts(30))
    add_posts(services, "paycairn", festa_posts(30))
    spy = SpyRecord(services.knowledge.record)
    off = VoiceModels(services.settings, spy)
    assert services.settings.voice_use_other_brands is False and off.use_other_brands is False
    info = off.info(BRAND)
    off.score(BRAND, "x")
    assert spy.asked == {BRAND} and info.other_brands_posts == 0 and info.background == 150

    spy_on = SpyRecord(services.knowledge.record)
    on = VoiceModels(services.settings.model_copy(update={"voice_use_other_brands": True}), spy_on)
    info_on = on.info(BRAND)
    assert "paycairn" in spy_on.asked and info_on.other_brands_posts == 30 and info_on.background == 150
    assert info_on.fingerprint != info.fingerprint  # a model with others' posts is another model
    festa = festa_posts(1, seed=8)[0]  # the other brand's style: learnt as "not us" only with the setting on
    assert on.score(BRAND, festa).score <= off.score(BRAND, festa).score


def test_the_setting_comes_from_the_environment(monkeypatch, tmp_path):
    from assistant.settings import load_settings

    monkeypatch.setenv("ASSISTANT_VOICE_USE_OTHER_BRANDS", "true")
    assert load_settings(home=tmp_path).voice_use_other_brands is True


@pytest.mark.parametrize("text", ["", "ok", "🔥🔥🔥", "https://example.com/a/very/long/link?with=params", "@someone", "#tag"])
def test_short_emoji_and_link_only_texts_get_a_score(voice, text):
    score = voice.score(BRAND, text)
    assert score is not None and 0 <= score.score <= 100


def test_a_links_characters_do_not_decide_the_score(voice):
    base = "Three questions to ask before you change your dunning process. Our guide answers each one."
    scores = {voice.score(BRAND, f"{base} {link}").raw for link in (
        "https://t.co/AbC123xyz", "https://example.org/2026/03/a-much-longer-path-with-words?utm_source=x", "")}
    assert len(scores) == 1


def test_one_training_however_many_threads_ask(services, small_background):
    add_posts(services, BRAND, ledger_posts(30))
    voice = services.voice
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(voice.score(BRAND, "read the full analysis")))
               for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert voice.trainings == 1 and len(results) == 6 and len({r.raw for r in results}) == 1


def test_a_missing_background_corpus_says_to_reinstall(services, monkeypatch):
    from assistant.errors import ConfigError
    from assistant.voice.background import parse_parts

    monkeypatch.setattr("assistant.voice.store.load_background", lambda: parse_parts([]))
    add_posts(services, BRAND, ledger_posts(25))
    with pytest.raises(ConfigError, match="reinstall"):
        services.voice.score(BRAND, "x")


def test_learn_trains_in_the_background_once_and_then_the_model_is_fresh(services, voice, monkeypatch):
    from assistant.voice import store

    release, started = threading.Event(), threading.Event()
    real_train = store.VoiceModel.train

    def slow_train(*args, **kwargs):
        started.set()
        assert release.wait(30)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(store.VoiceModel, "train", slow_train)
    assert not voice.fresh(BRAND)
    assert voice.learn(BRAND) is True and started.wait(30)
    assert voice.learning(BRAND) and voice.learn(BRAND) is True  # already being learnt: no second thread
    assert sum(t.name == f"voice-{BRAND}" for t in threading.enumerate()) == 1
    release.set()
    until_learnt(voice)
    assert not voice.learning(BRAND) and voice.fresh(BRAND) and voice.trainings == 1
    assert voice.learn(BRAND) is False  # fresh: nothing to do
    assert voice.score(BRAND, "Il bilancio del trimestre, riga per riga.") is not None and voice.trainings == 1
    add_posts(services, BRAND, ledger_posts(2, seed=11))
    assert not voice.fresh(BRAND)  # new posts: learnt again on the next choice of the brand


def test_a_failed_background_training_is_not_retried_on_the_same_posts(services, voice, monkeypatch):
    from assistant.errors import ConfigError
    from assistant.voice import store

    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ConfigError("the voice background corpus is missing", code="voice_no_background")

    monkeypatch.setattr(store.VoiceModel, "train", broken)
    assert voice.learn(BRAND) is True
    until_learnt(voice)
    assert calls == [1] and voice.learn(BRAND) is False and calls == [1]  # no retry storm
    with pytest.raises(ConfigError):  # the page's score says why
        voice.score(BRAND, "testo")
    add_posts(services, BRAND, ledger_posts(2, seed=12))
    assert voice.learn(BRAND) is True  # other posts: worth another try
    until_learnt(voice)


def until_learnt(voice, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while voice.learning(BRAND):
        assert time.monotonic() < deadline, "the background training did not end"
        time.sleep(0.05)
