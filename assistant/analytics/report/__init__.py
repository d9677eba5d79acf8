"""The monthly report: what was published, how it performed (every source Copydesk holds, each
post once), how review went and what the IA cost (internal version only). `data.build_report`
gathers the numbers; `html.render_html` and `pdf.render_pdf` render them."""

from assistant.analytics.report.data import AUDIENCES, LANGUAGES, ReportData, build_report, month_bounds, strings
from assistant.analytics.report.html import render_html
from assistant.analytics.report.numbers import fmt_date, fmt_duration, fmt_int, fmt_num, fmt_pct
from assistant.analytics.report.pdf import font_files, render_pdf

__all__ = ["AUDIENCES", "LANGUAGES", "ReportData", "build_report", "fmt_date", "fmt_duration", "fmt_int", "fmt_num",
           "fmt_pct", "font_files", "month_bounds", "render_html", "render_pdf", "strings"]
