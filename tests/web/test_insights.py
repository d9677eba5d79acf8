"""The Insights page with AppTest: charts with platform labels and localised titles, durations in
a reader's unit, and the report download in both versions (the client one without internal figures),
for a month whose only figures are the brand library's."""

from __future__ import annotations

import json
from datetime import date, timedelta

from assistant.services import Services
from tests.analytics.test_report import pdf_text
from tests.web.test_app import app, draft_and_send  # noqa: F401  (the signed-in app fixture)

RAW_FIELDS = {"platform", "week", "metric", "value", "approval_rate", "ai_text_kept", "median_seconds",
              "median_hours", "provider", "model", "items", "cost", "cost_usd", "brand", "month"}


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def encoding_titles(spec: dict) -> list[str]:
    out = []
    for channel in spec.get("encoding", {}).values():
        for c in channel if isinstance(channel, list) else [channel]:
            if isinstance(c, dict) and "title" in c:
                out.append(c["title"])
    return out


def test_charts_have_labels_localised_titles_and_a_duration_unit(app):  # noqa: F811
    draft_and_send(app)
    Services().review.approve(1, by="Marco")
    app.switch_page("views/insights.py").run()
    assert not app.exception, app.exception
    shown = specs(app)
    assert len(shown) == 5
    for spec in shown:
        titles = encoding_titles(spec)
        assert titles and not set(titles) & RAW_FIELDS, titles
        assert spec["config"]["locale"]["number"]["decimal"] == ","
    by_platform, _, waits, _, cost = shown
    assert by_platform["encoding"]["x"]["title"] == "Piattaforma"
    assert by_platform["encoding"]["color"]["title"] == "Misura"
    assert waits["encoding"]["y"]["title"] == "Minuti (mediana)"  # approved within seconds: not "0.00" hours
    assert cost["encoding"]["color"]["title"] == "Brand"
    tables = [df for df in (d.value for d in app.dataframe)]
    assert "Piattaforma" in tables[0].columns and "approval_rate" not in tables[0].columns
    assert set(tables[0]["Piattaforma"]) == {"Instagram"}  # the label, not the slug
    assert tables[2]["Mediana"].iloc[0].endswith(("secondi", "secondo", "minuto", "minuti"))

    app.sidebar.radio(key="ui_lang").set_value("en").run()
    english = specs(app)
    assert english[0]["encoding"]["x"]["title"] == "Platform" and english[0]["config"]["locale"]["number"]["decimal"] == "."


def test_client_report_of_a_month_with_only_library_figures(app, brands_dir):  # noqa: F811
    last = (date.today().replace(day=1) - timedelta(days=1)).replace(day=10)
    with (brands_dir / "bottega-pasubio" / "posts.csv").open("a", encoding="utf-8") as posts:  # two posts last month
        posts.write(f"{last.isoformat()}T18:30:00+01:00,instagram,it,Nuovi gomitoli in bottega,120,8,3,2400,\n"
                    f"{last.isoformat()}T09:00:00+01:00,facebook,it,Orari di dicembre in negozio,40,2,1,900,\n")
    svc = Services()
    svc.knowledge.index_brand(svc.brand("bottega-pasubio"))
    app.switch_page("views/insights.py").run()
    assert not app.exception, app.exception
    assert list(app.radio(key="rep_audience").options) == ["Interna (con costi IA)", "Per il cliente"]
    app.selectbox(key="rep_month").set_value(f"{last:%Y-%m}").run()
    app.radio(key="rep_audience").set_value("client").run()
    app.button(key="rep_build").click().run()
    assert not app.exception, app.exception
    name, body, mime = app.session_state["rep_file"]
    assert name.endswith("-client-it.pdf") and mime == "application/pdf"
    text = pdf_text(body)
    assert "Nessun dato di performance" not in text and "post dell'archivio" in text
    for internal in ("IA", "Token", "Costo", "Revisione", "Versione interna"):
        assert internal not in text, internal

    app.radio(key="rep_audience").set_value("internal").run()
    app.radio(key="rep_fmt").set_value("html").run()
    app.button(key="rep_build").click().run()
    name, body, _ = app.session_state["rep_file"]
    assert name.endswith("-it.html") and "-client" not in name
    assert "Versione interna" in body.decode("utf-8") and "Uso dell&#39;IA e costi" in body.decode("utf-8")


def test_best_time_hints_name_platforms_by_their_label(app):  # noqa: F811
    svc = Services()
    svc.knowledge.index_brand(svc.brand("bottega-pasubio"))  # demo posts: too few on TikTok and Facebook for a hint
    app.switch_page("views/calendar.py").run()
    assert not app.exception, app.exception
    captions = [c.value for c in app.caption]
    assert any(c.startswith("TikTok: solo") for c in captions), captions
    assert not any(c.startswith(("tiktok:", "facebook:")) for c in captions), captions
