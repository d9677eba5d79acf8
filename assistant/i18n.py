"""UI strings, one catalogue per language. Page code looks strings up here; none are inline."""

from __future__ import annotations

LANGUAGES = {"it": "Italiano", "en": "English"}

CATALOGUE: dict[str, dict[str, str]] = {
    "it": {
        "app.title": "Copydesk",
        "app.tagline": "La scrivania di bozze per chi gestisce i social di più brand.",
        "sidebar.brand": "Brand",
        "sidebar.language": "Lingua dell'interfaccia",
        "sidebar.no_brands": "Nessun brand: aggiungi una cartella con brand.yaml in {path}.",
        "brand.voice": "Voce",
        "brand.audience": "Pubblico",
        "brand.pillars": "Temi",
        "brand.do": "Da fare",
        "brand.dont": "Da evitare",
        "brand.banned": "Parole vietate",
        "brand.hashtags": "Hashtag",
        "brand.platforms": "Piattaforme",
        "brand.indexed": "{posts} post e {chunks} passaggi delle linee guida indicizzati",
        "search.header": "Cerca nella base di conoscenza",
        "search.help": "Quello che il modello vedrà: passaggi delle linee guida e post passati più simili.",
        "search.placeholder": "es. laboratorio di maglia per principianti",
        "search.kind": "Tipo",
        "search.kind.all": "Tutto",
        "search.kind.post": "Post",
        "search.kind.guideline": "Linee guida",
        "search.none": "Nessun risultato: il brand è indicizzato? Esegui `assistant ingest {slug}`.",
        "search.score": "punteggio {score:.3f}",
        "search.engagement": "interazioni {value}",
        "error.prefix": "Qualcosa non va: {message}",
    },
    "en": {
        "app.title": "Copydesk",
        "app.tagline": "The drafting desk for people who run social media for several brands.",
        "sidebar.brand": "Brand",
        "sidebar.language": "Interface language",
        "sidebar.no_brands": "No brands: add a folder with brand.yaml under {path}.",
        "brand.voice": "Voice",
        "brand.audience": "Audience",
        "brand.pillars": "Pillars",
        "brand.do": "Do",
        "brand.dont": "Don't",
        "brand.banned": "Banned words",
        "brand.hashtags": "Hashtags",
        "brand.platforms": "Platforms",
        "brand.indexed": "{posts} posts and {chunks} guideline passages indexed",
        "search.header": "Search the knowledge base",
        "search.help": "What the model will see: the closest guideline passages and past posts.",
        "search.placeholder": "e.g. beginner knitting workshop",
        "search.kind": "Kind",
        "search.kind.all": "All",
        "search.kind.post": "Posts",
        "search.kind.guideline": "Guidelines",
        "search.none": "Nothing found: is the brand indexed? Run `assistant ingest {slug}`.",
        "search.score": "score {score:.3f}",
        "search.engagement": "engagement {value}",
        "error.prefix": "Something went wrong: {message}",
    },
}


def t(key: str, lang: str = "it", **values: object) -> str:
    """The string for `key` in `lang` (falling back to English, then to the key itself)."""
    text = CATALOGUE.get(lang, {}).get(key) or CATALOGUE["en"].get(key) or key
    return text.format(**values) if values else text
