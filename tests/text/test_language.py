"""Offline language detection (lingua) on social-media style posts written for these tests."""

from __future__ import annotations

import csv

import pytest

from assistant.text import language
from tests.conftest import DEMO_BRANDS

ITALIAN = [
    "Sabato vi aspettiamo in bottega! Portate i ferri, il tè lo offriamo noi",
    "Nuovo orario da lunedì: siamo aperti dalle 9 alle 19, anche a pranzo. Passate a trovarci 👋",
    "Oggi la tosatura all'alba, domani si lava la lana. Chi vuole vedere come si fa è il benvenuto #lana",
    "Abbiamo finito le scorte di miele di castagno, ma torna a ottobre. Grazie a tutti per la pazienza!",
    "Che ne dite di una passeggiata sul Pasubio questo weekend? Il meteo dice sole ☀️ @amicidelpasubio",
    "Il laboratorio di giovedì è pieno. Apriamo una seconda data, iscrizioni qui: https://example.it/corsi",
    "Ci avete chiesto se spediamo all'estero: sì, in tutta Europa, con tempi di consegna di 5-7 giorni.",
    "Dietro ogni maglione ci sono quattro ore di lavoro e un bel po' di pazienza 🧶 #fattoamano",
    "La cena nel brolo è confermata per sabato: tavolata unica, menù di stagione e vini della Riviera.",
    "Grazie a chi è passato alla fiera! Non ce lo aspettavamo, siamo rimasti senza cataloghi in due ore.",
    "Tallone rinforzato, punta cucita a mano, taglie dalla 35 alla 47. Li trovate in negozio da domani.",
]

ENGLISH = [
    "We're closed on Monday for the bank holiday, back on Tuesday at 9. Have a lovely long weekend!",
    "Three things we learned from running our first webinar: start on time, keep it short, answer questions.",
    "If your approvals are stuck in someone's inbox, this checklist is for you 👇 https://example.com/guide",
    "Big thanks to everyone who came to the open day. The orchard has never been so busy #VillaMoranda",
    "New in the shop: socks that don't fall down when you walk. Yes, really. Sizes 35 to 47.",
    "Our team will be at the conference in Manchester next week. Come and say hello at stand 42 @financeexpo",
    "What is the one report your CFO asks for every month that nobody else reads? Asking for a friend.",
    "The boat to Venice leaves at 8:40 every morning. Ask at the desk and we'll save you a seat 🚤",
    "Honest answer: yes, the wool is a bit itchy at first. It softens after the first wash.",
    "We have just published the guide to e-invoicing for the year ahead. It is free, and there is no form to fill in.",
]


@pytest.mark.parametrize("text", ITALIAN)
def test_italian_posts(text):
    assert language.detect(text) == "it"


@pytest.mark.parametrize("text", ENGLISH)
def test_english_posts(text):
    assert language.detect(text) == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Hoy abrimos la tienda a las diez y tenemos café para todos los que vengan.", "es"),
     ("Nous sommes ouverts tous les jours de la semaine, avec une pause le dimanche.", "fr"),
     ("Wir haben heute geöffnet und freuen uns auf euren Besuch in der Werkstatt.", "de"),
     ("Estamos abertos todos os dias e o café é por nossa conta, não se esqueça.", "pt")],
)
def test_other_languages_when_clear(text, expected):
    assert language.detect(text) == expected


@pytest.mark.parametrize(
    "text",
    ["ok 👍", "", "   ", "#BottegaPasubio #lanaitaliana #Schio", "https://example.com/a-very-long-link",
     "@paycairn @villamoranda 🙏🙏", "Grazie!", "Thanks!", "12/10 ore 9.30", "Venezia 🚤 Mira"],
)
def test_none_when_too_short_or_no_words(text):
    assert language.detect(text) is None


def test_ignores_urls_mentions_hashtags_and_emoji():
    assert language.words("Leggete qui https://the-best.com/and-the-rest @the_people #thebest 🎉 ok") == [
        "leggete", "qui", "ok"]
    # English-looking hashtags, mentions and links do not turn an Italian post into English.
    text = "Vi aspettiamo per la festa della lana #TheWoolShow @the_wool_people https://thewoolshow.com/the-day"
    assert language.detect(text) == "it"


def test_shared_function_words_do_not_decide_alone():
    # "in", "a", "e" exist in several languages; with nothing else the guess is withheld.
    assert language.detect("in a e in a e") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    # Short posts of three or four words with no function word: the function-word guesser this
    # module replaced answered None on all of them.
    [("Buongiorno carissimi amici!", "it"), ("Complimenti ragazzi, bellissima giornata", "it"),
     ("Happy birthday, grandma! 🎂", "en"), ("Thanks everyone, amazing weekend", "en")],
)
def test_short_posts_without_function_words(text, expected):
    assert language.detect(text) == expected


def test_detector_is_built_once_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    language._detector = None
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(language.detect, ITALIAN * 2))
    assert set(found) == {"it"}
    first = language._detector
    assert first is not None
    language.detect(ENGLISH[0])
    assert language._detector is first


def test_nfd_text_is_detected_like_nfc():
    nfc = "Perché la lana è più calda? Perché trattiene l'aria, anche quando è umida."
    nfd = "Perche\u0301 la lana e\u0300 piu\u0300 calda? Perche\u0301 trattiene l'aria, anche quando e\u0300 umida."
    assert language.detect(nfc) == language.detect(nfd) == "it"


def test_demo_posts_are_detected_as_their_declared_language():
    rows = [row for path in sorted(DEMO_BRANDS.glob("*/posts.csv"))
            for row in csv.DictReader(path.open(encoding="utf-8"))]
    assert rows
    wrong = [(row["language"], language.detect(row["text"]), row["text"][:60]) for row in rows
             if language.detect(row["text"]) != row["language"]]
    assert wrong == []
