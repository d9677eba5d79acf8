"""The report as PDF with fpdf2: the same strings and numbers as the HTML, charts as images.

The font: ASSISTANT_PDF_FONT (a .ttf; its Bold sibling is used when present), else Debian's
DejaVu Sans (`fonts-dejavu-core`). A missing font is a clear error, not a PDF with missing text.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from assistant.analytics.report.data import ReportData
from assistant.analytics.report.html import helpers
from assistant.errors import ConfigError

DEBIAN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font_files(font: Path | None = None) -> tuple[Path, Path]:
    """(regular, bold) TrueType files for the PDF; raises ConfigError naming what to install or set."""
    regular = Path(font).expanduser() if font else DEBIAN_FONT
    if not regular.is_file():
        where = f"ASSISTANT_PDF_FONT={regular}" if font else f"{regular}"
        raise ConfigError(f"the PDF report needs a Unicode TrueType font and {where} does not exist; install "
                          "Debian's fonts-dejavu-core, or set ASSISTANT_PDF_FONT to a .ttf file (e.g. DejaVuSans.ttf)")
    bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
    return regular, bold if bold.is_file() else regular


def _pdf_font(pdf: Any, font: Path | None) -> tuple[str, Any]:
    regular, bold = font_files(font)
    pdf.add_font("Report", "", str(regular))
    pdf.add_font("Report", "B", str(bold))
    return "Report", pdf.fonts["report"]


def _pdf_text(text: Any, font: Any) -> str:
    text = "" if text is None else str(text)
    return "".join(ch for ch in text if ord(ch) in font.cmap or ch in "\n\t")  # drop glyphs the font lacks (emoji)


class _Writer:
    """An FPDF document with the report's font: paragraphs and tables."""

    def __init__(self, pdf: Any, font: Path | None, heading: Any) -> None:
        self.pdf, self.heading = pdf, heading
        self.family, self.font = _pdf_font(pdf, font)

    def write(self, text: str, size: float = 10, style: str = "", space: float = 2) -> None:
        if size >= 13 and self.pdf.get_y() > self.pdf.h - 50:  # a heading never ends a page alone
            self.pdf.add_page()
        self.pdf.set_font(self.family, style, size)
        self.pdf.multi_cell(0, size * 0.5, _pdf_text(text, self.font), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(space)

    def table(self, header: list[str], rows: list[list[Any]], widths: tuple[int, ...] | None = None) -> None:
        self.pdf.set_font(self.family, "", 8)
        with self.pdf.table(col_widths=widths, headings_style=self.heading, line_height=4.5, padding=1,
                            text_align="LEFT") as tbl:
            for n, cells in enumerate([header, *rows]):
                row = tbl.row()
                for value in cells:
                    numeric = n > 0 and re.fullmatch(r"[\d.,%—-]+", str(value)) is not None
                    row.cell(_pdf_text(value, self.font), align="RIGHT" if numeric else "LEFT")
        self.pdf.ln(3)


Writer = _Writer  # public: the client notice (analytics.notice) writes with it too


def render_pdf(data: ReportData, font: Path | None = None) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    t, h = data.t, helpers(data)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    w = _Writer(pdf, font, FontFace(emphasis="BOLD", fill_color=(230, 236, 241)))
    pdf.set_title(f"{t['title']} {data.brand_name} {data.month}")
    pdf.add_page()
    w.write(f"{t['title']}: {data.brand_name}", 18, "B", 1)
    w.write(f"{data.month_title} · {t['generated'].format(date=h['date'](data.generated_at))}", 10, "", 4)
    if data.internal:
        w.write(t["internal_banner"], 10, "B", 4)
    _published(w, data, h)
    _performance(w, data, h)
    _charts(pdf, data)
    _rankings(w, data, h)
    if data.internal:  # the client version has none of these figures
        _review(w, data)
        _ai_usage(w, data, h)
    if data.notice is not None:  # the client notice (analytics.notice), when asked for
        from assistant.analytics.notice.sections import write_pdf

        pdf.add_page()
        write_pdf(w, data.notice)
    return bytes(pdf.output())


def _published(w: _Writer, data: ReportData, h: dict[str, Any]) -> None:
    t = data.t
    w.write(f"{t['published_h']} ({len(data.published)})", 13, "B")
    if data.published:
        w.table([t["date"], t["platform"], t["text"], t["link"]],
                [[h["date"](p["date"]), p["platform"], p["text"], p["url"] or ""] for p in data.published],
                (14, 12, 44, 30))
    else:
        w.write(t["published_none"])


def _performance(w: _Writer, data: ReportData, h: dict[str, Any]) -> None:
    t = data.t
    w.write(t["performance_h"], 13, "B")
    if data.performance:
        w.table([t["platform"], t["measured"], t["impressions"], t["reach"], t["engagement"], t["pooled_rate"],
                 t["median_rate"]],
                [[r["platform"] or t["total"], h["int"](r["posts"]), h["int"](r["impressions"]), h["int"](r["reach"]),
                  h["int"](r["engagement"]), h["pct"](r["pooled_rate"]), h["pct"](r["median_rate"])]
                 for r in data.performance])
        w.write(data.sources, 9)
        w.write(t["performance_note"], 8)
        for note in data.notes:
            w.write(note, 8)
    else:
        w.write(t["performance_none"])


def _charts(pdf: Any, data: ReportData) -> None:
    for title, png in data.charts.items():
        if pdf.get_y() > 200:
            pdf.add_page()
        pdf.image(io.BytesIO(png), w=150, alt_text=title)
        pdf.ln(3)


def _rankings(w: _Writer, data: ReportData, h: dict[str, Any]) -> None:
    """The top posts and (internal) the IA-versus-scratch comparison, each only when there is data."""
    t = data.t
    if data.top_posts:
        w.write(t["top_h"], 13, "B")
        origin = [t["origin"]] if data.internal else []
        w.table([t["platform"], "#", t["text"], *origin, t["impressions"], t["engagement"], t["rate"]],
                [[f"{r['platform']} ({r['sample']})", r["rank"], r["text"] or r["url"] or "",
                  *([t["origins"][r["origin"]]] if data.internal else []), h["int"](r["impressions"]),
                  h["int"](r["engagement"]), h["pct"](r["engagement_rate"])] for r in data.top_posts],
                (15, 4, 36, 13, 12, 12, 12) if data.internal else (15, 4, 49, 12, 12, 12))
    if data.internal and data.origins:
        w.write(t["origin_h"], 13, "B")
        w.table([t["origin"], t["measured"], t["mean_rate"], t["median_rate"], t["pooled_rate"]],
                [[t["origins"][r["origin"]], h["int"](r["posts"]), h["pct"](r["mean_rate"]),
                  h["pct"](r["median_rate"]), h["pct"](r["pooled_rate"])] for r in data.origins])


def _review(w: _Writer, data: ReportData) -> None:
    t = data.t
    w.write(t["review_h"], 13, "B")
    w.table(["", t["this_month"], t["to_date"]], [[t[r["label"]], r["month"], r["to_date"]] for r in data.review])
    w.write(t["review_note"], 8)


def _ai_usage(w: _Writer, data: ReportData, h: dict[str, Any]) -> None:
    t = data.t
    w.write(t["ai_h"], 13, "B")
    if data.ai_usage:
        w.table([t["provider"], t["model"], t["drafts"], t["tokens_in"], t["tokens_out"], t["cost"]],
                [[u["provider"] or t["total"], u["model"], h["int"](u["drafts"]), h["int"](u["tokens_in"]),
                  h["int"](u["tokens_out"]), h["money"](u["cost"])] for u in data.ai_usage])
        w.write(t["cost_note"], 8)
    else:
        w.write(t["ai_none"])
