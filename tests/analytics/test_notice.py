"""The client notice (law 132/2025 art. 13): the AI systems used for a brand in a month, what for and
where they ran, the human review and its figures, in Italian and English, as HTML, Markdown and PDF;
and as a section of the client report. The figures are checked against the queue's own record.

A sample notice (PDF, both languages) is saved under test-artifacts/notice/ (git-ignored)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from assistant.accounts.permissions import PermissionDenied
from assistant.analytics.notice import build_notice, render, to_markdown
from assistant.analytics.report import build_report, render_html as report_html, render_pdf as report_pdf
from assistant.review import ReviewQueue
from tests.conftest import REPO, write_brand
from tests.factories import Clock, add_people, make_draft

ARTIFACTS = REPO / "test-artifacts" / "notice"
UTC = timezone.utc
NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
SIGNED = " Testo redatto con il supporto dell'IA e rivisto da Bea."
A = "Da lunedì la biblioteca apre anche la sera fino alle 22" + SIGNED
D = "Sabato mattina visita guidata al museo civico, ingresso libero." + SIGNED


@pytest.fixture
def notice_services(services, brands_dir):
    """Brand `comune` (public interest, disclosure always, four eyes) in March 2026: A (OpenAI,
    edited by Cris, approved by Bea), B (the local model, a refinement, rejected), C (a compatible
    server, in review), D (approved unchanged by Marco)."""
    write_brand(brands_dir, "comune", name="Comune di Schio", public_interest=True, ai_disclosure="always",
                four_eyes=True, platforms=["facebook"])
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    q = add_people(ReviewQueue.from_services(services, clock=clock, exemplars=None))
    root = q.people.actor("root")
    q.people.add("vale", name="Vale", grants=[("client", "comune")], by=root)
    services.review = q

    def add(text, **draft):
        clock.advance(3600)
        return q.add_draft(make_draft(text, brand="comune", platform="facebook", created_at=clock.now.isoformat(),
                                      **draft), by="Ada", submit=True)

    a = add(A.replace("fino alle 22", "fino a tardi"), provider="openai", model="gpt-4.1-mini")
    a = q.edit(a.id, A, by="Cris", base_version=a.version)
    q.approve(a.id, by="Bea")
    b = add("Orari nuovi" + SIGNED, provider="local", model="smollm2-135m", parent_id="d0", instruction="più breve")
    q.reject(b.id, by="Bea", note="Fuori tono")
    add("Serata di lettura" + SIGNED, provider="compatible", model="<img src=x>[m](http://evil)")
    q.approve(add(D, provider="openai", model="gpt-4.1-mini").id, by="Marco")
    yield services
    q.close()


def kept_share(q) -> float:
    """Word-weighted share of the AI's words kept, from the queue's own metrics (approved items)."""
    m = q.metrics(brand="comune").overall
    return m.kept_share


def test_notice_in_italian_names_the_systems_the_review_and_its_figures(notice_services):
    svc = notice_services
    data = build_notice(svc, "comune", "2026-03", "it", actor="bea", now=NOW)
    assert {(s["provider"], s["model"], s["where"], s["texts"]) for s in data.systems} == {
        ("openai", "gpt-4.1-mini", "remote", 2), ("local", "smollm2-135m", "local", 1),
        ("compatible", "<img src=x>[m](http://evil)", "remote", 1)}
    assert data.figures | {"kept_share": None} == {"texts": 4, "approved": 2, "rejected": 1, "pending": 1,
                                                  "approvals": 2, "unedited": 1, "kept_share": None,
                                                  "ai_generated": 2, "threshold": 0.5}
    assert data.figures["kept_share"] == pytest.approx(kept_share(svc.review))
    assert data.approvers == [("Bea", 1), ("Marco", 1)]
    html = render(data, "html").decode("utf-8")
    for phrase in ("Informativa sull'uso dell'intelligenza artificiale", "Comune di Schio · marzo 2026 · ai sensi "
                   "dell'art. 13 della legge 132/2025", "Preparata il 1 apr 2026 da Bea",
                   "<td>OpenAI (servizio online)</td><td>gpt-4.1-mini</td>",
                   "Sui server del fornitore: la richiesta viene inviata a loro",
                   "<td>Modello linguistico sui nostri computer</td><td>smollm2-135m</td>",
                   "riscritture su nostra richiesta", "Per Comune di Schio serve una seconda persona",
                   "informa il pubblico su temi di interesse pubblico", "Ogni post dichiara l'uso dell'IA",
                   "<td>Testi scritti con l&#39;aiuto dell&#39;IA</td><td>4</td>", "<td>… di cui scartati</td><td>1</td>",
                   "<li>Bea: 1 testo</li>", "<li>Marco: 1 testo</li>"):
        assert phrase.replace("'", "&#39;") in html or phrase in html, phrase
    share = f"{data.figures['kept_share'] * 100:.1f}".replace(".", ",") + "%"
    assert f"<td>{share}</td>" in html
    assert "&lt;img src=x&gt;[m](http://evil)" in html and "<img src=x>" not in html  # foreign text stays text


def test_notice_in_english_and_in_markdown(notice_services):
    data = build_notice(notice_services, "comune", "2026-03", "en", actor="bea", now=NOW)
    md = to_markdown(data)
    assert md.startswith("# Notice on the use of artificial intelligence\n")
    for phrase in ("Comune di Schio · March 2026 · under article 13 of Italian law 132/2025",
                   "| OpenAI (online service) | gpt-4.1-mini | On the provider's servers", "first drafts from our brief",
                   "## How people check the AI's work", "holds editorial responsibility", "| … of which discarded | 1 |",
                   "- Bea\\: 1 text", "- Marco\\: 1 text"):
        assert phrase in md, phrase
    assert "\\<img src=x\\>\\[m\\](http\\://evil)" in md and "](http://evil)" not in md
    assert "Informativa" not in md


def test_pdf_in_both_languages_holds_the_text(notice_services):
    import pypdfium2 as pdfium

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang, phrases in (("it", ("Informativa sull'uso dell'intelligenza artificiale", "I sistemi di IA che abbiamo usato",
                                  "Chi ha approvato", "Bea: 1 testo")),
                          ("en", ("Notice on the use of artificial intelligence", "The AI systems we used",
                                  "Who approved", "Marco: 1 text"))):
        body = render(build_notice(notice_services, "comune", "2026-03", lang, actor="bea", now=NOW), "pdf")
        assert body.startswith(b"%PDF")
        (ARTIFACTS / f"sample-notice-{lang}.pdf").write_bytes(body)
        doc = pdfium.PdfDocument(body)
        try:
            text = " ".join(" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc)))
        finally:
            doc.close()
        for phrase in phrases:
            assert phrase in text, (lang, phrase)


def test_a_month_without_ai_and_who_may_not_read_it(notice_services):
    data = build_notice(notice_services, "comune", "2026-02", "it", actor="bea", now=NOW)
    assert data.systems == [] and data.figures["texts"] == 0 and data.approvers == []
    html = render(data, "html").decode("utf-8")
    assert "non ci siamo serviti di strumenti di intelligenza artificiale" in html
    assert "I sistemi di IA che abbiamo usato" not in html and "Nel mese non è stato approvato alcun testo." in html
    with pytest.raises(PermissionDenied):
        build_notice(notice_services, "comune", "2026-03", "it", actor="vale")


def test_the_client_report_can_carry_the_notice(notice_services):
    import pypdfium2 as pdfium

    data = build_report(notice_services, "comune", "2026-03", "en", now=NOW, audience="client")
    assert "Notice on the use" not in report_html(data)
    data.notice = build_notice(notice_services, "comune", "2026-03", "en", actor="bea", now=NOW)
    html = report_html(data)
    assert "<h2>Notice on the use of artificial intelligence</h2>" in html and "<h3>The AI systems we used</h3>" in html
    doc = pdfium.PdfDocument(report_pdf(data))
    try:
        text = " ".join(" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc)))
    finally:
        doc.close()
    assert "Notice on the use of artificial intelligence" in text and "Who approved" in text
