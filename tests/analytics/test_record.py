"""The provenance record printed (assistant/analytics/record/): JSON as it is, the HTML page
(autoescaped) and the PDF (text read back with pypdfium2), in Italian and English, for one item
and for a brand's period."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.analytics.record import FORMATS, render, render_html, render_json, render_pdf
from assistant.review.record import brand_records, item_record
from tests.analytics.test_report import pdf_text
from tests.factories import add_people, make_draft, sqlite_queue  # noqa: F401

HOSTILE = "<script>alert(1)</script> & «Laura»"


@pytest.fixture
def records(sqlite_queue):  # noqa: F811
    """One approved item (queued by Ada, edited by Cris, approved by Bea, commented on) and one
    still in review."""
    q = sqlite_queue
    q.people.add("laura", name=HOSTILE, grants=[("approver", None)], by=q.people.actor("root"))
    item = q.add_draft(make_draft("Oggi apriamo la bottega a Schio con una festa 🎉"), by="Ada", submit=True)
    item = q.edit(item.id, "Oggi apriamo la bottega a Schio con un aperitivo 🎉", by="Cris",
                  base_version=item.version)
    q.approve(item.id, by="laura", note="ok <b>subito</b>")
    q.comment(item.id, "Pubblichiamo <img src=x onerror=alert(1)>", by="Dario")
    waiting = q.add_draft(make_draft("Un altro post ancora da approvare"), by="Ada", submit=True)
    return q, item.id, waiting.id


def test_json_is_the_record_as_it_is(records):
    q, item_id, _ = records
    record = item_record(q, item_id, actor="bea")
    data = json.loads(render_json(record))
    assert data["schema_id"] == "copydesk.provenance/1"
    assert data["editorially_responsible"]["person"]["name"] == HOSTILE  # data, not markup: kept as written
    assert data["revisions"][0]["model"]["provider"] == "fake" and data["revisions"][0]["sources"][0]["id"] == "s1"
    assert data["revisions"][1]["person"]["username"] == "cris"
    assert data["actions"][-1]["action"] == "comment" and data["ai_generated"] is True
    assert data["generated_at"].endswith("Z")  # UTC
    assert json.loads(render(record, "json")) == data and FORMATS == ("json", "html", "pdf")


def test_html_in_both_languages_names_the_responsible_person_and_escapes_foreign_text(records):
    q, item_id, waiting_id = records
    record = item_record(q, item_id, actor="bea")
    page = render_html(record, "it")
    assert "Responsabile editoriale: &lt;script&gt;alert(1)&lt;/script&gt; &amp; «Laura» (utente n." in page
    assert "<script>" not in page and "<img src=x" not in page and "<b>subito</b>" not in page
    assert "modello fake-1 (fake), prompt post@1" in page and "Cris (utente n." in page
    assert "Fonti lette dal modello (1)" in page and "Maglioni" in page and "post dell&#39;archivio" in page
    assert "Generato dall&#39;IA: sì" in page and "approvato" in page and '<html lang="it">' in page
    english = render_html(record, "en")
    assert "Editorially responsible: &lt;script&gt;" in english and "Sources the model read (1)" in english
    assert "AI-generated: yes (AI text kept 80%, threshold 50%)" in english
    assert "At approval (v1): words of the AI draft kept 8 of 10 (80%); edit distance 2" in english
    pending = render_html(item_record(q, waiting_id, actor="bea"), "en")
    assert "Not approved yet: nobody holds editorial responsibility for this item yet." in pending
    assert "Editorially responsible:" not in pending and "So far (v0, not approved)" in pending


def test_pdf_in_both_languages(records):
    q, item_id, waiting_id = records
    record = item_record(q, item_id, actor="bea")
    italian = pdf_text(render_pdf(record, "it"))
    assert "Registro di provenienza" in italian and "Responsabile editoriale: <script>alert(1)</script>" in italian
    assert "modello fake-1 (fake), prompt post@1" in italian and "Cronologia delle azioni" in italian
    assert "Pubblichiamo <img src=x onerror=alert(1)>" in italian  # a PDF has no markup: the text as written
    assert "🎉" not in italian and "con un aperitivo" in italian  # a glyph the font lacks is left out, not boxed
    english = pdf_text(render(record, "pdf", "en"))
    assert "Provenance record" in english and "Editorially responsible:" in english
    assert "AI-generated: yes" in english and "Sources the model read (1)" in english
    pending = pdf_text(render_pdf(item_record(q, waiting_id, actor="bea"), "en"))
    assert "Not approved yet: nobody holds editorial responsibility" in pending


def test_a_brand_period_as_one_document(records):
    q, item_id, waiting_id = records
    chosen = brand_records(q, "lana", date(2026, 3, 1), date(2026, 3, 31), actor="bea")
    assert [r.item.id for r in chosen.items] == [item_id, waiting_id]
    page = render_html(chosen, "it")
    assert "Registro di provenienza: lana" in page and "2 elementi" in page
    assert page.count('<section class="item">') == 2 and f"Elemento n. {item_id}" in page
    text = pdf_text(render_pdf(chosen, "en"))
    assert "Items created or approved from Mar 1, 2026 to Mar 31, 2026" in text and "2 items" in text
    assert text.count("Editorially responsible:") == 1 and "Not approved yet" in text
    empty = brand_records(q, "lana", date(2025, 1, 1), date(2025, 1, 31), actor="bea")
    assert "No item was created or approved in this period." in pdf_text(render_pdf(empty, "en"))
    assert json.loads(render_json(empty))["items"] == []
