"""The AI disclosure check: when a post lacks one (always / when_unreviewed on a public-interest
brand / none), what counts as present (the brand's text in any language, our default, markers),
the messages in both languages, and the brand.yaml keys that set it."""

from __future__ import annotations

import pytest

from assistant.brands import BrandProfile, load_brand
from assistant.errors import BrandProfileError
from assistant.i18n import CATALOGUE
from assistant.platforms import validate
from assistant.platforms.disclosure import MARKER_HASHTAGS, MARKER_PHRASES, has_disclosure, suggestion
from tests.conftest import write_brand

POST = "Da lunedì la biblioteca di Schio apre anche la sera, fino alle 22."
CODES = ("ai_disclosure_missing", "ai_disclosure_unless_approved")


def brand(**fields) -> BrandProfile:
    return BrandProfile(**{"name": "Comune di Schio", "language": "it", "voice": "Chiara.", "emoji": "free", **fields})


def disclosure(text: str, profile: BrandProfile, language: str = "it"):
    return [v for v in validate(text, "facebook", profile, expected_language=language) if v.code in CODES]


def test_always_makes_a_missing_disclosure_an_error_that_names_the_text_to_add():
    [v] = disclosure(POST, brand(ai_disclosure="always"))
    assert v.code == "ai_disclosure_missing" and v.severity == "error" and v.platform is None
    default = CATALOGUE["it"]["disclosure.default"].replace("{approver}", "[nome di chi approva]")
    assert v.params["disclosure"] == default
    assert v.message("it") == f"Il brand chiede che ogni post dichiari l'uso dell'IA: aggiungi «{default}» (o un segno come #IA)."
    assert v.message("en") == f"The brand asks every post to say that AI was used: add “{default}” (or a marker such as #AI)."


def test_the_suggested_text_follows_the_posts_language_and_the_brands_own_text():
    profile = brand(ai_disclosure="always", disclosure={"it": "Scritto con l'IA, rivisto da {approver}.",
                                                        "en": "Written with AI, checked by {approver}."})
    [it] = disclosure(POST, profile, "it")
    [en] = disclosure("From Monday the library opens in the evening too.", profile, "en")
    assert it.params["disclosure"] == "Scritto con l'IA, rivisto da [nome di chi approva]."
    assert en.params["disclosure"] == "Written with AI, checked by [approver's name]."
    assert suggestion(brand(), "en") == "Text drafted with the help of AI and reviewed by [approver's name]."


@pytest.mark.parametrize("text", [
    POST + "\n\nTesto redatto con il supporto dell'IA e rivisto da Ada Rossi.",
    POST + " testo REDATTO con il  supporto dell’IA e rivisto da Bea Neri",  # case, spaces, apostrophe, no full stop
    POST + " Text drafted with the help of AI and reviewed by Ada Rossi.",  # the other language's default
    POST + " #IA",
    POST + " #ai #Schio",
    POST + " Contenuto generato con l'IA.",
    POST + " (AI-generated)",
    POST + " Contenuto generato con IA",
])
def test_present_in_any_accepted_form(text):
    profile = brand(ai_disclosure="always")
    assert has_disclosure(text, profile)
    assert disclosure(text, profile) == []


@pytest.mark.parametrize("text", [
    POST,
    POST + " #AIweek #IAgenerativa",  # not the marker hashtags: whole tags only
    POST + " Parliamo di IA e di biblioteche.",
    POST + " rivisto da Ada Rossi",  # a fragment of the default is not a disclosure
])
def test_absent(text):
    assert not has_disclosure(text, brand())
    assert [v.code for v in disclosure(text, brand(ai_disclosure="always"))] == ["ai_disclosure_missing"]


def test_the_brands_own_text_counts_in_every_language_it_lists():
    profile = brand(ai_disclosure="always", disclosure={"it": "Post curato dall'ufficio stampa con un assistente "
                                                              "automatico, verificato da {approver}",
                                                        "de": "Mit KI-Hilfe geschrieben"})
    assert has_disclosure(POST + " Post curato dall'ufficio stampa con un assistente automatico, verificato "
                                 "da Marta.", profile)
    assert has_disclosure(POST + " Mit KI-Hilfe geschrieben.", profile)
    assert not has_disclosure(POST + " Mit KI-Hilfe geschrieben.", brand())  # only that brand's text


def test_when_unreviewed_warns_only_on_public_interest_brands_and_none_never():
    [v] = disclosure(POST, brand(ai_disclosure="when_unreviewed", public_interest=True))
    assert v.code == "ai_disclosure_unless_approved" and v.severity == "warning"
    assert "named person approves it" in v.message("en") and "persona identificata" in v.message("it")
    assert disclosure(POST, brand()) == []  # when_unreviewed (the default), not of public interest
    assert disclosure(POST, brand(ai_disclosure="none", public_interest=True)) == []
    assert disclosure(POST + " #IA", brand(public_interest=True)) == []


def test_the_markers_are_data_that_count():
    for tag in MARKER_HASHTAGS:
        assert has_disclosure(f"{POST} {tag}"), tag
    for phrase in MARKER_PHRASES:
        assert has_disclosure(f"{POST} {phrase.upper()}."), phrase


def test_brand_yaml_keys_defaults_and_errors(tmp_path):
    write_brand(tmp_path, "comune", ai_disclosure="always", public_interest=True, ai_generated_threshold=0.7,
                disclosure={"IT": "  Testo scritto   con l'IA. "})
    profile = load_brand(tmp_path, "comune").profile
    assert (profile.ai_disclosure, profile.public_interest, profile.ai_generated_threshold) == ("always", True, 0.7)
    assert profile.disclosure == {"it": "Testo scritto con l'IA."}
    defaults = brand()
    assert (defaults.ai_disclosure, defaults.public_interest, defaults.disclosure,
            defaults.ai_generated_threshold) == ("when_unreviewed", False, {}, 0.5)
    for fields, message in (({"ai_disclosure": "sometimes"}, "ai_disclosure"),
                            ({"ai_generated_threshold": 0}, "ai_generated_threshold"),
                            ({"ai_generated_threshold": 1.5}, "ai_generated_threshold"),
                            ({"disclosure": {"it": "Scritto da {name}"}}, "only placeholder is {approver}"),
                            ({"disclosure": {"italiano": "Scritto con l'IA"}}, "ISO 639-1")):
        write_brand(tmp_path, "rotto", **fields)
        with pytest.raises(BrandProfileError, match=message):
            load_brand(tmp_path, "rotto")
