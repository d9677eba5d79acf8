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

import base64
import io
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from assistant import insights, performance
from assistant.errors import InvalidRequest
from assistant.review_models import Item, Revision

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
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
    stmt = (select(Item.id, Item.platform, Item.published_at, Item.published_url, Revision.text)
            .join(Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision))
            .where(Item.brand == brand, Item.state == "published", Item.published_at >= start,
                   Item.published_at < end).order_by(Item.published_at, Item.id))
    data.published = [{"item_id": i, "platform": p, "date": at, "url": url, "text": performance.snippet(text, 160)}
                      for i, p, at, url, text in queue._read(lambda s: s.execute(stmt).all())]

    rows = performance.latest(queue, brand, start=start, end=end)
    data.unmatched = sum(r["origin"] == "unmatched" for r in rows)
    if rows:
        data.performance = performance.summarize(rows, ("platform",))
        data.performance.append({"platform": None, **performance.summarize(rows, ())[0]})
    data.top_posts = performance.top_posts(queue, brand, limit=3, start=start, end=end)
    data.origins = performance.summarize([r for r in rows if r["origin"] != "unmatched"], ("origin",))

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


# --- rendering ----------------------------------------------------------------------------------

_HTML = """<!doctype html>
<html lang="{{ d.language }}"><head><meta charset="utf-8">
<title>{{ t.title }} · {{ d.brand_name }} · {{ d.month_title }}</title>
<style>body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}
td.n{text-align:right}.note{color:#666;font-size:.9em}img{max-width:100%}</style></head><body>
<h1>{{ t.title }}: {{ d.brand_name }}</h1><p>{{ d.month_title }} · {{ t.generated.format(date=date(d.generated_at)) }}</p>
<h2>{{ t.published_h }} ({{ d.published|length }})</h2>
{% if d.published %}<table><tr><th>{{ t.date }}</th><th>{{ t.platform }}</th><th>{{ t.text }}</th><th>{{ t.link }}</th></tr>
{% for p in d.published %}<tr><td>{{ date(p.date) }}</td><td>{{ p.platform }}</td><td>{{ p.text }}</td>
<td>{% if p.url %}<a href="{{ p.url }}">{{ p.url }}</a>{% endif %}</td></tr>{% endfor %}</table>
{% else %}<p>{{ t.published_none }}</p>{% endif %}
<h2>{{ t.performance_h }}</h2>
{% if d.performance %}<table><tr><th>{{ t.platform }}</th><th>{{ t.measured }}</th><th>{{ t.impressions }}</th>
<th>{{ t.reach }}</th><th>{{ t.engagement }}</th><th>{{ t.pooled_rate }}</th><th>{{ t.median_rate }}</th></tr>
{% for r in d.performance %}<tr><td>{{ r.platform or t.total }}</td><td class="n">{{ int(r.posts) }}</td>
<td class="n">{{ int(r.impressions) }}</td><td class="n">{{ int(r.reach) }}</td><td class="n">{{ int(r.engagement) }}</td>
<td class="n">{{ pct(r.pooled_rate) }}</td><td class="n">{{ pct(r.median_rate) }}</td></tr>{% endfor %}</table>
<p class="note">{{ t.performance_note }}</p>
{% if d.unmatched %}<p class="note">{{ t.unmatched.format(n=d.unmatched) }}</p>{% endif %}
{% else %}<p>{{ t.performance_none }}</p>{% endif %}
{% for title, png in d.charts.items() %}<figure><img alt="{{ title }}" src="data:image/png;base64,{{ b64(png) }}"></figure>{% endfor %}
{% if d.top_posts %}<h2>{{ t.top_h }}</h2><table><tr><th>{{ t.platform }}</th><th>#</th><th>{{ t.text }}</th>
<th>{{ t.origin }}</th><th>{{ t.impressions }}</th><th>{{ t.engagement }}</th><th>{{ t.rate }}</th></tr>
{% for r in d.top_posts %}<tr><td>{{ r.platform }} ({{ t.sample.format(n=r.sample_size) }})</td><td>{{ r.rank }}</td>
<td>{% if r.url %}<a href="{{ r.url }}">{{ r.text or r.url }}</a>{% else %}{{ r.text }}{% endif %}</td>
<td>{{ t.origins[r.origin] }}</td><td class="n">{{ int(r.impressions) }}</td><td class="n">{{ int(r.engagement) }}</td>
<td class="n">{{ pct(r.engagement_rate) }}</td></tr>{% endfor %}</table>{% endif %}
{% if d.origins %}<h2>{{ t.origin_h }}</h2><table><tr><th>{{ t.origin }}</th><th>{{ t.measured }}</th>
<th>{{ t.mean_rate }}</th><th>{{ t.median_rate }}</th><th>{{ t.pooled_rate }}</th></tr>
{% for r in d.origins %}<tr><td>{{ t.origins[r.origin] }}</td><td class="n">{{ int(r.posts) }}</td>
<td class="n">{{ pct(r.mean_rate) }}</td><td class="n">{{ pct(r.median_rate) }}</td><td class="n">{{ pct(r.pooled_rate) }}</td>
</tr>{% endfor %}</table>{% endif %}
<h2>{{ t.review_h }}</h2><table><tr><th></th><th>{{ t.this_month }}</th><th>{{ t.to_date }}</th></tr>
{% for r in d.review %}<tr><td>{{ t[r.label] }}</td><td class="n">{{ r.month }}</td><td class="n">{{ r.to_date }}</td></tr>
{% endfor %}</table><p class="note">{{ t.review_note }}</p>
<h2>{{ t.ai_h }}</h2>
{% if d.ai_usage %}<table><tr><th>{{ t.provider }}</th><th>{{ t.model }}</th><th>{{ t.drafts }}</th>
<th>{{ t.tokens_in }}</th><th>{{ t.tokens_out }}</th><th>{{ t.cost }}</th></tr>
{% for u in d.ai_usage %}<tr><td>{{ u.provider or t.total }}</td><td>{{ u.model }}</td><td class="n">{{ int(u.drafts) }}</td>
<td class="n">{{ int(u.tokens_in) }}</td><td class="n">{{ int(u.tokens_out) }}</td><td class="n">{{ money(u.cost) }}</td></tr>
{% endfor %}</table><p class="note">{{ t.cost_note }}</p>{% else %}<p>{{ t.ai_none }}</p>{% endif %}
</body></html>
"""


def _helpers(data: ReportData) -> dict[str, Any]:
    lang = data.language
    return {"d": data, "t": data.t, "int": lambda v: fmt_int(v, lang), "pct": lambda v: fmt_pct(v, lang),
            "date": lambda v: fmt_date(v, lang), "money": lambda v: fmt_num(v, lang, 4),
            "b64": lambda png: base64.b64encode(png).decode("ascii")}


def render_html(data: ReportData) -> str:
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_HTML).render(**_helpers(data))


def _pdf_font(pdf: Any) -> tuple[str, Any]:
    """DejaVu Sans (Unicode) when Debian's fonts-dejavu is installed; else the core Helvetica,
    whose Latin-1 cannot show every character: those are replaced (see `_pdf_text`)."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", pdf.fonts["dejavu"]
    return "helvetica", None


def _pdf_text(text: Any, font: Any) -> str:
    text = "" if text is None else str(text)
    if font is None:  # core font: Latin-1 only
        return text.replace("—", "-").replace("…", "...").encode("latin-1", "replace").decode("latin-1")
    return "".join(ch for ch in text if ord(ch) in font.cmap or ch in "\n\t")  # drop glyphs DejaVu lacks (emoji)


def render_pdf(data: ReportData) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    t, h = data.t, _helpers(data)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    family, font = _pdf_font(pdf)
    pdf.set_title(f"{t['title']} {data.brand_name} {data.month}")
    pdf.add_page()
    heading = FontFace(emphasis="BOLD", fill_color=(230, 236, 241))

    def write(text: str, size: float = 10, style: str = "", space: float = 2) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, size * 0.5, _pdf_text(text, font), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(space)

    def table(header: list[str], rows: list[list[Any]], widths: tuple[int, ...] | None = None) -> None:
        pdf.set_font(family, "", 8)
        with pdf.table(col_widths=widths, headings_style=heading, line_height=4.5, padding=1,
                       text_align="LEFT") as tbl:
            for n, cells in enumerate([header, *rows]):
                row = tbl.row()
                for value in cells:
                    numeric = n > 0 and re.fullmatch(r"[\d.,%—-]+", str(value)) is not None
                    row.cell(_pdf_text(value, font), align="RIGHT" if numeric else "LEFT")
        pdf.ln(3)

    write(f"{t['title']}: {data.brand_name}", 18, "B", 1)
    write(f"{data.month_title} · {t['generated'].format(date=h['date'](data.generated_at))}", 10, "", 4)
    write(f"{t['published_h']} ({len(data.published)})", 13, "B")
    if data.published:
        table([t["date"], t["platform"], t["text"], t["link"]],
              [[h["date"](p["date"]), p["platform"], p["text"], p["url"] or ""] for p in data.published],
              (14, 12, 44, 30))
    else:
        write(t["published_none"])
    write(t["performance_h"], 13, "B")
    if data.performance:
        table([t["platform"], t["measured"], t["impressions"], t["reach"], t["engagement"], t["pooled_rate"],
               t["median_rate"]],
              [[r["platform"] or t["total"], h["int"](r["posts"]), h["int"](r["impressions"]), h["int"](r["reach"]),
                h["int"](r["engagement"]), h["pct"](r["pooled_rate"]), h["pct"](r["median_rate"])]
               for r in data.performance])
        write(t["performance_note"], 8)
        if data.unmatched:
            write(t["unmatched"].format(n=data.unmatched), 8)
    else:
        write(t["performance_none"])
    for title, png in data.charts.items():
        if pdf.get_y() > 200:
            pdf.add_page()
        pdf.image(io.BytesIO(png), w=150, alt_text=title)
        pdf.ln(3)
    if data.top_posts:
        write(t["top_h"], 13, "B")
        table([t["platform"], "#", t["text"], t["origin"], t["impressions"], t["engagement"], t["rate"]],
              [[f"{r['platform']} ({r['sample_size']})", r["rank"], r["text"] or r["url"] or "",
                t["origins"][r["origin"]], h["int"](r["impressions"]), h["int"](r["engagement"]),
                h["pct"](r["engagement_rate"])] for r in data.top_posts], (13, 4, 36, 13, 12, 12, 12))
    if data.origins:
        write(t["origin_h"], 13, "B")
        table([t["origin"], t["measured"], t["mean_rate"], t["median_rate"], t["pooled_rate"]],
              [[t["origins"][r["origin"]], h["int"](r["posts"]), h["pct"](r["mean_rate"]), h["pct"](r["median_rate"]),
                h["pct"](r["pooled_rate"])] for r in data.origins])
    write(t["review_h"], 13, "B")
    table(["", t["this_month"], t["to_date"]], [[t[r["label"]], r["month"], r["to_date"]] for r in data.review])
    write(t["review_note"], 8)
    write(t["ai_h"], 13, "B")
    if data.ai_usage:
        table([t["provider"], t["model"], t["drafts"], t["tokens_in"], t["tokens_out"], t["cost"]],
              [[u["provider"] or t["total"], u["model"], h["int"](u["drafts"]), h["int"](u["tokens_in"]),
                h["int"](u["tokens_out"]), h["money"](u["cost"])] for u in data.ai_usage])
        write(t["cost_note"], 8)
    else:
        write(t["ai_none"])
    return bytes(pdf.output())
