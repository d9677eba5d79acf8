"""Calendar: week and month views of scheduled and published posts (this brand or all), clash and
cadence warnings, best-time hints, scheduling and marking published, and exports."""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta

import streamlit as st

from assistant.db.engine import utcnow
from assistant.plan import calendar as planning
from assistant.plan import exports
from assistant.review.timing import ScheduleInPast
from assistant.text.urls import safe_link
from assistant.web.common import brand_slug, lang, md, md_values, reviewer, services, shown_errors, t, when
from assistant.web.publishing import link_html

svc = services()
queue = svc.review
slug = brand_slug()
profile = svc.brand(slug).profile
ALL = "*"
brands = {b.slug: b.profile for b in svc.brands(reviewer())}
WEEKDAYS = [t(f"weekday.{i}") for i in range(7)]
ICONS = {"published": "✅", "scheduled": "🕒", "publish_failed": "❌"}

st.title(t("calendar.title"))
c1, c2, c3 = st.columns([2, 2, 2])
scope = c1.radio(t("insights.scope"), [slug, ALL], horizontal=True, key="cal_scope",
                 format_func=lambda s: t("review.all") if s == ALL else md(brands[s].name))  # radio labels are Markdown
view = c2.radio(t("calendar.view"), ["week", "month"], horizontal=True, key="cal_view",
                format_func=lambda v: t(f"calendar.{v}"))
if "cal_goto" in st.session_state:  # after scheduling: the view moves to the planned day
    st.session_state["cal_date"] = st.session_state.pop("cal_goto")
st.session_state.setdefault("cal_date", date.today())
day = c3.date_input(t("calendar.date"), key="cal_date", format="DD/MM/YYYY")
start, end = planning.week_range(day) if view == "week" else planning.month_range(day)
profiles = list(brands.values()) if scope == ALL else [profile]

with shown_errors():
    plan = planning.plan_view(queue, profiles, start=start, end=end)
    for w in plan.warnings:
        readable = {**w.values, "brand": brands[w.brand].name if w.brand in brands else w.brand,
                    "platform": svc.rules[w.platform].label if w.platform in svc.rules else w.platform}
        st.warning(planning.render(w.message_key, lang(), md_values(readable)), icon="⏱️" if w.kind == "clash" else "📉")
    by_day: dict[date, list] = {}
    for e in plan.entries:
        by_day.setdefault(e.local.date(), []).append(e)

    def cell(d: date) -> str:
        items = sorted(by_day.get(d, []), key=lambda e: e.local)
        lines = [f"<div style='font-weight:600;color:{'#c33' if d == date.today() else '#333'}'>{d.day}</div>"]
        for e in items:
            icon = ICONS.get(e.state, "🕒")
            who = "" if scope != ALL else f"{html.escape(brands[e.brand].name)} · "
            # the live post: a link only for an http(s) address (never javascript: or data:)
            live = (f" · {link_html(e.published_url, t('calendar.live_link'))}"
                    if e.state == "published" and safe_link(e.published_url) else "")
            failed = (f" · <b style='color:#b00'>{html.escape(t('calendar.failed'))}</b>"
                      if e.state == "publish_failed" else "")
            lines.append(f"<div style='font-size:0.8rem;margin-top:4px;padding:3px 5px;border-radius:6px;"
                         f"background:#f3f5f9'>{icon} {e.local:%H:%M} {who}{html.escape(svc.rules[e.platform].label)}"
                         f"{failed}{live}<br><span style='color:#666'>{html.escape(e.snippet)}</span></div>")
        return "".join(lines)

    header = st.columns(7)
    for i, name in enumerate(WEEKDAYS):
        header[i].markdown(f"**{name}**")
    current = start
    while current <= end:
        row = st.columns(7)
        for i in range(7):
            d = date.fromordinal(current.toordinal() + i)
            with row[i].container(border=True, height=170 if view == "month" else 320):
                if view == "week" or d.month == day.month:
                    st.html(cell(d))
        current = date.fromordinal(current.toordinal() + 7)
    st.caption(t("calendar.count", n=len(plan.entries), start=f"{start:%d/%m}", end=f"{end:%d/%m/%Y}",
                 tz=md(profile.timezone)))

tab_schedule, tab_best, tab_export = st.tabs([t("calendar.tab_schedule"), t("calendar.tab_best"),
                                              t("calendar.tab_export")])
who = reviewer()


def past_offer(item_id: int, at: datetime, now: datetime) -> None:
    """A time already past was refused: the reason in the reader's language, and the way out if
    the post already went out: mark it published at that time, with the live post's link."""
    st.error(md(ScheduleInPast(item_id, at, now, profile.timezone).localised(lang())), icon="⚠️")
    st.info(t("calendar.past_offer", at=md(when(at, profile.timezone))), icon="✅")
    live = st.text_input(t("calendar.live_url"), key="cal_past_url", placeholder="https://")
    if st.button(t("calendar.mark_published_at"), key="cal_past_mark", disabled=not live):
        with shown_errors():
            planning.mark_published(queue, item_id, by=who, url=live, at=at, tz=profile.timezone)
            st.session_state.pop("cal_past", None)
            st.session_state["cal_published"] = item_id
            st.rerun()


with tab_schedule:
    if (done := st.session_state.pop("cal_published", None)) is not None:
        st.success(t("calendar.published", id=done))
    approved = queue.list_items(state="approved", brand=slug, per_page=200).items
    scheduled = queue.list_items(state="scheduled", brand=slug, per_page=200).items
    failed = queue.list_items(state="publish_failed", brand=slug, per_page=200).items  # scheduling again retries
    candidates = approved + scheduled + failed
    if candidates:
        pick = st.selectbox(t("calendar.item"), [i.id for i in candidates], key="cal_item",
                            format_func=lambda i: next(f"#{c.id} · {svc.rules[c.platform].label} · "
                                                       f"{t('state.' + c.state)} · {c.text[:60]}"
                                                       for c in candidates if c.id == i))
        d1, d2 = st.columns(2)
        local_now = planning.to_local(utcnow(), profile.timezone)  # the brand's today: 18:00 today, or tomorrow
        first_day = local_now.date() + timedelta(days=local_now.hour >= 18)
        when_day = d1.date_input(t("calendar.day"), value=first_day, key="cal_when_day", format="DD/MM/YYYY")
        when_time = d2.time_input(t("calendar.time", tz=md(profile.timezone)), value=time(18, 0), step=300,
                                  key="cal_when_time")
        if st.button(t("calendar.schedule"), key="cal_schedule", type="primary", disabled=not who):
            st.session_state.pop("cal_past", None)
            with shown_errors():
                try:
                    planning.schedule(queue, pick, datetime.combine(when_day, when_time), tz=profile.timezone, by=who)
                except ScheduleInPast as refused:  # kept for the next run: the offer's button reruns the page
                    st.session_state["cal_past"] = (refused.item_id, refused.at, refused.now)
                else:
                    st.session_state["cal_scheduled"], st.session_state["cal_goto"] = pick, when_day
                    st.rerun()
        if (done := st.session_state.pop("cal_scheduled", None)) is not None:
            st.success(t("calendar.scheduled", id=done))
        if (refusal := st.session_state.get("cal_past")) and refusal[0] == pick:
            past_offer(*refusal)
    else:
        st.caption(t("calendar.nothing_to_schedule"))
    if scheduled:
        st.divider()
        pub = st.selectbox(t("calendar.published_item"), [i.id for i in scheduled], key="cal_pub",
                           format_func=lambda i: f"#{i}")
        url = st.text_input(t("calendar.live_url"), key="cal_url", placeholder="https://")
        if st.button(t("calendar.mark_published"), key="cal_mark", disabled=not who or not url):
            with shown_errors():
                planning.mark_published(queue, pub, by=who, url=url, tz=profile.timezone)
                st.rerun()

with tab_best:
    with shown_errors():
        for hint in planning.brand_best_times(svc.knowledge, profile):
            label = svc.rules[hint.platform].label if hint.platform in svc.rules else hint.platform
            if hint.slots:
                slots = ", ".join(f"{WEEKDAYS[s.weekday]} {s.hour:02d}:00 ({t('calendar.posts', n=s.posts)})"
                                  for s in hint.slots)
                st.markdown(f"**{md(label)}**: {slots} · {t('calendar.sample', n=hint.sample)}")
            else:
                st.caption(planning.render(hint.reason, lang(), md_values({**hint.values, "platform": label}))
                           if hint.reason else md(label))

with tab_export:
    fmt = st.selectbox(t("calendar.format"), list(exports.FORMATS), key="cal_fmt",
                       format_func=lambda f: t(f"export.format.{f}"))
    platform = None
    if fmt in exports.SCHEDULERS:
        platform = st.selectbox(t("review.platform"), profile.platforms, key="cal_fmt_platform",
                                format_func=lambda p: svc.rules[p].label)
    with shown_errors():
        data, report = exports.export(queue, profile, fmt, platform=platform)
        for problem in report.problems:
            (st.error if problem.severity == "error" else st.warning)(
                planning.render(f"export.{problem.code}", lang(), md_values(problem.values)))
        if report.notes:
            st.caption(md(report.notes))
        st.download_button(t("calendar.download", n=len(report.item_ids)), data, key="cal_download",
                           file_name=report.filename, mime=report.media_type)
