"""The client notice on the Insights page (AppTest): its own download next to the report, in the
report's month and language, and as a section of the client report when asked for."""

from __future__ import annotations

from datetime import date

from assistant.services import Services
from tests.analytics.test_report import pdf_text
from tests.web.test_app import app, draft_and_send  # noqa: F401  (the signed-in app fixture)


def this_month() -> str:
    return date.today().strftime("%Y-%m")


def test_notice_download_in_both_languages(app):  # noqa: F811
    draft_and_send(app)
    Services().review.approve(1, by="Marco")
    app.switch_page("views/insights.py").run()
    assert not app.exception, app.exception
    assert any(s.value == "Informativa per il cliente (uso dell'IA)" for s in app.subheader)
    app.button(key="notice_build").click().run()
    assert not app.exception, app.exception
    name, body, mime = app.session_state["notice_file"]
    assert name == f"bottega-pasubio-{this_month()}-notice-it.pdf" and mime == "application/pdf"
    text = pdf_text(body)
    assert "Informativa sull'uso dell'intelligenza artificiale" in text and "Marco: 1 testo" in text
    assert any(b.label == f"Scarica {name}" for b in app.get("download_button"))
    app.radio(key="rep_lang").set_value("en").run()
    app.radio(key="notice_fmt").set_value("md").run()
    app.button(key="notice_build").click().run()
    name, body, mime = app.session_state["notice_file"]
    assert name.endswith("-notice-en.md") and mime == "text/markdown"
    assert body.decode("utf-8").startswith("# Notice on the use of artificial intelligence")


def test_client_report_with_the_notice(app):  # noqa: F811
    draft_and_send(app)
    Services().review.approve(1, by="Marco")
    app.switch_page("views/insights.py").run()
    assert not [c for c in app.checkbox if c.key == "rep_notice"]  # the internal version: no notice
    app.radio(key="rep_audience").set_value("client").run()
    app.checkbox(key="rep_notice").check().run()
    app.radio(key="rep_fmt").set_value("html").run()
    app.button(key="rep_build").click().run()
    assert not app.exception, app.exception
    name, body, _ = app.session_state["rep_file"]
    html = body.decode("utf-8")
    assert name.endswith("-client-it.html")
    assert "<h2>Informativa sull&#39;uso dell&#39;intelligenza artificiale</h2>" in html and "fake-echo-1" in html
