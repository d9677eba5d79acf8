"""The monthly client report: what was published, how it performed, how review went, what the AI cost.

`build_report` gathers the numbers (a `ReportData`, plain values and PNG charts);
`render_html` renders them with Jinja2 (autoescaped, charts embedded as base64 PNG) and
`render_pdf` with fpdf2 (charts as images). Charts are Altair specs rendered offline by
vl-convert. Definitions:

- published: queue items of the brand in state `published` whose `published_at` is in the month;
- performance: the latest measurement of each post dated in the month (`performance.latest`);
- review "this month": items created in the month (`insights.facts`); "to date": the queue's
  `metrics(brand=...)` over all time; AI usage and cost: the drafts created in the month.

The report's strings are in the locale catalogues (`reportdoc.*` keys, Italian and English).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from assistant.analytics import insights, performance
from assistant.errors import InvalidRequest
from assistant.text.snippets import snippet

LANGUAGES = ("it", "en")


def strings(language: str) -> dict[str, Any]:
    """The report's strings from the locale catalogues (`reportdoc.*`), shaped for the templates."""
    from assistant.i18n import CATALOGUE

    flat = {k[len("reportdoc."):]: v for k, v in CATALOGUE[language].items() if k.startswith("reportdoc.")}
    out: dict[str, Any] = {k: v for k, v in flat.items() if "." not in k}
    out["origins"] = {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith("origins.")}
    out["months"] = [flat[f"month.{i}"] for i in range(1, 13)]
    return out


@dataclass
class ReportData:
    brand: str
    brand_name: str
    month: str  # YYYY-MM
    language: str
    generated_at: datetime
    published: list[dict[str, Any]] = field(default_factory=list)
    performance: list[dict[str, Any]] = field(default_factory=list)  # per platform, then a total row
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    origins: list[dict[str, Any]] = field(default_factory=list)
    unmatched: int = 0
    review: list[dict[str, Any]] = field(default_factory=list)  # label, this month, to date
    ai_usage: list[dict[str, Any]] = field(default_factory=list)  # per provider/model, then a total row
    charts: dict[str, bytes] = field(default_factory=dict)  # title -> PNG

    @property
    def t(self) -> dict[str, Any]:
        return strings(self.language)

    @property
    def month_title(self) -> str:
        year, month = self.month.split("-")
        return f"{self.t['months'][int(month) - 1]} {year}"


# --- formatting ---------------------------------------------------------------------------------

def fmt_int(value: float | None, language: str) -> str:
    if value is None:
        return "—"
    text = f"{round(value):,}"
    return text.replace(",", ".") if language == "it" else text


def fmt_pct(value: float | None, language: str, digits: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.{digits}f}%"
    return text.replace(".", ",") if language == "it" else text


def fmt_num(value: float | None, language: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.translate(str.maketrans(",.", ".,")) if language == "it" else text


def fmt_date(value: datetime | None, language: str) -> str:
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y") if language == "it" else value.strftime("%Y-%m-%d")


# --- building -----------------------------------------------------------------------------------

def month_bounds(month: str) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=timezone.utc)
    except ValueError as exc:
        raise InvalidRequest(f"month: {month!r} is not YYYY-MM (e.g. 2026-03)") from exc
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def build_report(services: Any, brand: str, month: str, language: str = "it",
                 now: datetime | None = None) -> ReportData:
    if language not in LANGUAGES:
        raise InvalidRequest(f"language: {language!r} is not available; use {' or '.join(LANGUAGES)}")
    profile = services.brand(brand).profile
    start, end = month_bounds(month)
    queue = services.review
    data = ReportData(brand, profile.name, month, language, now or datetime.now(timezone.utc))
    data.published = [{"item_id": p.item_id, "platform": p.platform, "date": p.published_at, "url": p.url,
                       "text": snippet(p.text, 160)} for p in queue.published(brand, start=start, end=end)]

    rows = performance.latest(queue, brand, start=start, end=end)
    data.unmatched = sum(r["origin"] == "unmatched" for r in rows)
    if rows:
        data.performance = performance.summarize(rows, ("platform",))
        data.performance.append({"platform": None, **performance.summarize(rows, ())[0]})
    data.top_posts = performance.top_posts(queue, brand, limit=3, start=start, end=end)
    data.origins = performance.ai_vs_scratch(queue, brand, start=start, end=end)

    facts = [f for f in insights.facts(queue, brand=brand) if start <= f.created_at < end]
    m = insights.overall(facts)
    hours = [f.seconds_to_approval / 3600 for f in facts if f.seconds_to_approval is not None]
    overall = queue.metrics(brand=brand).overall
    lang = language
    data.review = [
        {"label": "drafts", "month": fmt_int(m["items"], lang), "to_date": fmt_int(overall.items, lang)},
        {"label": "decided", "month": fmt_int(m["decided"], lang), "to_date": fmt_int(overall.decided, lang)},
        {"label": "approved", "month": fmt_int(m["approved"], lang), "to_date": fmt_int(overall.approved, lang)},
        {"label": "rejected", "month": fmt_int(sum(f.state == "rejected" for f in facts), lang),
         "to_date": fmt_int(overall.rejected, lang)},
        {"label": "approval_rate", "month": fmt_pct(m["approval_rate"], lang, 1),
         "to_date": fmt_pct(overall.approval_rate, lang, 1)},
        {"label": "ai_kept", "month": fmt_pct(m["ai_text_kept"], lang, 1), "to_date": fmt_pct(overall.kept_share, lang, 1)},
        {"label": "unedited", "month": "—", "to_date": fmt_int(overall.approved_unedited, lang)},
        {"label": "edit_distance", "month": "—", "to_date": fmt_num(overall.mean_edit_distance, lang)},
        {"label": "hours", "month": fmt_num(statistics.median(hours) if hours else None, lang),
         "to_date": fmt_num(overall.median_seconds_to_approval / 3600 if overall.median_seconds_to_approval is not None
                            else None, lang)},
    ]
    usage: dict[tuple[str, str], dict[str, Any]] = {}
    for f in facts:
        u = usage.setdefault((f.provider or "—", f.model or "—"), {"provider": f.provider or "—", "model": f.model or "—",
                                                                  "drafts": 0, "tokens_in": 0, "tokens_out": 0, "cost": 0.0})
        u["drafts"] += 1
        u["tokens_in"] += f.prompt_tokens
        u["tokens_out"] += f.completion_tokens
        u["cost"] += f.cost_usd
    data.ai_usage = [usage[k] for k in sorted(usage)]
    if data.ai_usage:
        data.ai_usage.append({"provider": None, "model": "", **{k: sum(u[k] for u in data.ai_usage)
                                                                for k in ("drafts", "tokens_in", "tokens_out", "cost")}})
    data.charts = _charts(data)
    return data


def _charts(data: ReportData) -> dict[str, bytes]:
    """Altair bar charts rendered to PNG offline by vl-convert (no browser, no network)."""
    import altair as alt
    import pandas as pd
    import vl_convert as vlc

    t, out = data.t, {}
    series = [(t["chart_rate"], [(r["platform"], r["pooled_rate"]) for r in data.performance
                                 if r["platform"] and r["pooled_rate"] is not None]),
              (t["chart_origin"], [(t["origins"][r["origin"]], r["mean_rate"]) for r in data.origins
                                   if r["mean_rate"] is not None])]
    for title, points in series:
        if not points:
            continue
        frame = pd.DataFrame(points, columns=["label", "rate"])
        chart = (alt.Chart(frame, title=title, width=420, height=max(60, 36 * len(points)))
                 .mark_bar(color="#3b6e8f")
                 .encode(y=alt.Y("label:N", title=None, sort=None),
                         x=alt.X("rate:Q", title=t["rate"], axis=alt.Axis(format="%")))
                 .configure(font="DejaVu Sans"))
        out[title] = vlc.vegalite_to_png(chart.to_dict(), scale=2)
    return out
