"""Charts of the Insights page and the report, as Altair specs: platforms by their display label
(the platform rules' `label`), legends and axis titles from the catalogues, numbers in the reader's
format (Vega-Lite `config.locale`: "4,5%" in Italian), durations in the unit the data's scale calls
for (minutes, hours or days: `duration_unit`), each bar's exact duration in its tooltip.

Pure: rows in (the dicts of `analytics.insights`), a chart out; the page shows it with
`st.altair_chart`, the report renders it to PNG with vl-convert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

from assistant import i18n
from assistant.platforms.rules import label as platform_label

# d3-format locales (the number part of Vega's `config.locale`), as vl-convert's it-IT and en-US.
NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "it": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€", ""]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
}
# (unit, seconds): the largest unit in which the biggest value is at least 1.5 of it.
UNITS = (("minutes", 60), ("hours", 3600), ("days", 86400))
RATES = ("approval_rate", "ai_text_kept")
BOTTOM = alt.Legend(orient="bottom")
FLAT = alt.Axis(labelAngle=0)


def localize(chart: Any, lang: str, font: str | None = None) -> Any:
    """`chart` with the language's number format (and a font, for offline rendering)."""
    number = NUMBER_LOCALES.get(lang, NUMBER_LOCALES["en"])
    extra = {"font": font} if font else {}
    return chart.configure(locale=alt.Locale(number=alt.NumberLocale(**number)), **extra)


def duration_unit(seconds: Iterable[float]) -> tuple[str, int]:
    """The unit for durations on one axis: minutes up to 1.5 hours, hours up to 1.5 days, else days."""
    top = max((s for s in seconds if s is not None), default=0)
    unit = UNITS[0]
    for name, size in UNITS[1:]:
        if top >= 1.5 * size:
            unit = (name, size)
    return unit


def week_label(week: str, lang: str) -> str:
    """"2026-W10" -> "settimana del 2 mar 2026" (the ISO week's Monday)."""
    year, number = week.split("-W")
    return i18n.t("insights.week_of", lang, date=i18n.day(date.fromisocalendar(int(year), int(number), 1), lang))


def platforms(rows: Sequence[Mapping[str, Any]], rules: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows with each `platform` slug replaced by its display label ("linkedin" -> "LinkedIn")."""
    return [{**r, "platform": platform_label(r["platform"], dict(rules) if rules is not None else None)}
            for r in rows]


def rates(rows: Sequence[Mapping[str, Any]], by: str, lang: str, *, line: bool = False) -> Any:
    """Approval rate and AI text kept per `by` ("platform" or "week"), two series with a localised legend."""
    long = [{by: r[by], "metric": i18n.t(f"insights.{m}", lang), "value": r[m]} for r in rows for m in RATES]
    by_title, share, metric = (i18n.t(f"insights.axis.{k}", lang) for k in (by, "share", "metric"))
    x = alt.X(f"{by}:N", title=by_title, axis=FLAT, sort=None)
    y = alt.Y("value:Q", title=share, axis=alt.Axis(format="%"))
    color = alt.Color("metric:N", title=metric, legend=BOTTOM)
    tooltip = [alt.Tooltip(f"{by}:N", title=by_title), alt.Tooltip("metric:N", title=metric),
               alt.Tooltip("value:Q", title=share, format=".0%")]
    chart = alt.Chart(pd.DataFrame(long))
    if line:
        return localize(chart.mark_line(point=True).encode(x=x, y=y, color=color, tooltip=tooltip), lang)
    return localize(chart.mark_bar().encode(x=x, xOffset=alt.XOffset("metric:N", sort=None), y=y, color=color,
                                            tooltip=tooltip), lang)


def approval_time(rows: Sequence[Mapping[str, Any]], lang: str) -> Any:
    """Median time to approval per platform, in the unit the largest median calls for."""
    unit, size = duration_unit(r["median_seconds"] for r in rows)
    frame = pd.DataFrame([{"platform": r["platform"], "value": r["median_seconds"] / size, "approved": r["approved"],
                           "shown": i18n.duration(r["median_seconds"], lang)} for r in rows])
    x_title, y_title = i18n.t("insights.axis.platform", lang), i18n.t(f"insights.unit.{unit}", lang)
    return localize(alt.Chart(frame).mark_bar().encode(
        x=alt.X("platform:N", title=x_title, axis=FLAT, sort=None),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",.1~f")),
        tooltip=[alt.Tooltip("platform:N", title=x_title),
                 alt.Tooltip("shown:N", title=i18n.t("insights.median", lang)),
                 alt.Tooltip("approved:Q", title=i18n.t("insights.approved", lang))]), lang)


def by_model(rows: Sequence[Mapping[str, Any]], lang: str) -> Any:
    frame = pd.DataFrame([{"model": r["model"] or "—", "provider": r["provider"] or "—", "items": r["items"]}
                          for r in rows])
    provider = i18n.t("insights.axis.provider", lang)
    return localize(alt.Chart(frame).mark_bar().encode(
        x=alt.X("items:Q", title=i18n.t("insights.drafts", lang)),
        y=alt.Y("model:N", title=i18n.t("insights.axis.model", lang)),
        color=alt.Color("provider:N", title=provider, legend=BOTTOM),
        tooltip=[alt.Tooltip("provider:N", title=provider), alt.Tooltip("model:N", title=i18n.t("insights.axis.model", lang)),
                 alt.Tooltip("items:Q", title=i18n.t("insights.drafts", lang))]), lang)


def cost(rows: Sequence[Mapping[str, Any]], lang: str, brands: Mapping[str, str]) -> Any:
    """Token cost per month, one colour per brand (by its name)."""
    frame = pd.DataFrame([{"month": r["month"], "brand": brands.get(r["brand"], r["brand"]), "cost": r["cost_usd"]}
                          for r in rows])
    y_title, brand = i18n.t("insights.axis.cost", lang), i18n.t("insights.axis.brand", lang)
    return localize(alt.Chart(frame).mark_bar().encode(
        x=alt.X("month:N", title=i18n.t("insights.axis.month", lang), axis=FLAT),
        y=alt.Y("cost:Q", title=y_title, axis=alt.Axis(format=",.4f")),
        color=alt.Color("brand:N", title=brand, legend=BOTTOM),
        tooltip=[alt.Tooltip("brand:N", title=brand), alt.Tooltip("month:N", title=i18n.t("insights.axis.month", lang)),
                 alt.Tooltip("cost:Q", title=y_title, format=",.4f")]), lang)


def rate_bars(points: Sequence[tuple[str, float]], title: str, x_title: str, lang: str, font: str | None = None) -> Any:
    """The report's horizontal bars: one (label, rate) per bar, the rate as a percentage."""
    frame = pd.DataFrame(points, columns=["label", "rate"])
    return localize(alt.Chart(frame, title=title, width=420, height=max(60, 36 * len(points)))
                    .mark_bar(color="#3b6e8f")
                    .encode(y=alt.Y("label:N", title=None, sort=None),
                            x=alt.X("rate:Q", title=x_title, axis=alt.Axis(format=".1~%"))), lang, font)
