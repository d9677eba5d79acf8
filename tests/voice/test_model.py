"""The brand model itself: decoys, files without pickle, and a demo brand learnt against the
shipped background through the normal ingestion."""

from __future__ import annotations

import json
import zipfile

import numpy as np

from assistant.voice import features, model
from tests.voice.conftest import background_posts, festa_posts, ledger_posts


def _small_model(fingerprint: str = "f" * 32) -> model.VoiceModel:
    background = features.featurize(background_posts(120))
    return model.VoiceModel.train("prova", ledger_posts(30), background, fingerprint=fingerprint)


def test_decoys_keep_the_words_and_lose_the_order():
    texts = ["uno due tre quattro cinque sei sette", "Read the full analysis on our blog today"]
    shuffled = model.decoys(texts)
    assert shuffled == model.decoys(texts)  # fixed seed
    assert [sorted(s.split()) for s in shuffled] == [sorted(t.split()) for t in texts]
    assert shuffled != texts


def test_saved_files_are_arrays_and_json_and_load_back_the_same(tmp_path):
    trained = _small_model().save(tmp_path / "prova")
    folder = tmp_path / "prova"
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.npz"]
    with zipfile.ZipFile(folder / "weights.npz") as z:
        assert sorted(z.namelist()) == ["indices.npy", "intercept.npy", "values.npy"]
    with np.load(folder / "weights.npz", allow_pickle=False) as arrays:  # no object arrays: no pickle
        assert arrays["values"].dtype == np.float32
    doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert doc["features"] == features.describe() and doc["info"]["posts"] == 30
    loaded = model.VoiceModel.load(folder)
    texts = ledger_posts(3, seed=4) + festa_posts(3)
    assert loaded.scores(texts) == trained.scores(texts)
    assert loaded.info.size_bytes == trained.info.size_bytes > 0


def test_a_model_from_another_feature_version_is_not_loaded(tmp_path):
    _small_model().save(tmp_path / "prova")
    path = tmp_path / "prova" / "model.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"]["version"] = -1
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert model.VoiceModel.load(tmp_path / "prova") is None


def test_cross_validation_never_scores_a_post_with_its_own_decoy_in_training():
    posts = ledger_posts(25)
    data = model.TrainingSet.of(posts, features.featurize(background_posts(60)))
    y, decoy = data.labels()
    assert int(y.sum()) == 25 and int(decoy.sum()) == 25 and data.X.shape[0] == 25 + 60 + 25
    held = data.cross_validated(5)
    in_sample = data.fit().margins(data.X[:25])
    assert np.all(held[:25] < in_sample)  # held-out margins are honest: lower than the memorised ones


def test_a_demo_brand_learnt_through_ingestion_scores_its_held_out_posts_above_the_background(services):
    slug = "villa-moranda"
    services.knowledge.index_brand(services.brand(slug))  # the normal ingestion of brand_profiles/<slug>/
    record = services.knowledge.record
    docs = record.documents(slug, kinds=["post"])
    assert len(docs) >= 40
    held = docs[::5]  # every fifth post is held out: removed from the record before training
    record.write(slug, remove=[d.id for d in held])
    info = services.voice.train(slug)
    assert info is not None and info.posts == len(docs) - len(held) and info.background >= 1000
    scores = [s.score for s in services.voice.scores(slug, [d.text for d in held])]
    above = sum(s > info.background_median for s in scores)
    assert np.median(scores) > info.background_median + 20 and above >= 0.9 * len(scores)
    assert info.background_median < info.q1 <= info.median

