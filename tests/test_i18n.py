"""The UI catalogues: same keys in Italian and English, same placeholders, no empty strings."""

from __future__ import annotations

import re

from assistant.i18n import CATALOGUE, PLURAL_FORMS, t


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


def test_plural_forms_follow_the_language():
    assert t("review.revisions", "it", n=1) == "1 revisione"
    assert t("review.revisions", "it", n=2) == "2 revisioni"
    assert t("review.revisions", "en", n=1) == "1 revision"
    assert t("review.revisions", "en", n=0) == "0 revisions"
    assert t("calendar.posts", "en", n=1) == "1 post" and t("calendar.posts", "en", n=3) == "3 posts"
    assert t("count.posts", "it", n=1234) == "1.234 post" and t("count.posts", "en", n=1234) == "1,234 posts"
    # a key without plural forms keeps `n` as given (a version number is not a count)
    assert t("review.current", "en", n=2) == "Current text (v2), changes since v0"


def test_every_plural_key_has_the_forms_its_language_needs():
    from babel import Locale

    for lang, strings in CATALOGUE.items():
        stems = {k.rsplit(".", 1)[0] for k in strings if k.rsplit(".", 1)[-1] in PLURAL_FORMS}
        # the forms the language uses for counts (t() falls back to `other` for the rest)
        needed = {Locale.parse(lang).plural_form(n) for n in range(0, 1001)} | {"other"}
        for stem in stems:
            assert {f"{stem}.{f}" for f in needed} <= set(strings), (lang, stem)
            assert stem not in strings, f"{stem}: a plural key must not also exist without a form"


def test_numbers_dates_and_durations_follow_the_language():
    from datetime import datetime

    from assistant import i18n

    assert i18n.number(1234.5, "it") == "1.234,5" and i18n.number(1234.5, "en") == "1,234.5"
    assert i18n.percent(0.425, "it", digits=1) == "42,5%"
    moment = datetime(2026, 3, 14, 18, 30)
    assert i18n.moment(moment, "it") == "14 mar 2026, 18:30"
    assert i18n.moment(moment, "en").startswith("Mar 14, 2026, 6:30")
    assert i18n.duration(700, "it") == "12 minuti" and i18n.duration(3 * 3600, "en") == "3 hours"
