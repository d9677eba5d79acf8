"""UI strings: one catalogue per language in `assistant/locales/`; page code only looks keys up."""

from __future__ import annotations

from assistant.locales import en, it

LANGUAGES = {"it": "Italiano", "en": "English"}
CATALOGUE: dict[str, dict[str, str]] = {"it": it.STRINGS, "en": en.STRINGS}


def t(key: str, lang: str = "it", **values: object) -> str:
    """The string for `key` in `lang` (falling back to English, then to the key itself)."""
    text = CATALOGUE.get(lang, {}).get(key) or CATALOGUE["en"].get(key) or key
    return text.format(**values) if values else text
