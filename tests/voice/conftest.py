"""Fixtures of the voice tests: two clearly different writing styles and a small background,
all written here (templates filled with a fixed seed), and a way to put posts in a brand's record.

- `ledger_posts`: a measured, formal English style (a B2B finance brand): long sentences, colons,
  figures, no emoji, "Read the full analysis" endings.
- `festa_posts`: a loud Italian style (a village fair): exclamation marks, emoji, hashtags.
- `small_background`: generic posts of other kinds (news, shops, weather), in both languages,
  used instead of the shipped corpus where a test only needs *a* background and speed.
"""

from __future__ import annotations

import random

import pytest

from assistant.knowledge.parsing import KnowledgeDoc, content_id
from assistant.voice import background as background_module
from assistant.voice.background import parse_parts

LEDGER = (
    "Our {quarter} review of {n} supplier invoices points to one pattern: approvals slow down when the purchase "
    "order is missing. Read the full analysis on our blog.",
    "Working capital is a discipline, not a project: finance teams that reconcile weekly close {n}% faster. "
    "Read the full analysis on our blog.",
    "We spoke with {n} controllers about {topic}. Their advice, in short: automate the matching, keep the "
    "judgement. Read the full analysis on our blog.",
    "A note on {topic}: the regulation changes on {day} and affects every invoice above {n} euros. Our summary "
    "covers what to check before then.",
    "Three questions to ask before you change your {topic} process: who approves, how long it takes, and what "
    "it costs when it fails. Our guide answers each one.",
)
LEDGER_TOPICS = ("e-invoicing", "payment terms", "supplier onboarding", "cash forecasting", "audit trails",
                 "expense policy", "dunning", "VAT reporting")
FESTA = (
    "Ciao a tuttiii!!! 🎉🎉 Stasera {cosa} in piazza a {paese}, vi aspettiamo numerosi!! #{tag} #festa",
    "Che serata ragazzi!!! 😍 Grazie a tutti per {cosa}, siete stati fantastici!! Ci vediamo domani 🍷 #{tag}",
    "ULTIMA ORA!!! 📣 {cosa} spostato a domenica per la pioggia ☔ non mancate!!! #{tag} #{paese}",
    "Pronti per {cosa}??? 🥳 Porta gli amici, porta la nonna, porta tutti!!! #{tag} #estate",
    "Ragazzi che emozione!! ❤️ {cosa} a {paese} è stato un successo, alla prossima!!! #{tag}",
)
FESTA_THINGS = ("la sagra della polenta", "il concerto della banda", "la tombolata", "la corsa dei carretti",
                "il torneo di bocce", "la cena sotto le stelle", "la gara di torte", "il ballo liscio")
BACKGROUND = (
    "The city council approved the new cycling lane on {street}; works start in {month} and last six weeks.",
    "Il comune informa: da {month} cambia l'orario della raccolta differenziata in via {street}.",
    "New in store this week: linen shirts in four colours. Sizes from S to XXL, while stocks last.",
    "Previsioni per {month}: temperature in calo e piogge sparse al nord, sole al sud.",
    "Our opening hours change in {month}: Monday to Friday 9-18, Saturday 9-13.",
    "Nuovi arrivi in negozio: borse in pelle fatte a mano, disponibili anche online.",
    "Traffic update: {street} is closed between 10 and 14 because of a market.",
    "La biblioteca di via {street} resta chiusa per lavori fino a fine {month}.",
    "Thank you to everyone who joined our workshop on {street} last night. Photos soon.",
    "Sconti del 20% su tutta la linea estiva fino a fine {month}.",
)
STREETS = ("Via Roma", "High Street", "Corso Italia", "Mill Lane", "Viale Trento", "Church Road", "Piazza Duomo")
MONTHS = ("March", "aprile", "June", "settembre", "October", "dicembre")


def _distinct(make, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        out[make(rng)] = None
    return list(out)


def ledger_posts(n: int, seed: int = 1) -> list[str]:
    return _distinct(lambda rng: rng.choice(LEDGER).format(
        quarter=rng.choice(("Q1", "Q2", "Q3", "Q4")), n=rng.randint(12, 980), topic=rng.choice(LEDGER_TOPICS),
        day=f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"), n, seed)


def festa_posts(n: int, seed: int = 2) -> list[str]:
    return _distinct(lambda rng: rng.choice(FESTA).format(
        cosa=rng.choice(FESTA_THINGS), paese=rng.choice(("Arsiè", "Fonzaso", "Lamon", "Feltre", "Seren")),
        tag=rng.choice(("sagra", "paese", "estate2026", "festa"))), n, seed)


def background_posts(n: int, seed: int = 3) -> list[str]:
    return _distinct(lambda rng: rng.choice(BACKGROUND).format(street=rng.choice(STREETS), month=rng.choice(MONTHS))
                     + rng.choice(("", " Info in bio.", " More soon.", " Seguiteci.", " Grazie!", " See you there.")),
                     n, seed)


def post_docs(slug: str, texts: list[str]) -> list[KnowledgeDoc]:
    return [KnowledgeDoc(id=content_id(slug, "post", "x", " ".join(t.split())), kind="post", text=t,
                         metadata={"brand": slug, "kind": "post", "platform": "x", "source": "test.csv"})
            for t in texts]


def add_posts(services, slug: str, texts: list[str]) -> None:
    """Posts straight into the brand's knowledge record (what ingestion writes first)."""
    services.knowledge.record.write(slug, add=post_docs(slug, texts))


@pytest.fixture
def small_background(monkeypatch):
    """A 150-post background written here instead of the shipped corpus (fast models)."""
    import json

    lines = "\n".join(json.dumps({"lang": "", "platform": "x", "sector": "test", "tone": "plain", "text": t})
                      for t in background_posts(150))
    corpus = parse_parts([("test.jsonl", lines)])
    monkeypatch.setattr("assistant.voice.store.load_background", lambda: corpus)
    return corpus


@pytest.fixture(autouse=True)
def _fresh_shipped_corpus():
    """Each test sees the shipped corpus as it is on disk now (other part files may be added)."""
    background_module.load_background.cache_clear()
    yield
