"""The report as HTML: Jinja2 with autoescape, from `templates/report.html.j2`; charts embedded as
base64 PNG; only http(s) URLs become links."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from assistant.analytics.report.data import ReportData
from assistant.analytics.report.numbers import fmt_date, fmt_int, fmt_num, fmt_pct
from assistant.text.urls import safe_link

TEMPLATES = Path(__file__).resolve().parent / "templates"


def helpers(data: ReportData) -> dict[str, Any]:
    lang = data.language
    return {"d": data, "t": data.t, "int": lambda v: fmt_int(v, lang), "pct": lambda v: fmt_pct(v, lang),
            "date": lambda v: fmt_date(v, lang, data.tz), "money": lambda v: fmt_num(v, lang, 4),
            "b64": lambda png: base64.b64encode(png).decode("ascii"), "link": safe_link}


def render_html(data: ReportData) -> str:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**helpers(data))
