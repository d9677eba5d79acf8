"""The monthly report: the numbers in the HTML are the database's; the PDF renders; every source
of figures counts (library posts, imported rows, published items), each post once; the client
version holds no internal figure.

A sample PDF and its first page as PNG are saved under test-artifacts/report/ (git-ignored).
"""

from __future__ import annotations

import re
import shutil

from datetime import datetime, timezone

import pytest

from assistant.errors import ConfigError

from assistant.analytics import performance as perf
from assistant.errors import InvalidRequest
from assistant.analytics.report import ReportData, build_report, fmt_int, fmt_pct, render_html, render_pdf
from tests.conftest import REPO
from tests.analytics.test_performance import BRAND, NOW, import_all, perf_services  # noqa: F401

ARTIFACTS = REPO / "test-artifacts" / "report"
MARCH = (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc))


@pytest.fixture
def report_services(perf_services):  # noqa: F811
    import_all(perf_services)
    return perf_services


def _expected(services, language: str) -> dict[str, str]:
    """The figures the report must show, computed here from the performance table."""
    rows = perf.latest(services.review, BRAND, start=MARCH[0], end=MARCH[1])
    by_platform: dict[str, list[dict]] = {}
    for r in rows:
        by_platform.setdefault(r["platform"], []).append(r)
    out = {}
    for platform, group in by_platform.items():
        engagement = sum(r["engagement"] for r in group)
        denominator = sum(r[r["rate_basis"]] for r in group)
        out[platform] = fmt_pct(engagement / denominator, language)
    out["impressions"] = fmt_int(sum(r["impressions"] or 0 for r in rows), language)
    out["total_rate"] = fmt_pct(sum(r["engagement"] for r in rows) / sum(r["impressions"] for r in rows), language)
    out["posts"] = str(len(rows))
    return out


def test_html_shows_the_database_figures_in_italian(report_services):
    svc = report_services
    data = build_report(svc, BRAND, "2026-03", "it", now=NOW)
    html = render_html(data)
    expected = _expected(svc, "it")
    # hand-checked against the fixtures: 7 posts dated March, 611 engagements over 14,300 impressions
    assert expected == {"instagram": "4,21%", "facebook": "4,47%", "linkedin": "4,30%", "x": "4,00%",
                        "impressions": "14.300", "total_rate": "4,27%", "posts": "7"}
    assert "Report mensile: Filanda" in html and "marzo 2026" in html and "Generato il 1 apr 2026" in html
    assert "Versione interna" in html
    assert "Pubblicato nel mese (4)" in html
    for url in ("https://www.instagram.com/p/QQQ222/", "https://www.facebook.com/filanda/posts/2002",
                "https://x.com/filanda/status/1900000000000000001"):
        assert f'href="{url}"' in html
    for platform, label in (("instagram", "Instagram"), ("facebook", "Facebook"), ("linkedin", "LinkedIn"), ("x", "X")):
        assert f"<td>{label}</td>" in html and f'<td class="n">{expected[platform]}</td>' in html
        assert f"<td>{platform}</td>" not in html  # display labels, never slugs
    total_row = html.split("<td>Totale</td>", 1)[1].split("</tr>", 1)[0]
    assert [c.split("<")[0] for c in total_row.split('<td class="n">')[1:]] == [
        "7", "14.300", "8.250", "611", "4,27%", "4,30%"]
    assert "3 post misurati non sono collegati" in html
    assert "Fonti: 4 post pubblicati con Copydesk, 3 righe importate." in html
    # top posts: the best Instagram post of March is B (5,00%), with the sample size
    assert "Instagram (campione: 3 post)" in html and '<td class="n">5,00%</td>' in html
    # review: 6 drafts in March, 5 decided, 4 approved, 1 rejected: 80,0%
    review = html.split("Revisione e interventi umani", 1)[1]
    assert "<td>Bozze create</td><td class=\"n\">6</td>" in review
    assert "<td>Tasso di approvazione</td><td class=\"n\">80,0%</td><td class=\"n\">80,0%</td>" in review
    assert "<td>Approvate senza modifiche</td><td class=\"n\">—</td><td class=\"n\">3</td>" in review
    assert "<td>Tempo all&#39;approvazione (mediana)</td><td class=\"n\">60 minuti</td>" in review  # not "1,0" hours
    # IA usage: 6 drafts of fake/fake-1, 812 + 64 tokens and $0.00042 each
    ai = html.split("Uso dell&#39;IA e costi", 1)[1].replace("\n", "")
    assert ('<td>fake</td><td>fake-1</td><td class="n">6</td><td class="n">4.872</td><td class="n">384</td>'
            '<td class="n">0,0025</td>') in ai
    assert html.count('<img alt="') == 2 and "data:image/png;base64,iVBORw0KGgo" in html
    assert "IA e scritti da zero" in html and "Con l&#39;assistente IA" in html
    assert " AI" not in html.replace("\n", " ")  # "IA" throughout in Italian


def test_english_report_and_escaping(report_services):
    data = build_report(report_services, BRAND, "2026-03", "en", now=NOW)
    html = render_html(data)
    expected = _expected(report_services, "en")
    assert "Monthly report: Filanda" in html and "March 2026" in html and "Published this month (4)" in html
    assert expected["impressions"] == "14,300" and f'<td class="n">{expected["total_rate"]}</td>' in html
    assert "<td>Approval rate</td><td class=\"n\">80.0%</td>" in html
    assert "Generated on Apr 1, 2026" in html and "AI usage and cost" in html and "<td>LinkedIn</td>" in html
    assert "Sources: 4 posts published with Copydesk, 3 imported rows." in html
    data.published[0]["text"] = "<script>alert('x')</script>"
    data.brand_name = "Filanda & Figli"
    escaped = render_html(data)
    assert "<script>alert" not in escaped and "&lt;script&gt;" in escaped and "Filanda &amp; Figli" in escaped


def test_empty_month_and_bad_arguments(report_services):
    html = render_html(build_report(report_services, BRAND, "2025-06", "it", now=NOW))
    assert "Nessun post della coda" in html and "Nessun dato di performance" in html and "Nessuna bozza" in html
    with pytest.raises(InvalidRequest, match="YYYY-MM"):
        build_report(report_services, BRAND, "03/2026")
    with pytest.raises(InvalidRequest, match="language"):
        build_report(report_services, BRAND, "2026-03", "fr")


def test_pdf_renders_with_pages_and_ink(report_services):
    import numpy as np
    import pypdfium2 as pdfium

    data = build_report(report_services, BRAND, "2026-03", "it", now=NOW)
    data.published[0]["text"] += " 🌿 ✓ àèìòù €"  # emoji DejaVu lacks are dropped, not crashed on
    pdf_bytes = render_pdf(data)
    assert pdf_bytes.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "sample-report-it.pdf").write_bytes(pdf_bytes)
    (ARTIFACTS / "sample-report-en.pdf").write_bytes(render_pdf(build_report(report_services, BRAND, "2026-03", "en",
                                                                             now=NOW)))
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        assert len(doc) >= 1
        page = doc[0]
        image = page.render(scale=1.5).to_pil()
        image.save(ARTIFACTS / "sample-report-it-page1.png")
        pixels = np.asarray(image.convert("L"))
        assert (pixels < 200).mean() > 0.01  # text, tables and charts: clearly not a blank page
        text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    for figure in ("Report mensile: Filanda", "14.300", "4,27%", "80,0%", "àèìòù €", "0,0025"):
        assert figure in text


def test_render_without_data_is_not_empty():
    data = ReportData(brand="b", brand_name="B", month="2026-01", language="en",
                      generated_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert "No post from the review queue" in render_html(data)
    assert render_pdf(data).startswith(b"%PDF")


def test_pdf_font_comes_from_the_setting_and_a_missing_one_is_a_clear_error(report_services, tmp_path):
    from assistant.analytics.report import font_files
    from assistant.analytics.report.pdf import DEBIAN_FONT

    data = build_report(report_services, BRAND, "2026-03", "it", now=NOW)
    data.published[0]["text"] = "Novità «lana» 🌿 — 49 €"
    with pytest.raises(ConfigError, match="ASSISTANT_PDF_FONT=.*does not exist.*fonts-dejavu-core"):
        render_pdf(data, tmp_path / "missing.ttf")
    if DEBIAN_FONT.is_file():  # a font given by the setting is used (here: a copy of DejaVu)
        shutil.copy(DEBIAN_FONT, tmp_path / "Brand.ttf")
        assert font_files(tmp_path / "Brand.ttf") == (tmp_path / "Brand.ttf", tmp_path / "Brand.ttf")
        assert render_pdf(data, tmp_path / "Brand.ttf").startswith(b"%PDF")


# --- every source, each post once ----------------------------------------------------------------

def pdf_text(pdf_bytes: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def without_images(html: str) -> str:
    """The HTML without its base64 charts (whose letters could spell anything)."""
    assert "data:image/png;base64," in html
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", html)


def test_a_month_with_only_library_figures_is_reported_from_the_library(perf_services):  # noqa: F811
    """No import at all: February's four library posts (brand_posts.csv) carry the figures; their
    engagement is likes + comments + shares over their impressions."""
    data = build_report(perf_services, BRAND, "2026-02", "it", now=NOW)
    html = render_html(data)
    assert "Nessun dato di performance" not in html
    assert "Fonti: 4 post dell&#39;archivio." in html and "righe importate" not in html
    rates = {r["platform"]: (r["posts"], r["engagement"], fmt_pct(r["pooled_rate"], "it")) for r in data.performance}
    assert rates == {"Facebook": (1, 58, "3,87%"), "Instagram": (1, 228, "5,70%"), "LinkedIn": (1, 72, "2,88%"),
                     "X": (1, 20, "2,22%"), None: (4, 378, "4,25%")}  # 40+12+6 / 1500 ...; 378 / 8900
    assert data.top_posts[0]["platform"] == "Facebook" and data.top_posts[0]["text"].startswith("Sabato laboratorio")
    assert "Tasso di engagement per piattaforma" in data.charts
    text = pdf_text(render_pdf(data))
    assert "Fonti: 4 post dell'archivio." in text and "8.900" in text and "4,25%" in text
    assert "Nessun dato di performance" not in text


def test_imported_rows_matched_to_library_posts_count_once(report_services):
    """After the imports, February's four library posts each have an imported row (by URL or by text):
    four posts, with the imports' (later) figures, not eight."""
    data = build_report(report_services, BRAND, "2026-02", "it", now=NOW)
    total = data.performance[-1]
    assert (total["posts"], total["impressions"]) == (4, 2500 + 7000 + 3200 + 1200)
    html = render_html(data)
    assert "Fonti: 4 post dell&#39;archivio." in html
    assert "4 righe importate riguardano post già contati" in html
    instagram = next(r for r in data.performance if r["platform"] == "Instagram")
    assert (instagram["posts"], instagram["engagement"]) == (1, 420 + 25 + 30)  # the export's, not the library's 228
    # March: four published items (their rows) and three rows matched to nothing; January: one post
    march = build_report(report_services, BRAND, "2026-03", "en", now=NOW)
    assert march.sources == "Sources: 4 posts published with Copydesk, 3 imported rows."
    january = build_report(report_services, BRAND, "2026-01", "en", now=NOW)
    assert january.sources == "Sources: 1 library post." and january.performance[-1]["posts"] == 1


def test_the_month_is_the_brand_s_month():
    from assistant.analytics.report import month_bounds

    start, end = month_bounds("2026-03", "Europe/Rome")
    assert (start, end) == (datetime(2026, 2, 28, 23, tzinfo=timezone.utc), datetime(2026, 3, 31, 22, tzinfo=timezone.utc))
    assert month_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc))


# --- the client version ---------------------------------------------------------------------------

# What only the internal version shows: IA costs and tokens, the model, review and edit figures,
# the IA/from-scratch comparison, matching diagnostics, the people who reviewed (Ada, Bea).
INTERNAL = {"it": ("Uso dell", "Costo (USD)", "Token", "fake-1", "0,0025", "Revisione e interventi umani",
                   "Parole modificate", "Tasso di approvazione", "Bozze create", "Tempo all", "Con l", "IA",
                   "scritti da zero", "Origine", "non sono collegati", "Versione interna"),
            "en": ("AI usage", "Cost (USD)", "tokens", "fake-1", "0.0025", "Review and human edits",
                   "words edited", "Approval rate", "Drafts created", "Time to approval", "AI-assisted", "AI",
                   "from scratch", "Origin", "not linked", "Internal version")}
PEOPLE = ("Ada", "Bea")


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_client_version_holds_no_internal_figure(report_services, language):
    internal = build_report(report_services, BRAND, "2026-03", language, now=NOW)
    client = build_report(report_services, BRAND, "2026-03", language, now=NOW, audience="client")
    assert (client.review, client.ai_usage, client.origins) == ([], [], [])  # not even gathered
    assert len(client.charts) == 1 and len(internal.charts) == 2  # no IA/from-scratch chart
    internal_html, client_html = without_images(render_html(internal)), without_images(render_html(client))
    internal_pdf, client_pdf = pdf_text(render_pdf(internal)), pdf_text(render_pdf(client))
    for marker in INTERNAL[language]:
        assert marker in internal_html or marker in internal_pdf, marker  # the markers are real
        assert marker not in client_html, marker
        assert marker not in client_pdf, marker
    for name in PEOPLE:
        assert name not in client_html and name not in client_pdf
    # what the client does get: the posts, the figures, the sources
    total = fmt_int(14300, language)
    sources = {"it": "Fonti: 4 post pubblicati con Copydesk, 3 righe importate.",
               "en": "Sources: 4 posts published with Copydesk, 3 imported rows."}[language]
    for shown in (client_html, client_pdf):
        assert total in shown and fmt_pct(611 / 14300, language) in shown and sources in shown
    assert 'href="https://www.instagram.com/p/QQQ222/"' in client_html
    with pytest.raises(InvalidRequest, match="audience"):
        build_report(report_services, BRAND, "2026-03", language, audience="press")


def test_italian_says_ia_never_ai():
    """"IA" throughout the Italian catalogue (the report's strings included); English says "AI"."""
    from assistant.analytics.report import strings
    from assistant.i18n import CATALOGUE

    assert not [(k, v) for k, v in CATALOGUE["it"].items() if re.search(r"\bAI\b", v)]
    assert "IA" in strings("it")["ai_h"] and "IA" in strings("it")["origins"]["ai_assisted"]
    assert "AI" in strings("en")["ai_h"] and "AI" in CATALOGUE["en"]["report.audience.internal"]
