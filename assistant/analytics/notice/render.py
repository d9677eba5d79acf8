"""The client notice as HTML (Jinja2 with autoescape, the report's templates folder:
`notice.html.j2` around `notice_section.html.j2`, which the client report includes too), as PDF
(fpdf2 with the report's font and writer) and as Markdown (`sections.to_markdown`)."""

from __future__ import annotations

from pathlib import Path

from assistant.analytics.notice.data import NoticeData
from assistant.analytics.notice.sections import to_markdown, write_pdf
from assistant.analytics.report.html import TEMPLATES
from assistant.analytics.report.pdf import Writer

FORMATS = ("html", "pdf", "md")
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf", "md": "text/markdown"}


def render_html(notice: NoticeData) -> str:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("notice.html.j2").render(n=notice)


def render_pdf(notice: NoticeData, font: Path | None = None) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    w = Writer(pdf, font, FontFace(emphasis="BOLD", fill_color=(230, 236, 241)))
    pdf.set_title(f"{notice.title} {notice.brand_name} {notice.period}")
    pdf.add_page()
    write_pdf(w, notice, size=18)
    return bytes(pdf.output())


def render(notice: NoticeData, fmt: str, font: Path | None = None) -> bytes:
    """The notice in `fmt` (html, pdf or md) as bytes."""
    if fmt == "html":
        return render_html(notice).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(notice, font)
    if fmt == "md":
        return to_markdown(notice).encode("utf-8")
    raise ValueError(f"unknown notice format {fmt!r}: use {', '.join(FORMATS)}")


def filename(notice: NoticeData, fmt: str) -> str:
    return f"{notice.brand}-{notice.period}-notice-{notice.language}.{fmt}"
