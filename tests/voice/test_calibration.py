"""The 0-100 mapping: monotone, the brand's own median near 75, the AUC of its held-out margins."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from assistant.voice.calibration import Calibration


def test_scores_are_monotone_and_bounded():
    rng = np.random.default_rng(0)
    cal = Calibration.of(rng.normal(2, 1, 80), rng.normal(-2, 1, 800))
    raw = np.linspace(-10, 10, 201)
    scores = cal.scores(raw)
    assert np.all(np.diff(scores) >= 0) and scores[0] == 0 and scores[-1] == 100


def test_the_brand_median_and_the_background_median_sit_where_documented():
    rng = np.random.default_rng(1)
    cal = Calibration.of(rng.normal(3, 1, 200), rng.normal(-3, 1, 2000))  # well separated
    assert 73 <= cal.brand_quantile(0.5) <= 77
    assert 23 <= cal.scores([float(np.median(cal.background))])[0] <= 27
    assert cal.brand_quantile(0.25) < cal.brand_quantile(0.5) < cal.brand_quantile(0.75)


def test_overlapping_distributions_lower_the_brand_median():
    rng = np.random.default_rng(2)
    apart = Calibration.of(rng.normal(3, 1, 200), rng.normal(-3, 1, 2000))
    close = Calibration.of(rng.normal(0.5, 1, 200), rng.normal(0, 1, 2000))
    assert close.brand_quantile(0.5) < apart.brand_quantile(0.5)


def test_auc_matches_sklearn_and_round_trips_through_json():
    rng = np.random.default_rng(3)
    brand, background = rng.normal(1, 1, 50), rng.normal(0, 1, 300)
    cal = Calibration.of(brand, background)
    expected = roc_auc_score(np.r_[np.ones(50), np.zeros(300)], np.r_[brand, background])
    assert abs(cal.auc() - expected) < 1e-9
    again = Calibration.from_json(cal.as_json())
    assert np.allclose(again.scores([0.3, 1.2]), cal.scores([0.3, 1.2]), atol=1e-3)
