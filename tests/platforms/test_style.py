"""The `pa-it` style rule set (assistant/platforms/style.py): its data, each rule raised and not
raised on Italian texts of our own, messages in both languages, the brand flag, and the wiring
into the drafter's checks and the review queue's re-checks."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from assistant.brands import BrandProfile, load_brand
from assistant.errors import BrandProfileError
from assistant.i18n import CATALOGUE
from assistant.platforms import Violation, style, validate
from tests.conftest import DEMO_BRANDS, REPO, write_brand

PA_CODES = {"pa_acronym_unexplained", "pa_bureaucratic_phrase", "pa_hashtag_case", "pa_hashtag_case_suggestion",
            "pa_emoji_between_words", "pa_link_bare", "pa_link_vague"}
# One text that breaks every rule of the set.
EVERYTHING = ("Si comunica che in data odierna l'ASL apre le prenotazioni 📅 per i vaccini.\n"
              "Per prenotare clicca qui: https://asl.example.it/prenota\n"
              "https://asl.example.it/orari\n"
              "#vacciniinfarmacia #COMUNEDIPROVA")


def pa_brand(**fields) -> BrandProfile:
    return BrandProfile(**{"name": "Comune di Prova", "language": "it", "voice": "Chiara e vicina.",
                           "emoji": "free", "style_rules": ["pa-it"], **fields})


def found(text: str, code: str | None = None, brand: BrandProfile | None = None) -> list[tuple[str, str, dict]]:
    """(code, the text the span covers, params) of the style violations, in text order per rule."""
    out = style.violations(text, brand or pa_brand(),
                           lambda c, severity, span, *, brand_rule, **p: (c, text[span[0]:span[1]], p))
    return [f for f in out if code is None or f[0] == code]


def spans(text: str, code: str) -> list[str]:
    return [covered for _, covered, _ in found(text, code)]


# --- the data ----------------------------------------------------------------------------------

def test_the_data_loads_and_every_glossary_entry_cites_a_known_source():
    data = style.pa_it_data()
    assert len(data.phrases) >= 40
    assert {"codice-stile-1993", "guida-atti-2011", "linee-guida-design-pa"} <= set(data.sources)
    for source in data.sources.values():
        assert source.title.strip() and source.publisher.strip()
    for entry in data.phrases:
        assert entry.source in data.sources, entry.phrase
        assert entry.plain and all(p.strip() for p in entry.plain), entry.phrase
    headwords = [e.phrase.casefold() for e in data.phrases]
    assert len(headwords) == len(set(headwords)), "a phrase is listed twice"
    assert {"si comunica che", "in data odierna", "entro e non oltre", "a mezzo", "previo", "qualora",
            "ai sensi della normativa vigente"} <= set(headwords)
    assert all(a.isupper() and 2 <= len(a) <= 6 for a in data.common_acronyms)


def test_every_glossary_form_is_found_in_a_sentence():
    for entry in style.pa_it_data().phrases:
        for form in (entry.phrase, *entry.forms):
            written = form.replace("*", "re")  # a stem: any ending
            text = f"Ecco: {written}{'x' if written.endswith(chr(39)) else ''} qualcosa."
            assert [p["phrase"] for _, _, p in found(text, "pa_bureaucratic_phrase")][:1] == [entry.phrase], form


def test_a_glossary_entry_without_a_known_source_is_refused():
    raw = yaml.safe_load((style.DATA / "pa_it.yaml").read_text(encoding="utf-8"))
    raw["phrases"].append({"phrase": "all'uopo", "plain": ["per questo"], "source": "sentito-dire"})
    with pytest.raises(ValueError, match="sentito-dire"):
        style.PaItData.model_validate(raw)


def test_the_data_file_ships_in_the_wheel():
    """pyproject's package-data globs cover every file in assistant/platforms/data."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["assistant.platforms"]
    files = [p.relative_to(style.DATA.parent).as_posix() for p in style.DATA.iterdir() if p.is_file()]
    assert files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)


# --- acronyms ----------------------------------------------------------------------------------

def test_an_acronym_is_flagged_at_its_first_unexplained_use_only():
    text = "Dal 3 marzo l'INPS paga l'assegno. L'INPS scrive a ogni famiglia. Poi tocca all'ASL."
    hits = found(text, "pa_acronym_unexplained")
    assert [p["acronym"] for _, _, p in hits] == ["INPS", "ASL"]
    assert text.index("INPS") == text.find(hits[0][1])  # the span is the first use


@pytest.mark.parametrize("text", [
    "Per accedere serve lo SPID (Sistema pubblico di identità digitale); con lo SPID fai tutto online.",
    "Per accedere serve il Sistema pubblico di identità digitale (SPID). Lo SPID si chiede alle Poste.",
    "Il PNRR (Piano nazionale di ripresa e resilienza) finanzia la nuova biblioteca.",
    "Contributi dall'UE, IVA inclusa: il modulo è in PDF.",  # common enough to need no expansion
    "Municipio IV, aperto dal XXI secolo ai giorni nostri.",  # Roman numerals
    "AVVISO: CHIUSURA UFFICI COMUNALI lunedì per la festa patronale.",  # a shouted heading
    "Seguite #INPS e @INPSComunica, scrivete a URP@comune.example.it o aprite https://example.it/ASL/FAQ",
    "Meno CO2 in città con il 5G e la ZTL (zona a traffico limitato).",  # digits; an expansion
])
def test_explained_common_or_non_acronyms_are_not_flagged(text):
    assert found(text, "pa_acronym_unexplained") == []


def test_an_explanation_must_look_like_one_and_acronyms_in_the_brand_name_are_known():
    assert spans("L'INPS (vedi sotto) risponde.", "pa_acronym_unexplained") == ["INPS"]  # not an expansion
    assert spans("L'INPS (Istituto nazionale della previdenza sociale) risponde.", "pa_acronym_unexplained") == []
    assert spans("Domani mattina (ASL).", "pa_acronym_unexplained") == ["ASL"]  # words, but not its own
    asl = pa_brand(name="ASL Roma 9")
    assert found("L'ASL vi aspetta al CUP.", "pa_acronym_unexplained", asl)[0][2] == {"acronym": "CUP"}


# --- bureaucratic phrases ----------------------------------------------------------------------

def test_bureaucratic_phrases_are_found_with_their_plain_alternative():
    text = ("SI COMUNICA CHE le domande vanno inviate entro e non oltre il 30 aprile, a mezzo PEC, previo "
            "appuntamento. Qualora serva aiuto, all’uopo c'è lo sportello; dell'apposito modulo parliamo "
            "dopo l'espletamento della gara.")
    hits = found(text, "pa_bureaucratic_phrase")
    assert [covered for _, covered, _ in hits] == ["SI COMUNICA CHE", "entro e non oltre", "a mezzo", "previo",
                                                  "Qualora", "all’uopo", "apposito", "espletamento"]
    by_phrase = {p["phrase"]: p for _, _, p in hits}
    assert by_phrase["entro e non oltre"]["plain"] == "«entro»"
    assert by_phrase["qualora"]["plain"] == "«se»"
    assert by_phrase["previo"]["plain"] == "«dopo», «con»"
    assert by_phrase["all'uopo"]["found"] == "all’uopo"  # as written, typographic apostrophe and all


def test_accents_count_and_decomposed_text_matches_with_its_accent_in_the_span():
    decomposed = "Il modulo, teste\u0301 pubblicato, vale in virtu\u0300 del regolamento."
    assert spans(decomposed, "pa_bureaucratic_phrase") == ["teste\u0301", "in virtu\u0300 del"]
    assert found("Le teste dei chiodi.", "pa_bureaucratic_phrase") == []  # "teste" is not "testé"


def test_phrases_match_whole_words_and_never_inside_links_or_hashtags():
    text = ("Dove andare? Il servizio previsto è gratuito e si è svolto qui. Leggi #qualora e "
            "https://comune.example.it/qualora-serva e @inoltrare. Le onde del mare.")
    assert found(text, "pa_bureaucratic_phrase") == []


def test_overlapping_phrases_are_reported_once_and_the_longest_form_wins():
    text = ("Domande entro e non oltre il 30 aprile, moduli non oltre il 2 maggio, a mezzo di posta, "
            "con i requisiti di cui all'articolo 3 e ai sensi della normativa vigente.")
    hits = found(text, "pa_bureaucratic_phrase")
    assert [covered for _, covered, _ in hits] == ["entro e non oltre", "non oltre il", "a mezzo di", "di cui all'",
                                                  "ai sensi della normativa vigente"]
    assert hits[1][2]["plain"] == "«entro il», «entro la»"
    assert hits[-1][2]["plain"].startswith("«ai sensi della legge 241/1990»")


# --- hashtags ----------------------------------------------------------------------------------

def test_a_long_lower_or_upper_case_hashtag_is_flagged():
    hits = found("Iscrizioni aperte #centriestivicomunali #ORARIESTIVIUFFICI", brand=pa_brand(name="Biblioteca"))
    assert [(c, covered) for c, covered, _ in hits] == [("pa_hashtag_case", "#centriestivicomunali"),
                                                       ("pa_hashtag_case", "#ORARIESTIVIUFFICI")]


def test_the_camel_case_form_is_suggested_from_the_posts_words_the_brand_name_or_its_hashtags():
    text = "Il Comune di Milano apre il bando #comunedimilano #COMUNEDIPROVA #estateinbiblioteca"
    brand = pa_brand(hashtags=["#EstateInBiblioteca"])
    hits = found(text, "pa_hashtag_case_suggestion", brand)
    assert [(p["tag"], p["suggestion"]) for _, _, p in hits] == [
        ("#comunedimilano", "#ComuneDiMilano"), ("#COMUNEDIPROVA", "#ComuneDiProva"),
        ("#estateinbiblioteca", "#EstateInBiblioteca")]


@pytest.mark.parametrize("text", [
    "Il bando #ComuneDiMilano", "Il bando #Milano #biblioteca", "Grazie della #partecipazione: la partecipazione conta.",
])
def test_camel_case_short_or_single_word_hashtags_are_fine(text):
    assert [c for c, _, _ in found(text) if c.startswith("pa_hashtag")] == []


# --- emoji -------------------------------------------------------------------------------------

def test_an_emoji_between_words_is_flagged():
    text = "La biblioteca è chiusa 🔒 lunedì.\n👉 Prenota il prestito online.\nBuona lettura 📚"
    assert spans(text, "pa_emoji_between_words") == ["🔒", "👉"]
    assert found(text, "pa_emoji_between_words")[0][2] == {"emoji": "🔒"}


def test_emoji_at_the_end_of_a_line_or_before_hashtags_only_are_fine():
    text = "La biblioteca riapre sabato 🎉📚\nVi aspettiamo alle 10 ☀️ #BibliotecaDiProva #Estate2026"
    assert found(text, "pa_emoji_between_words") == []


# --- links -------------------------------------------------------------------------------------

def test_a_bare_link_is_flagged():
    text = "Orari estivi degli uffici.\nhttps://comune.example.it/orari\n\n👉 https://comune.example.it/mappa"
    assert spans(text, "pa_link_bare") == ["https://comune.example.it/orari", "https://comune.example.it/mappa"]


def test_a_link_introduced_by_a_vague_phrase_is_flagged_with_the_phrase():
    text = ("Per iscriverti clicca qui: https://comune.example.it/iscrizioni\n"
            "Trovate il regolamento al link 👉 comune.example.it/regolamento\n"
            "For English speakers, click here:\nhttps://comune.example.it/en")
    hits = found(text, "pa_link_vague")
    assert [(p["phrase"], p["link"]) for _, _, p in hits] == [
        ("clicca qui", "https://comune.example.it/iscrizioni"), ("al link", "comune.example.it/regolamento"),
        ("click here", "https://comune.example.it/en")]


@pytest.mark.parametrize("text", [
    "Il modulo per iscrivere i bambini ai centri estivi: https://comune.example.it/centri-estivi",
    "Il regolamento dei centri estivi, in PDF:\nhttps://comune.example.it/regolamento.pdf",
    "https://comune.example.it/tari per pagare la tassa sui rifiuti online",
])
def test_a_described_link_is_fine(text):
    assert [c for c, _, _ in found(text) if c.startswith("pa_link")] == []


def test_a_line_that_ends_with_its_own_link_does_not_introduce_the_next():
    text = "Il bando: https://comune.example.it/bando\nhttps://comune.example.it/faq"
    assert spans(text, "pa_link_bare") == ["https://comune.example.it/faq"]


# --- through validate: the brand flag, severity, messages ------------------------------------------

def test_validate_adds_the_set_only_for_a_brand_that_opts_in():
    with_rules = validate(EVERYTHING, "facebook", pa_brand())
    assert {v.code for v in with_rules} >= PA_CODES
    pa = [v for v in with_rules if v.code.startswith("pa_")]
    assert all(v.severity == "warning" and v.platform is None and v.span for v in pa)
    plain_brand = pa_brand(style_rules=[])
    assert [v.code for v in validate(EVERYTHING, "facebook", plain_brand) if v.code.startswith("pa_")] == []
    assert [v.code for v in validate(EVERYTHING, "facebook") if v.code.startswith("pa_")] == []


def test_every_code_has_a_message_in_both_languages():
    for code in PA_CODES:
        assert f"violation.{code}" in CATALOGUE["it"] and f"violation.{code}" in CATALOGUE["en"], code


def test_messages_render_in_the_readers_language_with_their_suggestion():
    by_code: dict[str, Violation] = {}
    for v in validate(EVERYTHING, "facebook", pa_brand()):
        by_code.setdefault(v.code, v)  # the first of each code
    jargon = by_code["pa_bureaucratic_phrase"]
    assert jargon.message("it") == "«Si comunica che» è burocratese: meglio «vi informiamo che», oppure riformula la frase."
    assert jargon.message("en").startswith('"Si comunica che" is bureaucratic Italian: plainer is «vi informiamo che»')
    assert "ASL" in by_code["pa_acronym_unexplained"].message("it") and "sigla" in by_code["pa_acronym_unexplained"].message("it")
    assert "acronym" in by_code["pa_acronym_unexplained"].message("en")
    assert "#ComuneDiProva" in by_code["pa_hashtag_case_suggestion"].message("en")
    assert "«clicca qui»" in by_code["pa_link_vague"].message("it")
    assert "https://asl.example.it/orari" in by_code["pa_link_bare"].message("en")
    assert "📅" in by_code["pa_emoji_between_words"].message("it")
    for v in by_code.values():
        if v.code in PA_CODES:
            it, en = v.message("it"), v.message("en")
            assert it != en and "{" not in it + en and not it.startswith("violation."), v.code
    # stored and read back (a review revision), it renders the same
    stored = Violation.model_validate(jargon.as_dict())
    assert stored.message("en") == jargon.message("en")


# --- the brand field ---------------------------------------------------------------------------

def test_style_rules_default_to_none_and_accept_pa_it(tmp_path):
    assert BrandProfile(name="X", language="it", voice="V").style_rules == []
    write_brand(tmp_path, "comune", style_rules=["pa-it", "pa-it"])
    assert load_brand(tmp_path, "comune").profile.style_rules == ["pa-it"]
    write_brand(tmp_path, "comune", style_rules="pa-it")  # the single-set shorthand
    assert load_brand(tmp_path, "comune").profile.style_rules == ["pa-it"]


@pytest.mark.parametrize("value", [["pa"], ["pa-it", "pa-en"], "burocratese"])
def test_an_unknown_style_rule_set_is_refused_with_the_known_ones(tmp_path, value):
    write_brand(tmp_path, "comune", style_rules=value)
    with pytest.raises(BrandProfileError, match=r"'style_rules'.*unknown style rule set .*pa-it"):
        load_brand(tmp_path, "comune")


def test_no_demo_brand_is_a_public_administration():
    """The demo brands are a knitwear shop, a payments company and a villa: none opts in."""
    for folder in sorted(Path(DEMO_BRANDS).iterdir()):
        if (folder / "brand.yaml").is_file():
            assert load_brand(DEMO_BRANDS, folder.name).profile.style_rules == [], folder.name


# --- the drafter's checks and the review queue's re-checks ----------------------------------------

def test_the_drafter_and_the_review_recheck_include_the_set(services):
    from assistant.drafting.providers import FakeProvider
    from assistant.drafting.schemas import DraftRequest
    from assistant.review import ReviewQueue

    write_brand(services.settings.brands_dir, "comune-di-prova", name="Comune di Prova", style_rules=["pa-it"],
                emoji="free")
    text = "Si comunica che la biblioteca riapre sabato: vi aspettiamo dalle 9 alle 13."
    fake = FakeProvider(script=[text, text, text])  # the same text again if a repair round asks
    [draft] = services.drafter(provider=fake).draft(
        DraftRequest(brand="comune-di-prova", platforms=["facebook"], brief="Riapertura della biblioteca", language="it"))
    assert draft.text.startswith("Si comunica che la biblioteca riapre sabato")
    assert "pa_bureaucratic_phrase" in [v.code for v in draft.violations]

    queue = ReviewQueue.from_services(services)
    try:
        edited = "Qualora la biblioteca sia chiusa, scrivete all'URP."
        codes = [v["code"] for v in queue.validate(edited, platform="facebook", brand="comune-di-prova", language="it")]
        assert {"pa_bureaucratic_phrase", "pa_acronym_unexplained"} <= set(codes)
        other = queue.validate(edited, platform="facebook", brand="bottega-pasubio", language="it")
        assert not [v for v in other if v["code"].startswith("pa_")]
    finally:
        queue.close()


def test_the_readme_documents_the_set():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "style_rules" in readme and "pa-it" in readme
    assert re.search(r"pa_acronym_unexplained", readme)
