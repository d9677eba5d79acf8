"""The charts of the Insights page and the report: platform display labels, titles and legends from
the catalogues (never a raw field name), numbers in the reader's format, durations in the unit the
data's scale calls for. Asserted on the Vega-Lite spec and on the SVG vl-convert draws from it."""

from __future__ import annotations

import re

import pytest
import vl_convert as vlc

from assistant.analytics import charts
from assistant.i18n import CATALOGUE

RAW_FIELDS = {"platform", "week", "metric", "value", "approval_rate", "ai_text_kept", "median_seconds",
              "median_hours", "provider", "model", "items", "cost", "cost_usd", "brand", "month", "shown", "approved"}


def titles(spec: dict) -> list[str]:
    """Every axis, legend and tooltip title of a single-view spec."""
    out = []
    for channel in spec["encoding"].values():
        for c in channel if isinstance(channel, list) else [channel]:
            if "title" in c:
                out.append(c["title"])
    return out


def svg_texts(chart) -> list[str]:
    svg = vlc.vegalite_to_svg(chart.to_dict())
    return [re.sub(r"&#39;", "'", t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_duration_unit_follows_the_scale():
    assert charts.duration_unit([]) == ("minutes", 60)
    assert charts.duration_unit([45, 30 * 60, None]) == ("minutes", 60)
    assert charts.duration_unit([2 * 3600, 600]) == ("hours", 3600)
    assert charts.duration_unit([3 * 86400, 3600]) == ("days", 86400)


def test_time_to_approval_in_minutes_not_fractions_of_days():
    rows = charts.platforms([{"platform": "linkedin", "approved": 3, "median_seconds": 30 * 60},
                             {"platform": "instagram", "approved": 1, "median_seconds": 45 * 60}])
    chart = charts.approval_time(rows, "it")
    spec = chart.to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    assert [(v["platform"], v["value"], v["shown"]) for v in values] == [("LinkedIn", 30, "30 minuti"),
                                                                         ("Instagram", 45, "45 minuti")]
    assert spec["encoding"]["y"]["title"] == "Minuti (mediana)" and spec["encoding"]["x"]["title"] == "Piattaforma"
    shown = svg_texts(chart)
    assert "Minuti (mediana)" in shown and "40" in shown and "LinkedIn" in shown
    assert not any(re.fullmatch(r"0[.,]0\d", t) for t in shown)  # no "0.00 0.01" axis


def test_hours_axis_uses_the_italian_decimal_comma():
    rows = [{"platform": "X", "approved": 2, "median_seconds": 2.5 * 3600}]
    shown = svg_texts(charts.approval_time(rows, "it"))
    assert "Ore (mediana)" in shown and "0,5" in shown and "0.5" not in shown
    english = svg_texts(charts.approval_time(rows, "en"))
    assert "Hours (median)" in english and "0.5" in english


@pytest.mark.parametrize("lang", ["it", "en"])
def test_rates_chart_has_platform_labels_and_localised_legend(lang):
    rows = charts.platforms([{"platform": "linkedin", "approval_rate": 0.5, "ai_text_kept": 0.8},
                             {"platform": "x", "approval_rate": 1.0, "ai_text_kept": 0.9}])
    spec = charts.rates(rows, "platform", lang).to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    assert {v["platform"] for v in values} == {"LinkedIn", "X"}
    assert {v["metric"] for v in values} == {CATALOGUE[lang]["insights.approval_rate"],
                                             CATALOGUE[lang]["insights.ai_text_kept"]}
    assert spec["encoding"]["color"]["title"] == CATALOGUE[lang]["insights.axis.metric"]
    assert spec["config"]["locale"]["number"]["decimal"] == ("," if lang == "it" else ".")
    for title in titles(spec):
        assert title in CATALOGUE[lang].values() and title not in RAW_FIELDS, title


def test_every_insights_chart_titles_come_from_the_catalogue():
    weeks = [{"week": charts.week_label("2026-W10", "it"), "approval_rate": 1.0, "ai_text_kept": 0.5}]
    assert weeks[0]["week"] == "settimana del 2 mar 2026"
    built = [charts.rates(weeks, "week", "it", line=True),
             charts.by_model([{"provider": "fake", "model": "fake-1", "items": 3}], "it"),
             charts.cost([{"brand": "bottega-pasubio", "month": "2026-03", "cost_usd": 0.0012}], "it",
                         {"bottega-pasubio": "Bottega Pasubio"})]
    for chart in built:
        spec = chart.to_dict()
        for title in titles(spec):
            assert title in CATALOGUE["it"].values() and title not in RAW_FIELDS, title
    cost = built[2].to_dict()
    assert cost["datasets"][cost["data"]["name"]][0]["brand"] == "Bottega Pasubio"  # the name, not the slug
    assert "0,0012" in svg_texts(built[2])
