"""Features: links out, mentions and digits masked, deterministic hashed rows of a fixed width."""

from __future__ import annotations

import numpy as np

from assistant.voice import features


def test_normalise_masks_what_a_platform_adds():
    out = features.normalise("Leggi qui https://t.co/Ab12 e www.example.com/x, grazie @Mario_99: 3 giorni!")
    assert "http" not in out and "www" not in out and "t.co" not in out
    assert "@:" in out and "0 giorni" in out and "Mario" not in out


def test_rows_are_deterministic_and_links_do_not_change_them():
    a = features.featurize(["Ciao! Oggi apriamo alle 9 🎉", "Ciao! Oggi apriamo alle 9 🎉 https://t.co/xyz"])
    b = features.featurize(["Ciao! Oggi apriamo alle 9 🎉"])
    assert a.shape == (2, features.n_features())
    assert (a[0] != a[1]).nnz == 0 and (a[0] != b[0]).nnz == 0


def test_styles_differ_in_their_features():
    rows = features.featurize(["Read the full analysis on our blog.", "Ciao ragazzi!!! 🎉🎉 #festa", ""])
    assert rows[0].nnz > 0 and rows[1].nnz > 0
    assert float((rows[0].multiply(rows[1])).sum()) < 0.5 * float(rows[0].multiply(rows[0]).sum())
    assert rows[2].nnz > 0  # an empty text still has a shape
    assert np.isfinite(rows.data).all()


def test_shape_tokens_see_length_emoji_and_marks():
    short, loud = features.shape_tokens("Ok."), features.shape_tokens("EVVIVA!!! 🎉🎉 #FESTA #PAESE")
    assert "emoji2" in loud and "hashtags2" in loud and "caps10" in loud and "last:E" in loud and "marks3" in loud
    assert "emoji0" in short and short[0] != loud[0]
