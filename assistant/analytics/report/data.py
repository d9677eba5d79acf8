"""The monthly report: what was published, how it performed, and (internal version) how review
went and what the IA cost.

`build_report` gathers the numbers (a `ReportData`, plain values and PNG charts);
`render_html` renders them with Jinja2 (autoescaped, charts embedded as base64 PNG) and
`render_pdf` with fpdf2 (charts as images). Charts are Altair specs (`analytics.charts`) rendered
offline by vl-convert. Definitions:

- the month: in the brand's time zone (`timezone` in brand.yaml); dates are shown in it;
- published: queue items of the brand in state `published` whose `published_at` is in the month;
- performance: every post dated in the month with figures, from every source Copydesk holds
  (the brand library, imported performance rows, published items), each post once: `sources`;
- review "this month": items created in the month (`insights.facts`); "to date": the queue's
  `metrics(brand=...)` over all time; IA usage and cost: the drafts created in the month.

Two audiences: `internal` (everything) and `client` (no IA costs or tokens, no review figures, no
AI-assisted/from-scratch comparison, no matching diagnostics: those are never even gathered).
Numbers and dates are in the report's language (`assistant.i18n`, Babel); the strings are in the
locale catalogues (`reportdoc.*` keys, Italian and English).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant import i18n
from assistant.analytics import performance
from assistant.analytics.report.internal import ai_usage, review_rows
from assistant.analytics.report.sources import Measured, measured_posts, top_posts
from assistant.errors import InvalidRequest
from assistant.platforms.rules import label as platform_label
from assistant.text.snippets import snippet

LANGUAGES = ("it", "en")
AUDIENCES = ("internal", "client")
KINDS = ("library", "published", "imported")
CHART_FONT = "DejaVu Sans"


def strings(language: str) -> dict[str, Any]:
    """The report's plain strings from the locale catalogues (`reportdoc.*`, no plural forms), shaped
    for the templates; counted phrases are formatted by `build_report` with `i18n.t`."""
    flat = {k[len("reportdoc."):]: v for k, v in i18n.CATALOGUE[language].items() if k.startswith("reportdoc.")}
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
    audience: str = "internal"  # internal | client
    tz: str = "UTC"  # the brand's zone: the month's bounds and every date shown
    published: list[dict[str, Any]] = field(default_factory=list)
    performance: list[dict[str, Any]] = field(default_factory=list)  # per platform, then a total row
    sources: str = ""  # "Fonti: 4 post dell'archivio, 3 righe importate."
    notes: list[str] = field(default_factory=list)  # under the performance table
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    origins: list[dict[str, Any]] = field(default_factory=list)  # internal only
    review: list[dict[str, Any]] = field(default_factory=list)  # internal only: label, this month, to date
    ai_usage: list[dict[str, Any]] = field(default_factory=list)  # internal only: per provider/model, then a total
    charts: dict[str, bytes] = field(default_factory=dict)  # title -> PNG
    notice: Any = None  # the client notice (analytics.notice.NoticeData), when asked for

    @property
    def t(self) -> dict[str, Any]:
        return strings(self.language)

    @property
    def internal(self) -> bool:
        return self.audience == "internal"

    @property
    def month_title(self) -> str:
        year, month = self.month.split("-")
        return f"{self.t['months'][int(month) - 1]} {year}"


# --- building -----------------------------------------------------------------------------------

def month_bounds(month: str, tz: str = "UTC") -> tuple[datetime, datetime]:
    """[start, end) of `month` (YYYY-MM) in the zone `tz`, as UTC datetimes."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=ZoneInfo(tz))
    except ValueError as exc:
        raise InvalidRequest(f"month: {month!r} is not YYYY-MM (e.g. 2026-03)") from exc
    except ZoneInfoNotFoundError as exc:
        raise InvalidRequest(f"tz: unknown time zone {tz!r}; use an IANA name such as 'Europe/Rome'") from exc
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def build_report(services: Any, brand: str, month: str, language: str = "it", now: datetime | None = None,
                 audience: str = "internal") -> ReportData:
    """The report of `brand` for `month`, in `language`, for `audience` (internal | client)."""
    if language not in LANGUAGES:
        raise InvalidRequest(f"language: {language!r} is not available; use {' or '.join(LANGUAGES)}")
    if audience not in AUDIENCES:
        raise InvalidRequest(f"audience: {audience!r} is not available; use {' or '.join(AUDIENCES)}")
    profile = services.brand(brand).profile
    start, end = month_bounds(month, profile.timezone)
    data = ReportData(brand, profile.name, month, language, now or datetime.now(timezone.utc), audience,
                      profile.timezone)
    rules = services.rules
    data.published = [{"item_id": p.item_id, "platform": platform_label(p.platform, rules), "date": p.published_at,
                       "url": p.url, "text": snippet(p.text, 160)}
                      for p in services.review.published(brand, start=start, end=end)]
    _performance(data, measured_posts(services, brand, start, end), rules)
    if data.internal:
        data.review = review_rows(services.review, brand, start, end, language)
        data.ai_usage = ai_usage(services.review, brand, start, end)
    data.charts = _charts(data)
    return data


def _performance(data: ReportData, measured: Measured, rules: Any) -> None:
    """Per platform and in total, the sources line and notes, the top posts, (internal) the origins."""
    lang, rows = data.language, measured.rows
    if rows:
        data.performance = [{**r, "platform": platform_label(r["platform"], rules)}
                            for r in performance.summarize(rows, ("platform",))]
        data.performance.append({**performance.summarize(rows, ())[0], "platform": None})
    parts = [i18n.t(f"reportdoc.source.{k}", lang, n=n) for k in KINDS if (n := measured.count(k))]
    data.sources = i18n.t("reportdoc.sources", lang, list=", ".join(parts)) if parts else ""
    if measured.merged:
        data.notes.append(i18n.t("reportdoc.merged", lang, n=measured.merged))
    if data.internal and (unmatched := measured.count("imported")):
        data.notes.append(i18n.t("reportdoc.unmatched", lang, n=unmatched))
    data.top_posts = [{**r, "platform": platform_label(r["platform"], rules), "text": snippet(r["text"], 160),
                       "sample": i18n.t("reportdoc.sample", lang, n=r["sample_size"])}
                      for r in top_posts(rows, limit=3)]
    if data.internal:
        data.origins = performance.summarize([r for r in rows if r["origin"] != "unmatched"], ("origin",))


def _charts(data: ReportData) -> dict[str, bytes]:
    """Bar charts rendered to PNG offline by vl-convert (no browser, no network)."""
    import vl_convert as vlc

    from assistant.analytics import charts

    t, out = data.t, {}
    series = [(t["chart_rate"], [(r["platform"], r["pooled_rate"]) for r in data.performance
                                 if r["platform"] and r["pooled_rate"] is not None])]
    if data.internal:
        series.append((t["chart_origin"], [(t["origins"][r["origin"]], r["mean_rate"]) for r in data.origins
                                           if r["mean_rate"] is not None]))
    for title, points in series:
        if points:
            chart = charts.rate_bars(points, title, t["rate"], data.language, CHART_FONT)
            out[title] = vlc.vegalite_to_png(chart.to_dict(), scale=2)
    return out
