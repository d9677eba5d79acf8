"""Publishing on an item's view: where it stands (live since, with a link only when the recorded
address is http(s); or "publish failed" with the network's reason, the attempts and how to try
again), the "Publish now" button with what each connected account answered, and the outbox's
jobs of the item (worker, response id, attempts) beside its history.

The network's reasons, handles and addresses are foreign text: shown as text, never as Markdown
or HTML; a live post's address becomes a link only through `assistant.text.urls.safe_link`."""

from __future__ import annotations

import html
import os
import socket

import pandas as pd
import streamlit as st

from assistant.accounts import Actor, can
from assistant.i18n import CATALOGUE
from assistant.publishing.outbox import PUBLISHABLE, JobPublic, Outcome
from assistant.review.schemas import ItemView
from assistant.text.urls import safe_link
from assistant.web.common import md, services, show_text, shown_errors, t, when

OUTCOMES = "pub_outcomes"  # {item id: [(result, account id, reason, next try)]}: shown after the rerun


def app_worker() -> str:
    """Who publishes when a person presses "Publish now" here: this app process (the audit names it)."""
    return f"app:{socket.gethostname()}:{os.getpid()}"


def link_html(url: object, text: str) -> str:
    """An anchor for an http(s) address, else the address escaped as text (never a `javascript:` href)."""
    safe = safe_link(url)
    if safe is None:
        return html.escape(str(url or ""))
    return (f"<a href=\"{html.escape(safe, quote=True)}\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">"
            f"{html.escape(text)}</a>")


def live_line(view: ItemView, tz: str | None) -> None:
    """A published item: since when, and its live post (a link only if the address is http(s))."""
    if view.state != "published" or not view.published_url:
        return
    moment = md(when(view.published_at, tz))
    if safe_link(view.published_url) is None:
        st.caption(t("publish.live", at=moment) + " " + t("publish.not_a_link"))
        show_text(view.published_url)
        return
    st.html(f"<div>✅ {html.escape(t('publish.live', at=when(view.published_at, tz)))} "
            f"{link_html(view.published_url, t('publish.live_link'))} "
            f"<span style='color:#666'>{html.escape(view.published_url)}</span></div>")


def reason_text(said: dict | None, fallback: str) -> str:
    """A publish failure's reason in the reader's language when the publisher gave it as a
    catalogue code (`reason_code`, `reason_params`), else as recorded (the network's own words)."""
    code = (said or {}).get("reason_code")
    if code and f"error.{code}" in CATALOGUE["en"]:
        return t(f"error.{code}", **dict((said or {}).get("reason_params") or {}))
    return fallback


def failed_box(view: ItemView) -> None:
    """A publish that failed: the state, the network's reason (the audit's note), the attempts, the way out."""
    if view.state != "publish_failed":
        return
    event = next((a for a in reversed(view.audit) if a.action == "publish_failed"), None)
    attempts = int((event.data or {}).get("attempts") or 0) if event else 0
    st.error(t("publish.failed_title", attempts=t("publish.attempts", n=attempts)), icon="🛑")
    note = (event.note or "-") if event else "-"
    said = reason_text(event.data if event else None, note)
    show_text(said)
    if said != note:  # in the reader's language above; the network's own words, as recorded, below
        show_text(note, muted=True)
    st.info(t("publish.failed_again"), icon="🔁")


def status_panel(view: ItemView, tz: str | None) -> None:
    """What the item's header shows about publishing."""
    live_line(view, tz)
    failed_box(view)


def _remember(item_id: int, outcomes: list[Outcome]) -> None:
    st.session_state[OUTCOMES] = {item_id: [(o.result, o.job.connection_id, o.reason, o.job.next_attempt_at)
                                            for o in outcomes]}


def _show_outcomes(item_id: int, tz: str | None) -> None:
    """What each account answered to the last "Publish now" of this item (shown once)."""
    svc = services()
    for result, account, reason, next_try in st.session_state.get(OUTCOMES, {}).pop(item_id, []):
        if result == "published":
            st.success(t("publish.result.published", id=account), icon="✅")
            continue
        if result == "waiting":
            conn = svc.connections.get(account)
            if conn.status != "active":
                st.warning(t("publish.result.waiting_reconnect", id=account), icon="🔌")
                show_text(conn.status_reason or "-")
            else:
                st.info(t("publish.result.waiting", id=account), icon="⏳")
            continue
        shown = {"retry": (st.warning, "publish.result.retry", "⏳"),
                 "failed": (st.error, "publish.result.failed", "🛑")}
        box, key, icon = shown.get(result, (st.info, "publish.result.cancelled", "ℹ️"))
        box(t(key, id=account, at=md(when(next_try, tz))), icon=icon)
        show_text(reason or "-")


def publish_now_panel(view: ItemView, who: Actor, tz: str | None) -> None:
    """The "Publish now" button (approved, scheduled or publish-failed items, for whoever may publish)."""
    st.markdown(f"**{t('publish.title')}**")
    _show_outcomes(view.id, tz)
    if view.state not in PUBLISHABLE or view.archived:
        if view.state not in ("published",):
            st.caption(t("publish.not_yet"))
        return
    if not can(who, "publish", view.brand):
        st.caption(t("publish.cannot"))
        return
    if st.button(t("publish.now"), key=f"pub_now_{view.id}", help=t("publish.now_help"), type="primary"):
        with shown_errors():
            _remember(view.id, services().outbox.publish_now(view.id, by=who, worker=app_worker()))
            st.rerun()


def _job_row(job: JobPublic, accounts: dict[int, str], tz: str | None) -> dict[str, object]:
    return {t("publish.job.account"): accounts.get(job.connection_id, f"#{job.connection_id}"),
            t("publish.job.round"): job.round, t("publish.job.state"): t(f"publish.job.state.{job.state}"),
            t("publish.job.attempts"): job.attempts,
            t("publish.job.worker"): job.published_by or job.claimed_by or "",
            t("publish.job.response"): job.remote_id or "", t("publish.job.due"): when(job.due_at, tz),
            t("publish.job.error"): job.last_error or ""}


def jobs_table(view: ItemView, who: Actor, tz: str | None) -> None:
    """The outbox's rows of the item (cells of a data frame are text: nothing in them renders)."""
    svc = services()
    jobs = svc.outbox.jobs(item_id=view.id)
    if not jobs:
        return
    accounts = {c.id: f"#{c.id} {c.network} @{c.handle}" if c.handle else f"#{c.id} {c.network}"
                for c in svc.connections.list(view.brand, actor=who, removed=True)}
    st.markdown(f"**{t('publish.jobs')}**")
    st.dataframe(pd.DataFrame([_job_row(j, accounts, tz) for j in jobs]), hide_index=True, width="stretch")
