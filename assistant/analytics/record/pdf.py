"""A provenance record as PDF with fpdf2: the same phrases as the HTML page (`words.Words`).

The font is the report's (`analytics.report.font_files`: ASSISTANT_PDF_FONT, else Debian's DejaVu
Sans); characters the font lacks (emoji) are left out of the PDF, never replaced by boxes. Texts,
notes and comments are paragraphs (a long post never has to fit in one table row); only the
sources (snippets of at most 160 characters) are a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.analytics.record.html import title
from assistant.analytics.record.words import Words
from assistant.analytics.report import font_files
from assistant.review.record import ProvenanceRecord, RecordSet

FAMILY = "Record"


class _Page:
    """An A4 document: headings, paragraphs (optionally indented) and one kind of table."""

    def __init__(self, font: Path | None) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.pdf.set_auto_page_break(True, margin=15)
        regular, bold = font_files(font)
        self.pdf.add_font(FAMILY, "", str(regular))
        self.pdf.add_font(FAMILY, "B", str(bold))
        self.glyphs = self.pdf.fonts[FAMILY.lower()].cmap

    def clean(self, text: object) -> str:
        flat = "" if text is None else str(text)
        return "".join(ch for ch in flat if ord(ch) in self.glyphs or ch in "\n\t")

    def write(self, text: object, size: float = 10, style: str = "", space: float = 1.5, indent: float = 0) -> None:
        if size >= 12 and self.pdf.get_y() > self.pdf.h - 45:  # a heading never ends a page alone
            self.pdf.add_page()
        self.pdf.set_font(FAMILY, style, size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(space)

    def table(self, header: list[str], rows: list[list[object]], widths: tuple[int, ...]) -> None:
        from fpdf.fonts import FontFace

        self.pdf.set_font(FAMILY, "", 8)
        with self.pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 241)),
                            line_height=4.5, padding=1, text_align="LEFT") as tbl:
            for cells in [header, *rows]:
                row = tbl.row()
                for value in cells:
                    row.cell(self.clean(value))
        self.pdf.ln(3)


def render_pdf(doc: ProvenanceRecord | RecordSet, language: str, font: Path | None = None) -> bytes:
    w = Words(language, doc.timezone)
    page = _Page(font)
    page.pdf.set_title(title(doc, w))
    page.pdf.add_page()
    page.write(title(doc, w), 18, "B", 1)
    if isinstance(doc, RecordSet):
        page.write(f"{w.t('record.period', start=w.day(doc.start), end=w.day(doc.end), zone=doc.timezone)} · "
                   f"{w.t('record.items', n=len(doc.items))}", 10)
        page.write(w.t("record.generated", date=w.when(doc.generated_at), name=w.person(doc.generated_by)), 9, "", 4)
        for n, record in enumerate(doc.items):
            if n:
                page.pdf.add_page()
            _item(page, w, record)
        if not doc.items:
            page.write(w.t("record.no_items"))
    else:
        page.write(w.t("record.generated", date=w.when(doc.generated_at), name=w.person(doc.generated_by)), 9, "", 4)
        _item(page, w, doc)
    page.write(w.t("record.about_h"), 12, "B")
    for key in ("record.about_append", "record.about_responsible", "record.about_kept", "record.about_rule"):
        page.write(w.t(key), 8)
    return bytes(page.pdf.output())


def _item(page: _Page, w: Words, r: ProvenanceRecord) -> None:
    page.write(w.t("record.item", id=r.item.id, platform=w.platform(r.item.platform)), 15, "B")
    page.write(w.facts(r))
    page.write(w.t("record.created", date=w.when(r.item.created_at), name=w.person(r.item.created_by)))
    page.write(w.t("record.brief", brief=r.item.brief), 9, "", 3)
    page.write(w.t("record.responsibility_h"), 12, "B")
    for n, line in enumerate(w.responsibility(r)):
        page.write(line, 10, "B" if n == 0 else "")
    page.write(w.ai_generated(r), 10, "", 3)
    page.write(w.t("record.kept_h"), 12, "B")
    page.write(w.kept(r.ai_text_kept), 10, "", 3)
    page.write(w.t("record.versions_h"), 12, "B")
    for v in r.revisions:
        page.write(f"v{v.number} · {w.when(v.created_at)} · {w.author(v)}", 10, "B", 0.5)
        for detail in w.details(v):
            page.write(detail, 8, "", 0.5)
        page.write(v.text, 10, "", 3, indent=4)
    _sources(page, w, r)
    page.write(w.t("record.approvals_h"), 12, "B")
    for a in r.approvals:
        page.write(f"{w.approval(a)}. {w.kept(a.kept)}", 9)
    if not r.approvals:
        page.write(w.t("record.approvals_none"), 9)
    page.write(w.t("record.history_h"), 12, "B")
    for a in r.actions:
        move = f" ({w.move(a)})" if w.move(a) else ""
        page.write(f"{w.when(a.at)} · {w.person(a.person)} · {w.action(a)}{move}", 9, "", 0.5 if a.note else 1.5)
        if a.note:
            page.write(a.note, 9, "", 1.5, indent=4)
    page.write(w.t("record.comments_h"), 12, "B")
    for c in r.comments:
        page.write(f"{w.person(c.person)} · {w.when(c.at)}", 9, "B", 0.5)
        page.write(c.text, 9, "", 1.5, indent=4)
    if not r.comments:
        page.write(w.t("record.comments_none"), 9)


def _sources(page: _Page, w: Words, r: ProvenanceRecord) -> None:
    page.write(f"{w.t('record.sources_h')} ({len(r.sources)})", 12, "B")
    rows: list[list[Any]] = [[f"v{v.number}", s.id, w.kind(s.kind), w.score(s.score), s.snippet]
                             for v in r.revisions for s in v.sources]
    if rows:
        page.table([w.t("record.col.version"), w.t("record.col.source"), w.t("record.col.kind"),
                    w.t("record.col.score"), w.t("record.col.snippet")], rows, (8, 20, 16, 10, 46))
    else:
        page.write(w.t("record.sources_none"), 9)
