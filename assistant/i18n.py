"""UI strings: one catalogue per language in `assistant/locales/`; page code only looks keys up.

Plurals, numbers, dates and times follow the language through Babel (CLDR data, shipped in its
wheel): a key with plural forms is written `key.one` / `key.other` (and any other CLDR category
the language has) and chosen by the `n` value, so nobody writes "1 revisioni" again.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from babel import Locale
from babel import dates as _dates
from babel import numbers as _numbers

from assistant.locales import en, it

LANGUAGES = {"it": "Italiano", "en": "English"}
CATALOGUE: dict[str, dict[str, str]] = {"it": it.STRINGS, "en": en.STRINGS}
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else "en")


def _lookup(key: str, lang: str) -> str | None:
    return CATALOGUE.get(lang, {}).get(key) or CATALOGUE["en"].get(key)


def t(key: str, lang: str = "it", **values: object) -> str:
    """The string for `key` in `lang` (falling back to English, then to the key itself).

    With a number `n` among the values and plural forms in the catalogue (`key.one`,
    `key.other`), the form is the language's own (CLDR rules); `n` is shown in the language's
    number format."""
    text = None
    n = values.get("n")
    if isinstance(n, (int, float)) and not isinstance(n, bool):
        form = locale(lang).plural_form(abs(n))
        text = _lookup(f"{key}.{form}", lang) or _lookup(f"{key}.other", lang)
        if text is not None:
            values = {**values, "n": number(n, lang)}
    if text is None:
        text = _lookup(key, lang) or key
    return text.format(**values) if values else text


def number(value: float | int, lang: str = "it", *, digits: int | None = None) -> str:
    """A number as the language writes it: 1.234,5 in Italian, 1,234.5 in English."""
    if digits is None:
        return _numbers.format_decimal(value, locale=locale(lang))
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return _numbers.format_decimal(value, format=pattern, locale=locale(lang))


def percent(share: float, lang: str = "it", *, digits: int = 0) -> str:
    """A share (0.0-1.0) as a percentage: "42%" in English, "42%" in Italian, with the language's decimals."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return _numbers.format_percent(share, format=pattern, locale=locale(lang))


def money(amount: float, lang: str = "it", currency: str = "USD", *, digits: int = 4) -> str:
    """An amount with its currency sign, in the language's format ("0,0012 US$" / "$0.0012")."""
    pattern = "¤#,##0." + "0" * digits if lang == "en" else "#,##0." + "0" * digits + "\u00a0¤"
    return _numbers.format_currency(amount, currency, format=pattern, locale=locale(lang),
                                    currency_digits=False)


def day(value: date, lang: str = "it", *, style: str = "medium") -> str:
    """A calendar day in the language ("14 mar 2026" / "Mar 14, 2026"; style short/medium/long/full)."""
    return _dates.format_date(value, format=style, locale=locale(lang))


def moment(value: datetime, lang: str = "it", *, seconds: bool = False) -> str:
    """A local date and time as the language writes it ("14 mar 2026, 18:30" / "Mar 14, 2026, 6:30 PM")."""
    clock = _dates.format_time(value, format="medium" if seconds else "short", locale=locale(lang))
    return f"{_dates.format_date(value, format='medium', locale=locale(lang))}, {clock}"


def duration(seconds: float, lang: str = "it") -> str:
    """A length of time in the unit a reader expects: "45 secondi", "12 minuti", "3 ore", "2 giorni"."""
    from datetime import timedelta

    return _dates.format_timedelta(timedelta(seconds=seconds), threshold=1.5, locale=locale(lang))
