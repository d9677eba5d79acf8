"""What the sidebar tells the signed-in person about publishing: their unread notifications (a
badge with how many, the messages in the reader's language, the catalogue's
`notification.<kind>` with its values escaped: a network's reason or a handle is foreign text,
and "mark read", one or all), and the brand's connected accounts that need reconnecting."""

from __future__ import annotations

import streamlit as st

from assistant.accounts import Actor, can
from assistant.i18n import CATALOGUE
from assistant.publishing.notifications import NotificationPublic
from assistant.web.common import md, md_values, services, show_text, t, when
from assistant.web.publishing import reason_text


def message(note: NotificationPublic) -> str:
    """The notification as Markdown in the reader's language, every value escaped."""
    key = f"notification.{note.kind}"
    if key not in CATALOGUE["en"]:  # both catalogues hold the same keys (a test checks)
        return md(note.kind.replace("_", " "))
    params = {k: v for k, v in note.params.items() if k not in ("reason_code", "reason_params")}
    if "reason" in params:
        params["reason"] = reason_text(note.params, str(params["reason"]))
    return t(key, **md_values(params))


def notifications_panel(actor: Actor) -> None:
    """Nothing when there is nothing unread; else the badge, the list and the buttons."""
    svc = services()
    if actor.user_id is None:
        return
    notes = svc.notifications.unread(actor)
    if not notes:
        return
    with st.sidebar.expander(t("notify.badge", n=len(notes)), expanded=True):
        for note in notes:
            st.markdown(f"{message(note)}  \n_{md(when(note.created_at))}_")
            if st.button(t("notify.mark_read"), key=f"notify_read_{note.id}"):
                svc.notifications.mark_read(actor, [note.id])
                st.rerun()
        if len(notes) > 1 and st.button(t("notify.mark_all_read"), key="notify_read_all"):
            svc.notifications.mark_read(actor)
            st.rerun()


def reconnect_banner(actor: Actor, slug: str) -> None:
    """A connected account of the brand whose secret the network refused: its posts wait, untried."""
    if not can(actor, "view", slug):
        return
    for c in services().connections.list(slug, actor=actor):
        if c.status == "needs_reconnect":
            st.sidebar.warning(t("accounts.sidebar_reconnect", id=c.id, network=md(c.network)), icon="🔌")
            with st.sidebar:
                show_text(c.status_reason or "-", muted=True)  # the network's words, as text
