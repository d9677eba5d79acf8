"""The monthly client report: the numbers in the HTML are the database's; the PDF renders.

A sample PDF and its first page as PNG are saved under test-artifacts/report/ (git-ignored).
"""

from __future__ import annotations

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
    assert "Report mensile: Filanda" in html and "marzo 2026" in html and "Generato il 01/04/2026" in html
    assert "Pubblicato nel mese (4)" in html
    for url in ("https://www.instagram.com/p/QQQ222/", "https://www.facebook.com/filanda/posts/2002",
                "https://x.com/filanda/status/1900000000000000001"):
        assert f'href="{url}"' in html
    for platform in ("instagram", "facebook", "linkedin", "x"):
        assert f"<td>{platform}</td>" in html and f'<td class="n">{expected[platform]}</td>' in html
    total_row = html.split("<td>Totale</td>", 1)[1].split("</tr>", 1)[0]
    assert [c.split("<")[0] for c in total_row.split('<td class="n">')[1:]] == [
        "7", "14.300", "8.250", "611", "4,27%", "4,30%"]
    assert "3 post misurati non sono collegati" in html
    # top posts: the best Instagram post of March is B (5,00%), with the sample size
    assert "instagram (campione: 3 post)" in html and '<td class="n">5,00%</td>' in html
    # review: 6 drafts in March, 5 decided, 4 approved, 1 rejected: 80,0%
    review = html.split("Revisione e interventi umani", 1)[1]
    assert "<td>Bozze create</td><td class=\"n\">6</td>" in review
    assert "<td>Tasso di approvazione</td><td class=\"n\">80,0%</td><td class=\"n\">80,0%</td>" in review
    assert "<td>Approvate senza modifiche</td><td class=\"n\">—</td><td class=\"n\">3</td>" in review
    # AI usage: 6 drafts of fake/fake-1, 812 + 64 tokens and $0.00042 each
    ai = html.split("Uso dell&#39;AI e costi", 1)[1].replace("\n", "")
    assert ('<td>fake</td><td>fake-1</td><td class="n">6</td><td class="n">4.872</td><td class="n">384</td>'
            '<td class="n">0,0025</td>') in ai
    assert html.count('<img alt="') == 2 and "data:image/png;base64,iVBORw0KGgo" in html
    assert "AI e scritti da zero" in html and "Con l&#39;assistente AI" in html


def test_english_report_and_escaping(report_services):
    data = build_report(report_services, BRAND, "2026-03", "en", now=NOW)
    html = render_html(data)
    expected = _expected(report_services, "en")
    assert "Monthly report: Filanda" in html and "March 2026" in html and "Published this month (4)" in html
    assert expected["impressions"] == "14,300" and f'<td class="n">{expected["total_rate"]}</td>' in html
    assert "<td>Approval rate</td><td class=\"n\">80.0%</td>" in html
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
