"""Platform rules: counting as each platform counts (hand-checked strings), every violation code
raised and not raised, spans that point at the offending text, messages in both languages."""

from __future__ import annotations

import csv
import re
import unicodedata

import pytest

from assistant.brands import BrandProfile, load_brand
from assistant.errors import ConfigError
from assistant.i18n import CATALOGUE
from assistant.platforms import (
    PLATFORMS,
    RULES,
    Violation,
    count,
    emojis,
    find_phrases,
    get_rules,
    has_errors,
    hashtags,
    links,
    see_more_preview,
    validate,
)
from tests.conftest import DEMO_BRANDS

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"  # 👨‍👩‍👧‍👦: 7 code points, 25 UTF-8 bytes
FLAG_IT = "\U0001F1EE\U0001F1F9"  # 🇮🇹
SKIN = "\U0001F64B\U0001F3FD"  # 🙋🏽
KEYCAP = "1\ufe0f\u20e3"  # 1️⃣
LONG_URL = "https://www.example.com/" + "percorso/" * 12 + "?utm_source=newsletter"


def brand(**fields) -> BrandProfile:
    return BrandProfile(**{"name": "Acme", "language": "it", "voice": "Diretta.", "emoji": "free", **fields})


def codes(violations: list[Violation]) -> list[str]:
    return [v.code for v in violations]


def only(violations: list[Violation], code: str) -> list[Violation]:
    return [v for v in violations if v.code == code]


def spanned(text: str, violation: Violation) -> str:
    assert violation.span is not None
    return text[violation.span[0]:violation.span[1]]


# --- the rule table ---------------------------------------------------------------------------

def test_table_has_every_platform_with_source_and_date():
    assert PLATFORMS == ("x", "linkedin", "instagram", "facebook", "threads", "tiktok", "bluesky", "mastodon")
    for rule in RULES:
        assert rule.source and re.fullmatch(r"\d{4}-\d{2}", rule.checked), rule.name
    rules = get_rules()
    assert (rules["x"].limit, rules["x"].url_weight, rules["mastodon"].url_weight) == (280, 23, 23)
    assert (rules["bluesky"].limit, rules["bluesky"].max_bytes, rules["bluesky"].counting) == (300, 3000, "graphemes")
    assert (rules["instagram"].max_hashtags, rules["instagram"].links_clickable) == (5, False)
    assert (rules["threads"].max_topic_tags, rules["threads"].max_links) == (1, 5)
    assert rules["linkedin"].see_more_at == 210 and rules["linkedin"].see_more_at_mobile == 140


def test_overrides_apply_without_touching_defaults():
    rules = get_rules({"mastodon": {"limit": "1000"}, "x": {"limit": 25000}})
    assert rules["mastodon"].limit == 1000 and rules["x"].limit == 25000
    assert get_rules()["mastodon"].limit == 500
    text = "a" * 600
    assert codes(validate(text, "mastodon")) == ["too_long"]
    assert validate(text, "mastodon", rules=rules) == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [({"myspace": {"limit": 10}}, "myspace"), ({"mastodon": {"lenght": 10}}, "lenght"),
     ({"mastodon": {"name": "x"}}, "name"), ({"mastodon": {"limit": -5}}, "mastodon.limit"),
     ({"x": {"counting": "bytes"}}, "x.counting"), ({"mastodon": 1000}, "'mastodon' must be a mapping")],
)
def test_bad_overrides_raise_config_error_naming_them(overrides, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        get_rules(overrides)


def test_unknown_platform_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown platform 'orkut'"):
        count("ciao", "orkut")
    with pytest.raises(ConfigError, match="'orkut'"):
        validate("ciao", "orkut")
    assert count("ciao", " X ") == 4  # names are trimmed and case-insensitive


# --- X: weighted counting ---------------------------------------------------------------------

def test_x_plain_ascii_at_and_over_the_limit():
    assert count("a" * 280, "x") == 280 and validate("a" * 280, "x") == []
    text = "a" * 280 + "b"
    assert count(text, "x") == 281
    (violation,) = validate(text, "x")
    assert (violation.code, violation.severity, violation.platform) == ("too_long", "error", "x")
    assert spanned(text, violation) == "b"


@pytest.mark.parametrize(
    ("text", "weight"),
    [(LONG_URL, 23), ("Leggi qui: " + LONG_URL, 11 + 23), ("https://t.co", 23),
     ("a https://a.it/1 b example.com/percorso", 2 + 23 + 3 + 23),  # two links: 23 each
     ("www.villamoranda.it.", 23 + 1),  # the final full stop is not part of the link
     ("sito.it", 7),  # twitter-text: a bare one-label ccTLD domain without a path is not a link
     ("👾", 2), (FAMILY, 2), (FLAG_IT, 2), (SKIN, 2), (KEYCAP, 2), ("\U0001F468\u200d\U0001F3A4", 2),
     ("❤️", 2), ("ok 👍👍", 3 + 4),
     ("日本語", 6), ("한국", 4),
     ("perché più città", 16), ("Ciao, è già l’ora — dài", 23),
     ("…", 2), ("€", 2), ("’", 1)],  # U+2026 and U+20AC are outside the light ranges; U+2019 inside
)
def test_x_weights(text, weight):
    assert count(text, "x") == weight


def test_x_counts_nfc_and_nfd_the_same():
    nfc = "Perché la città è più bella così"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc and len(nfd) == len(nfc) + 5  # é à è ù ì
    assert count(nfd, "x") == count(nfc, "x") == len(nfc) == 32


def test_x_too_long_span_starts_where_the_limit_is_crossed():
    text = "🎉" * 140 + "fine"  # 140 emoji weigh exactly 280
    assert count(text, "x") == 284
    assert spanned(text, only(validate(text, "x"), "too_long")[0]) == "fine"
    text = "a" * 270 + " " + LONG_URL  # 271 + 23 = 294: the link is what crosses the limit
    assert spanned(text, validate(text, "x")[0]) == LONG_URL


# --- Bluesky: graphemes and bytes -------------------------------------------------------------

def test_bluesky_counts_graphemes_not_code_points():
    assert len(FAMILY) == 7 and count(FAMILY, "bluesky") == 1
    assert count("e\u0301" + FLAG_IT + KEYCAP, "bluesky") == 3
    text = "a" * 299 + FAMILY
    assert len(text) == 306 and count(text, "bluesky") == 300 and validate(text, "bluesky") == []
    text = "a" * 300 + FAMILY
    (violation,) = validate(text, "bluesky")
    assert violation.code == "too_long" and spanned(text, violation) == FAMILY
    assert count(LONG_URL, "bluesky") == len(LONG_URL)  # no link discount on Bluesky


def test_bluesky_byte_limit():
    assert len(FAMILY.encode()) == 25
    fits = FAMILY * 120  # 120 graphemes, 3000 bytes
    assert validate(fits, "bluesky") == []
    text = FAMILY * 121  # 121 graphemes, 3025 bytes
    (violation,) = validate(text, "bluesky")
    assert (violation.code, violation.severity) == ("too_many_bytes", "error")
    assert violation.span == (840, 847) and spanned(text, violation) == FAMILY
    assert "3025" in violation.message("it") and "3000" in violation.message("it")


# --- Mastodon, Threads, TikTok, the others ----------------------------------------------------

def test_mastodon_links_count_23_and_only_with_protocol():
    assert count(LONG_URL, "mastodon") == 23
    assert count("example.com/percorso", "mastodon") == 20  # no protocol: counted as written
    text = "a" * 476 + " " + LONG_URL
    assert count(text, "mastodon") == 500 and validate(text, "mastodon") == []
    assert count(FAMILY + " ok", "mastodon") == 4  # graphemes, as the server counts


def test_threads_counts_emoji_bytes():
    assert count("👍", "threads") == 4 and count(FAMILY, "threads") == 25 and count("città", "threads") == 5
    assert validate("a" * 496 + "👍", "threads") == []
    text = "a" * 497 + "👍"
    assert count(text, "threads") == 501 and spanned(text, validate(text, "threads")[0]) == "👍"


def test_tiktok_counts_utf16_units_and_others_code_points():
    assert count("👍", "tiktok") == 2 and count(FAMILY, "tiktok") == 11 and count("città", "tiktok") == 5
    assert count(FAMILY, "linkedin") == 7 and count(LONG_URL, "instagram") == len(LONG_URL)
    text = "a" * 3001
    assert spanned(text, validate(text, "linkedin")[0]) == "a"
    assert not has_errors(validate("a" * 2200, "instagram")) and codes(validate("a" * 2201, "tiktok")) == ["too_long"]


# --- entity helpers ---------------------------------------------------------------------------

def test_links_helper():
    text = ("Scriveteci a info@villamoranda.it o su www.villamoranda.it/contatti. Programma: "
            "(https://it.wikipedia.org/wiki/Mira_(Italia)), sito.it e fine.Il resto; https://x.com/a?b=1! "
            "httpbin.org/get, 1.6 giorni, Sig.ra Rossi, http:// e Example.com.")
    assert [url for url, _, _ in links(text)] == [
        "www.villamoranda.it/contatti", "https://it.wikipedia.org/wiki/Mira_(Italia)", "https://x.com/a?b=1",
        "httpbin.org/get", "Example.com"]
    for url, start, end in links(text):
        assert text[start:end] == url


def test_hashtags_helper():
    text = ("Il #filò del giovedì #BottegaPasubio #2025 https://x.com/p#frag a#b &#39; ＃Schio "
            "https://x.com/?q=#nontag #dopo")
    found = hashtags(text)
    assert [tag for tag, _, _ in found] == ["#filò", "#BottegaPasubio", "＃Schio", "#dopo"]
    for tag, start, end in found:
        assert text[start:end] == tag


def test_emoji_count():
    assert len(emojis("ciao")) == 0 and len(emojis("© ® ™ → 1.")) == 0
    assert len(emojis(f"{FAMILY}{FLAG_IT}{SKIN}{KEYCAP}❤️👍")) == 6
    assert len(emojis("❤ ✔ ☀")) == 3  # text-default pictographs from U+2600 on still read as emoji


# --- platform violations ----------------------------------------------------------------------

def test_empty():
    for text in ("", "  \n\t"):
        (violation,) = validate(text, "linkedin", brand(required_hashtags=["#Acme"]))
        assert (violation.code, violation.severity, violation.span) == ("empty", "error", None)


def test_instagram_hashtag_cap_is_an_error_on_the_extra_tags():
    five = "Lana nuova. #uno #due #tre #quattro #cinque"
    assert validate(five, "instagram") == []
    text = five + " #sei #sette"
    found = only(validate(text, "instagram"), "too_many_hashtags")
    assert [spanned(text, v) for v in found] == ["#sei", "#sette"]
    assert {v.severity for v in found} == {"error"}
    assert "5" in found[0].message("it") and "#sei" in found[0].message("it")
    assert validate(text, "facebook") == []  # no cap elsewhere


def test_threads_topic_tags_and_links():
    text = "Una domanda per chi fa contabilità #AccountsPayable #Finance"
    (violation,) = validate(text, "threads")
    assert (violation.code, violation.severity, spanned(text, violation)) == ("too_many_topic_tags", "warning", "#Finance")
    assert validate("Una domanda sola #AccountsPayable", "threads") == []

    urls = [f"https://example.com/{n}" for n in range(1, 7)]
    five_distinct = " ".join(urls[:5] + urls[:1])
    assert validate(five_distinct, "threads") == []
    text = " ".join(urls)
    (violation,) = validate(text, "threads")
    assert (violation.code, violation.severity, spanned(text, violation)) == ("too_many_links", "error", urls[5])


@pytest.mark.parametrize("platform", ["instagram", "tiktok"])
def test_links_not_clickable_is_a_warning_per_link(platform):
    text = "Prenotate su www.bottegapasubio.it/filo oppure https://example.com/form"
    found = validate(text, platform)
    assert codes(found) == ["link_not_clickable", "link_not_clickable"]
    assert [spanned(text, v) for v in found] == ["www.bottegapasubio.it/filo", "https://example.com/form"]
    assert {v.severity for v in found} == {"warning"}
    assert validate(text, "linkedin") == [] and validate("Link in bio.", platform) == []


def test_hook_after_see_more():
    long_first = ("Abbiamo passato tre settimane a misurare quanto tempo serve davvero per approvare una fattura "
                  "senza ordine d'acquisto, e il risultato ci ha sorpreso.")
    assert len(long_first) == 149
    text = long_first + "\nEcco cosa abbiamo imparato."
    (violation,) = validate(text, "linkedin")  # ends after the mobile cut (140)
    assert (violation.code, violation.severity) == ("hook_after_see_more", "warning")
    assert spanned(text, violation) == long_first[140:] and "140" in violation.message("it")
    ok = "Tre settimane di misure.\n" + long_first * 3
    assert validate(ok, "linkedin") == [] and validate(ok, "instagram") == []
    short_line = "Riga breve senza punto\n" + long_first
    assert validate(short_line, "instagram") == []  # the hook is the first line
    assert codes(validate(long_first, "instagram")) == ["hook_after_see_more"]  # cut at 125
    assert validate(text, "facebook") == []


def test_see_more_preview():
    text = "Parola " * 40
    shown, rest = see_more_preview(text, "instagram")
    assert shown + rest == text and len(shown) <= 125 and shown.endswith("Parola") and rest.startswith(" ")
    desktop, _ = see_more_preview(text, "linkedin")
    mobile, _ = see_more_preview(text, "linkedin", mobile=True)
    assert len(mobile) <= 140 < len(desktop) <= 210
    assert see_more_preview("Breve.", "instagram") is None and see_more_preview(text, "facebook") is None
    emoji_text = "a" * 124 + FAMILY + " fine"
    shown, rest = see_more_preview(emoji_text, "instagram")
    assert shown == "a" * 124 and rest.startswith(FAMILY)  # never splits an emoji sequence


# --- brand violations -------------------------------------------------------------------------

def test_banned_words_case_accent_and_whole_word():
    profile = brand(banned_words=["economico", "low cost", "must-have"])
    text = ("Economico? ECONOMICO. Anzi económico, l'economico. Non economicamente, non economici. "
            "Un low-cost, un Low  Cost, un must have.")
    found = only(validate(text, "facebook", profile), "banned_word")
    assert [spanned(text, v) for v in found] == [
        "Economico", "ECONOMICO", "económico", "economico", "low-cost", "Low  Cost", "must have"]
    assert {v.severity for v in found} == {"error"} and {v.platform for v in found} == {None}
    assert "«económico»" in found[2].message("it")
    assert validate("Un maglione che dura, non economicamente conveniente.", "facebook", profile) == []


def test_banned_word_spans_map_back_through_decomposed_accents():
    text = unicodedata.normalize("NFD", "Perché è ECONÓMICO, più economico") + " fine"
    assert [text[s:e] for _, s, e in find_phrases(text, ["Económico"])] == [
        unicodedata.normalize("NFD", "ECONÓMICO"), "economico"]
    text = "Straße groß"  # casefold changes lengths: ß -> ss
    assert [text[s:e] for _, s, e in find_phrases(text, ["strasse", "gross"])] == ["Straße", "groß"]


def test_required_hashtags():
    profile = brand(required_hashtags=["VillaMoranda", "#Veneto"])
    assert validate("Settembre nel brolo #villamoranda #VENETO", "instagram", profile) == []
    found = validate("Settembre nel brolo #VillaMorandaEstate", "instagram", profile)
    assert codes(found) == ["missing_required_hashtag", "missing_required_hashtag"]
    assert {v.severity for v in found} == {"error"} and "#VillaMoranda" in found[0].message("it")
    assert found[0].span is None


def test_disclaimer():
    profile = brand(disclaimer="Messaggio pubblicitario con finalità promozionale.")
    assert validate("Novità in negozio.\nMESSAGGIO pubblicitario con  finalità promozionale.", "facebook", profile) == []
    (violation,) = validate("Novità in negozio.", "facebook", profile)
    assert (violation.code, violation.severity) == ("missing_disclaimer", "error")
    assert validate("Novità in negozio.", "facebook", brand(disclaimer="  ")) == []


def test_emoji_policy():
    text = f"Ciao 👋 da Mira {FLAG_IT} e {FAMILY}"
    found = validate(text, "facebook", brand(emoji="none"))
    assert codes(found) == ["emoji_not_allowed"] * 3 and {v.severity for v in found} == {"error"}
    assert [spanned(text, v) for v in found] == ["👋", FLAG_IT, FAMILY]
    (violation,) = validate(text, "facebook", brand(emoji="sparing", emoji_max=2))
    assert (violation.code, violation.severity, spanned(text, violation)) == ("too_many_emoji", "warning", FAMILY)
    assert validate(text, "facebook", brand(emoji="sparing", emoji_max=3)) == []
    assert validate(text, "facebook", brand(emoji="free")) == []
    assert validate("Copyright © 2026, Acme™", "facebook", brand(emoji="none")) == []


def test_wrong_language_is_a_warning():
    english = "We are open on Saturday, and the tea is on us. Bring your needles and your friends."
    (violation,) = validate(english, "facebook", expected_language="it")
    assert (violation.code, violation.severity) == ("wrong_language", "warning")
    assert "inglese" in violation.message("it") and "italiano" in violation.message("it")
    assert "English" in validate(english, "facebook", expected_language="IT")[0].message("en")
    assert validate(english, "facebook", expected_language="en") == []
    assert validate("ok 👍", "facebook", expected_language="it") == []  # too short to tell
    assert validate(english, "facebook") == []  # nothing expected, nothing checked
    assert validate(english, "facebook", expected_language="nl") == []  # a language we cannot recognise


# --- messages and shape -----------------------------------------------------------------------

ALL_CODES = ["empty", "too_long", "too_many_bytes", "too_many_hashtags", "too_many_topic_tags", "too_many_links",
             "link_not_clickable", "hook_after_see_more", "banned_word", "missing_required_hashtag",
             "missing_disclaimer", "emoji_not_allowed", "too_many_emoji", "wrong_language"]


def test_every_code_has_a_message_in_italian_and_english():
    for code in ALL_CODES:
        key = f"violation.{code}"
        assert CATALOGUE["it"][key] and CATALOGUE["en"][key] and CATALOGUE["it"][key] != CATALOGUE["en"][key]
    for rule in RULES:
        key = f"violation.unit.{rule.counting}"
        assert CATALOGUE["it"][key] != CATALOGUE["en"][key]


def test_messages_follow_the_ui_language_and_fill_placeholders():
    profile = brand(banned_words=["imperdibile"], required_hashtags=["#Acme"], emoji="none",
                    disclaimer="Pubblicità.")
    text = "Offerta imperdibile 🎉 " + "a" * 300 + " #uno #due #tre #quattro #cinque #sei https://example.com"
    found = validate(text, "instagram", profile, expected_language="en")
    assert set(codes(found)) >= {"too_many_hashtags", "link_not_clickable", "hook_after_see_more", "banned_word",
                                   "missing_required_hashtag", "missing_disclaimer", "emoji_not_allowed"}
    for violation in found:  # one violation, rendered in either language at display time
        assert violation.message("it") != violation.message("en")
        assert "{" not in violation.message("it") and "{" not in violation.message("en")
    too_long = validate("a" * 281, "x")[0]
    assert too_long.message("it") == "X: 281 caratteri ponderati su 280 consentiti (1 di troppo)."
    assert too_long.message("en") == "X: 281 weighted characters of the 280 allowed (1 too many)."


def test_violations_are_data_and_survive_storage():
    """Stored as code + params, rendered later: what an Italian session checked reads in English."""
    from assistant.platforms import as_violations

    stored = [v.as_dict() for v in validate("Offerta imperdibile", "x", brand(banned_words=["imperdibile"]))]
    assert "message" not in stored[0] and stored[0]["params"]["found"] == "imperdibile"
    (again,) = as_violations(stored)
    assert again.message("en") == 'Banned by the brand: "imperdibile" (listed as: imperdibile).'
    assert again.message("it") == "Parola vietata dal brand: «imperdibile» (in elenco: imperdibile)."
    legacy = as_violations([{"code": "banned_word", "severity": "error", "message": "Parola vietata: x"}])[0]
    assert legacy.message("en") == "Parola vietata: x"  # no params to render with: the old text stays


def test_violation_as_dict_and_has_errors():
    violations = validate("Lana " + "#t " * 6, "instagram")
    data = violations[0].as_dict()
    assert data == {"code": "too_many_hashtags", "severity": "error", "span": [20, 22], "platform": "instagram",
                    "params": {"platform": "Instagram", "tag": "#t", "n": 6, "max": 5}}
    assert has_errors(violations) and not has_errors(validate("Ciao #t", "threads"))


def test_pathological_inputs_finish():
    # Guards against catastrophic regex backtracking (not a timing test: a regression would hang).
    profile = brand(banned_words=["low cost"], required_hashtags=["#Acme"], emoji="sparing")
    for text in ("a." * 30000, "ab-." * 15000, "#" + "1" * 60000, "https://" + "a" * 60000,
                 ("#tag https://x.co/a " * 3000), "e" + "\u0301" * 60000):
        violations = validate(text, "facebook", profile, expected_language="it")
        assert codes(violations)[-1] == "missing_required_hashtag"  # every check ran to the end


# --- the demo brands comply with their own rules ----------------------------------------------

def _demo_posts():
    for folder in sorted(DEMO_BRANDS.iterdir()):
        if (folder / "posts.csv").is_file():
            profile = load_brand(DEMO_BRANDS, folder.name).profile
            for n, row in enumerate(csv.DictReader((folder / "posts.csv").open(encoding="utf-8")), 2):
                yield pytest.param(profile, row, id=f"{folder.name}:{n}:{row['platform']}")


@pytest.mark.parametrize(("profile", "row"), list(_demo_posts()))
def test_demo_posts_have_no_errors_for_their_platform_and_brand(profile, row):
    assert row["platform"] in profile.platforms
    violations = validate(row["text"], row["platform"], profile, expected_language=row["language"])
    assert [v.as_dict() for v in violations if v.severity == "error"] == []
    assert "wrong_language" not in codes(violations)
