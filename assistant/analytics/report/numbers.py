"""The report's numbers, dates and durations in its language (`assistant.i18n`, Babel); "—" for no value."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from assistant import i18n


def fmt_int(value: float | None, language: str) -> str:
    return "—" if value is None else i18n.number(round(value), language)


def fmt_pct(value: float | None, language: str, digits: int = 2) -> str:
    return "—" if value is None else i18n.percent(value, language, digits=digits)


def fmt_num(value: float | None, language: str, digits: int = 1) -> str:
    return "—" if value is None else i18n.number(value, language, digits=digits)


def fmt_date(value: datetime | None, language: str, tz: str | None = None) -> str:
    if value is None:
        return "—"
    return i18n.day((value.astimezone(ZoneInfo(tz)) if tz else value).date(), language)


def fmt_duration(seconds: float | None, language: str) -> str:
    return "—" if seconds is None else i18n.duration(seconds, language)
