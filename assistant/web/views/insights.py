"""Insights: approval and AI-text-kept per platform and over time, time to approval, drafts per
provider/model, token cost per brand per month. Every chart has its table and a CSV download."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from assistant.analytics import insights
from assistant.plan.cells import rows_csv
from assistant.web.common import brand_slug, md, reviewer, services, shown_errors, t

svc = services()
ALL = "*"
actor = reviewer()
brands = {b.slug: b.profile.name for b in svc.brands(actor)}

st.title(t("insights.title"))
scope = st.radio(t("insights.scope"), [brand_slug(), ALL], horizontal=True, key="ins_scope",
                 format_func=lambda s: t("review.all") if s == ALL else md(brands[s]))  # radio labels are Markdown


def section(title: str, key: str, rows: list[dict], chart) -> None:
    st.subheader(title)
    if not rows:
        st.caption(t("insights.no_data"))
        return
    df = pd.DataFrame(rows)
    st.altair_chart(chart(df), width="stretch")
    with st.expander(t("insights.table")):
        st.dataframe(df, hide_index=True, width="stretch")
        st.download_button(t("insights.csv"), rows_csv(rows), file_name=f"{key}.csv",
                           mime="text/csv", key=f"csv-{key}")


with shown_errors():
    facts = insights.facts(svc.review, brand=None if scope == ALL else scope, actor=actor)
    totals = insights.overall(facts)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("insights.items"), totals["items"])
    c2.metric(t("insights.approved"), totals["approved"])
    for col, key in ((c3, "approval_rate"), (c4, "ai_text_kept")):
        col.metric(t(f"insights.{key}"), "—" if totals[key] is None else f"{totals[key]:.0%}")
    kept = insights.by_platform(facts)

    def rates(df: pd.DataFrame, by: str) -> pd.DataFrame:
        """Long form with translated metric names, for a two-series chart."""
        long = df.melt(id_vars=[by], value_vars=["approval_rate", "ai_text_kept"], var_name="metric")
        long["metric"] = long["metric"].map({"approval_rate": t("insights.approval_rate"),
                                             "ai_text_kept": t("insights.ai_text_kept")})
        return long

    x_axis = alt.Axis(labelAngle=0)
    section(t("insights.by_platform"), "by_platform", kept, lambda df: alt.Chart(rates(df, "platform")).mark_bar()
            .encode(x=alt.X("platform:N", title=None, axis=x_axis), xOffset="metric:N",
                    y=alt.Y("value:Q", axis=alt.Axis(format="%"), title=None),
                    color=alt.Color("metric:N", title=None, legend=alt.Legend(orient="bottom"))))
    section(t("insights.over_time"), "over_time", insights.over_time(facts), lambda df: alt.Chart(
        rates(df, "week")).mark_line(point=True).encode(
        x=alt.X("week:N", title=None, axis=x_axis), y=alt.Y("value:Q", axis=alt.Axis(format="%"), title=None),
        color=alt.Color("metric:N", title=None, legend=alt.Legend(orient="bottom"))))
    section(t("insights.time_to_approval"), "time_to_approval", insights.time_to_approval(facts),
            lambda df: alt.Chart(df).mark_bar().encode(
                x=alt.X("platform:N", title=None, axis=x_axis),
                y=alt.Y("median_hours:Q", title=t("insights.hours"), axis=alt.Axis(format=".2f"))))
    section(t("insights.by_model"), "by_model", insights.by_model(facts), lambda df: alt.Chart(df).mark_bar().encode(
        x=alt.X("items:Q", title=t("insights.drafts")), y=alt.Y("model:N", title=None), color="provider:N"))
    section(t("insights.cost"), "cost_by_month", insights.cost_by_month(facts), lambda df: alt.Chart(df).mark_bar().encode(
        x=alt.X("month:N", title=None, axis=x_axis), y=alt.Y("cost_usd:Q", title="USD", axis=alt.Axis(format="$.4f")),
        color=alt.Color("brand:N", title=None)))

st.divider()
st.subheader(t("report.header"))
from datetime import date  # noqa: E402

today = date.today()
months = [f"{today.year - (today.month - 1 - i < 0)}-{(today.month - 1 - i) % 12 + 1:02d}" for i in range(12)]
r1, r2, r3, r4 = st.columns([2, 1.5, 1.5, 2])
month = r1.selectbox(t("report.month"), months, key="rep_month")
report_lang = r2.radio(t("draft.language"), ["it", "en"], horizontal=True, key="rep_lang",
                       index=0 if st.session_state.get("ui_lang", "it") == "it" else 1)
fmt = r3.radio(t("calendar.format"), ["pdf", "html"], horizontal=True, key="rep_fmt")
report_brand = brand_slug() if scope == ALL else scope
if r4.button(t("report.build", brand=md(brands[report_brand])), key="rep_build", type="primary"):
    from assistant.analytics import report

    with shown_errors(), st.spinner(t("report.building")):
        data = report.build_report(svc, report_brand, month, language=report_lang)
        body = report.render_pdf(data, svc.settings.pdf_font) if fmt == "pdf" else report.render_html(data).encode("utf-8")
        st.session_state["rep_file"] = (f"{report_brand}-{month}-{report_lang}.{fmt}", body,
                                        "application/pdf" if fmt == "pdf" else "text/html")
if st.session_state.get("rep_file"):
    name, body, mime = st.session_state["rep_file"]
    st.download_button(t("report.download", name=name), body, file_name=name, mime=mime, key="rep_download")
