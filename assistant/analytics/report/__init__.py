"""The monthly client report: what was published, how it performed, how review went, what the AI
cost. `data.build_report` gathers the numbers; `html.render_html` and `pdf.render_pdf` render them."""

from assistant.analytics.report.data import (LANGUAGES, ReportData, build_report, fmt_date, fmt_int, fmt_num, fmt_pct,
                                             month_bounds, strings)
from assistant.analytics.report.html import render_html
from assistant.analytics.report.pdf import font_files, render_pdf

__all__ = ["LANGUAGES", "ReportData", "build_report", "fmt_date", "fmt_int", "fmt_num", "fmt_pct", "font_files",
           "month_bounds", "render_html", "render_pdf", "strings"]
