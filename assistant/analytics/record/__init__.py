"""Provenance records printed and exported: JSON (the record as it is), a printable HTML page and
a PDF, in Italian or English, for one item or a brand's period. The record itself is built by
`assistant.review.record`; `words.Words` says it in the reader's language."""

from assistant.analytics.record.html import render_html
from assistant.analytics.record.pdf import render_pdf
from assistant.analytics.record.words import Words
from assistant.review.record import ProvenanceRecord, RecordSet

FORMATS = ("json", "html", "pdf")
MIME = {"json": "application/json", "html": "text/html", "pdf": "application/pdf"}


def render_json(doc: ProvenanceRecord | RecordSet) -> str:
    """The record as JSON (UTF-8 text; times in UTC, ISO 8601)."""
    return doc.model_dump_json(indent=2)


def render(doc: ProvenanceRecord | RecordSet, fmt: str, language: str = "it", font: object = None) -> bytes:
    """The record in `fmt` (json, html or pdf) as bytes."""
    if fmt == "json":
        return render_json(doc).encode("utf-8")
    if fmt == "html":
        return render_html(doc, language).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(doc, language, font)  # type: ignore[arg-type]
    raise ValueError(f"unknown record format {fmt!r}: use {', '.join(FORMATS)}")


__all__ = ["FORMATS", "MIME", "Words", "render", "render_html", "render_json", "render_pdf"]
