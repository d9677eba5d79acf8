"""A provenance record as a printable HTML page: Jinja2 with autoescape, from
`templates/record.html.j2` (one item, or a brand's period)."""

from __future__ import annotations

from pathlib import Path

from assistant.analytics.record.words import Words
from assistant.review.record import ProvenanceRecord, RecordSet

TEMPLATES = Path(__file__).resolve().parent / "templates"


def title(doc: ProvenanceRecord | RecordSet, w: Words) -> str:
    name = doc.brand_name if isinstance(doc, RecordSet) else doc.item.brand_name
    return w.t("record.set_title", brand=name)


def render_html(doc: ProvenanceRecord | RecordSet, language: str) -> str:
    from jinja2 import Environment, FileSystemLoader

    w = Words(language, doc.timezone)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    many = isinstance(doc, RecordSet)
    return env.get_template("record.html.j2").render(w=w, title=title(doc, w), records_set=doc if many else None,
                                                      record=None if many else doc)
