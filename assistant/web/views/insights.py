"""Insights: approval and AI-text-kept per platform and over time, time to approval, drafts per
provider/model, token cost per brand per month. Every chart has its table and a CSV download.
Charts come from `analytics.charts` (platform labels, localised axes and legends, durations in the
unit the data calls for); tables show the same rows with localised headers, the CSV the raw fields."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from assistant import i18n
from assistant.accounts.permissions import can
from assistant.analytics import charts, insights
from assistant.plan.cells import rows_csv
from assistant.web.common import brand_slug, lang, md, reviewer, services, shown_errors, t

svc = services()
ALL = "*"
actor = reviewer()
brands = {b.slug: b.profile.name for b in svc.brands(actor)}
# Table headers: row field -> catalogue key.
COLUMNS = {"platform": "insights.axis.platform", "week": "insights.axis.week", "items": "insights.items",
           "decided": "insights.col.decided", "approved": "insights.approved",
           "approval_rate": "insights.approval_rate", "ai_text_kept": "insights.ai_text_kept",
           "median": "insights.median", "mean": "insights.col.mean", "provider": "insights.axis.provider",
           "model": "insights.axis.model", "prompt_version": "insights.col.prompt_version",
           "brand": "insights.axis.brand", "month": "insights.axis.month", "drafts": "insights.col.drafts",
           "cost_usd": "insights.axis.cost", "tokens": "insights.col.tokens"}

st.title(t("insights.title"))
scope = st.radio(t("insights.scope"), [brand_slug(), ALL], horizontal=True, key="ins_scope",
                 format_func=lambda s: t("review.all") if s == ALL else md(brands[s]))  # radio labels are Markdown


def table(rows: Sequence[dict], fields: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([{t(COLUMNS[f]): r.get(f) for f in fields} for r in rows])


def section(title: str, key: str, rows: list[dict], chart: Callable[[list[dict]], object],
            shown: Callable[[list[dict]], pd.DataFrame]) -> None:
    st.subheader(title)
    if not rows:
        st.caption(t("insights.no_data"))
        return
    st.altair_chart(chart(rows), width="stretch")
    with st.expander(t("insights.table")):
        st.dataframe(shown(rows), hide_index=True, width="stretch")
        st.download_button(t("insights.csv"), rows_csv(rows), file_name=f"{key}.csv",
                           mime="text/csv", key=f"csv-{key}")


def durations(rows: list[dict]) -> list[dict]:
    return [{**r, "median": i18n.duration(r["median_seconds"], lang()),
             "mean": i18n.duration(r["mean_seconds"], lang())} for r in rows]


with shown_errors():
    facts = insights.facts(svc.review, brand=None if scope == ALL else scope, actor=actor)
    totals = insights.overall(facts)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("insights.items"), totals["items"])
    c2.metric(t("insights.approved"), totals["approved"])
    for col, key in ((c3, "approval_rate"), (c4, "ai_text_kept")):
        col.metric(t(f"insights.{key}"), "—" if totals[key] is None else i18n.percent(totals[key], lang()))
    rates = ("items", "decided", "approved", "approval_rate", "ai_text_kept")
    kept = charts.platforms(insights.by_platform(facts), svc.rules)
    section(t("insights.by_platform"), "by_platform", kept, lambda rows: charts.rates(rows, "platform", lang()),
            lambda rows: table(rows, ("platform", *rates)))
    weeks = [{**r, "week": charts.week_label(r["week"], lang())} for r in insights.over_time(facts)]
    section(t("insights.over_time"), "over_time", weeks, lambda rows: charts.rates(rows, "week", lang(), line=True),
            lambda rows: table(rows, ("week", *rates)))
    waits = durations(charts.platforms(insights.time_to_approval(facts), svc.rules))
    section(t("insights.time_to_approval"), "time_to_approval", waits,
            lambda rows: charts.approval_time(rows, lang()),
            lambda rows: table(rows, ("platform", "approved", "median", "mean")))
    section(t("insights.by_model"), "by_model", insights.by_model(facts), lambda rows: charts.by_model(rows, lang()),
            lambda rows: table(rows, ("provider", "model", "prompt_version", *rates)))
    costs = insights.cost_by_month(facts)
    section(t("insights.cost"), "cost_by_month", costs, lambda rows: charts.cost(rows, lang(), brands),
            lambda rows: table([{**r, "brand": brands.get(r["brand"], r["brand"])} for r in rows],
                               ("brand", "month", "drafts", "cost_usd", "tokens")))

st.divider()
st.subheader(t("report.header"))
from datetime import date  # noqa: E402

today = date.today()
months = [f"{today.year - (today.month - 1 - i < 0)}-{(today.month - 1 - i) % 12 + 1:02d}" for i in range(12)]
r1, r2, r3, r4, r5 = st.columns([2, 1.5, 2, 1.5, 2])
month = r1.selectbox(t("report.month"), months, key="rep_month")
report_lang = r2.radio(t("draft.language"), ["it", "en"], horizontal=True, key="rep_lang",
                       index=0 if st.session_state.get("ui_lang", "it") == "it" else 1)
report_brand = brand_slug() if scope == ALL else scope
# the internal version shows costs: only for those who may see them on the brand
audiences = ["internal", "client"] if can(actor, "view_costs", report_brand) else ["client"]
audience = r3.radio(t("report.audience"), audiences, horizontal=True, key="rep_audience",
                    format_func=lambda a: t(f"report.audience.{a}"))
fmt = r4.radio(t("calendar.format"), ["pdf", "html"], horizontal=True, key="rep_fmt")
with_notice = audience == "client" and st.checkbox(t("notice.in_report"), key="rep_notice")
if r5.button(t("report.build", brand=md(brands[report_brand])), key="rep_build", type="primary"):
    from assistant.analytics import report

    with shown_errors(), st.spinner(t("report.building")):
        data = report.build_report(svc, report_brand, month, language=report_lang, audience=audience)
        if with_notice:  # the client notice as a section of the client report
            from assistant.analytics.notice import build_notice

            data.notice = build_notice(svc, report_brand, month, report_lang, actor=actor)
        body = report.render_pdf(data, svc.settings.pdf_font) if fmt == "pdf" else report.render_html(data).encode("utf-8")
        suffix = "-client" if audience == "client" else ""
        st.session_state["rep_file"] = (f"{report_brand}-{month}{suffix}-{report_lang}.{fmt}", body,
                                        "application/pdf" if fmt == "pdf" else "text/html")
if st.session_state.get("rep_file"):
    name, body, mime = st.session_state["rep_file"]
    st.download_button(t("report.download", name=name), body, file_name=name, mime=mime, key="rep_download")

# The client notice (law 132/2025 art. 13): the AI used for the brand's content in the month, in
# the report's month and language.
st.subheader(t("notice.header"))
n1, n2 = st.columns([2, 3])
notice_fmt = n1.radio(t("calendar.format"), ["pdf", "html", "md"], horizontal=True, key="notice_fmt")
if n2.button(t("notice.build"), key="notice_build"):
    from assistant.analytics import notice

    with shown_errors(), st.spinner(t("notice.building")):
        notice_data = notice.build_notice(svc, report_brand, month, report_lang, actor=actor)
        st.session_state["notice_file"] = (notice.filename(notice_data, notice_fmt),
                                           notice.render(notice_data, notice_fmt, svc.settings.pdf_font),
                                           notice.MEDIA_TYPES[notice_fmt])
if st.session_state.get("notice_file"):
    name, body, mime = st.session_state["notice_file"]
    st.download_button(t("notice.download", name=name), body, file_name=name, mime=mime, key="notice_download")
