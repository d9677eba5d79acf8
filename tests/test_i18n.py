"""The UI catalogues: same keys in Italian and English, same placeholders, no empty strings."""

from __future__ import annotations

import re

from assistant.i18n import CATALOGUE, t


def test_catalogues_have_the_same_keys_and_placeholders():
    it, en = CATALOGUE["it"], CATALOGUE["en"]
    assert set(it) == set(en)
    for key in en:
        assert it[key].strip() and en[key].strip(), key
        assert set(re.findall(r"{(\w+)", it[key])) == set(re.findall(r"{(\w+)", en[key])), key


def test_lookup_and_fallback():
    assert t("nav.review", "it") == "Revisione" and t("nav.review", "en") == "Review"
    assert t("nav.review", "fr") == "Review"  # unknown language: English
    assert t("no.such.key", "it") == "no.such.key"
    assert "2200" in t("draft.counter", "it", count=10, limit=2200)
