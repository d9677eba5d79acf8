"""Connected accounts of the chosen brand: the Mastodon and Bluesky accounts its approved posts are
published to. Everyone on the brand's staff sees the list (network, address, account, status,
the last test); whoever may publish tests a connection; only an administrator of the brand
connects, reconnects or removes one (the library checks, the page only hides the forms). A
secret is typed into a password field, sent to the library once and never shown back: the form
clears itself, and nothing on the page holds it. Addresses, handles and the networks' answers
are foreign text: shown as text."""

from __future__ import annotations

import streamlit as st

from assistant.accounts import can
from assistant.publishing.connections import DEFAULT_SERVICE, NETWORKS, ConnectionPublic
from assistant.web.common import (
    brand_slug,
    md,
    reviewer,
    services,
    show_text,
    shown_errors,
    t,
    when,
)

svc = services()
slug = brand_slug()
who = reviewer()
brand = svc.brand(slug)
admin = can(who, "manage_brands", slug)
tester = can(who, "publish", slug)
NOTICE = "acc_notice"  # (kind, message): what the last action did, shown after the rerun
FORM_N = "acc_form_n"  # the add form's generation: its fields get new keys after each connection


def network_label(network: str) -> str:
    rule = svc.rules.get(network)
    return rule.label if rule else network


def done(kind: str, message: str) -> None:
    st.session_state[NOTICE] = (kind, message)
    st.rerun()


def last_test(c: ConnectionPublic) -> None:
    if c.last_tested_at is None:
        st.caption(f"{t('accounts.last_test')}: {t('accounts.never_tested')}")
        return
    at = md(when(c.last_tested_at, brand.profile.timezone))
    st.caption(t("accounts.test_ok" if c.last_test_ok else "accounts.test_failed", at=at))
    show_text(c.last_test_message or "-", muted=True)


def account_actions(c: ConnectionPublic) -> None:
    if tester and st.button(t("accounts.test"), key=f"acc_test_{c.id}"):
        with shown_errors():
            tested = svc.connections.test(c.id, by=who)
            done("success" if tested.last_test_ok else "error",
                 t("accounts.tested_ok" if tested.last_test_ok else "accounts.tested_failed", id=c.id))
    if not admin:
        return
    with st.expander(t("accounts.reconnect")):
        n = st.session_state.setdefault(FORM_N, 0)
        with st.form(f"acc_reconnect_{c.id}_{n}", clear_on_submit=True):
            secret = st.text_input(t("accounts.token" if c.network == "mastodon" else "accounts.app_password"),
                                   type="password", key=f"acc_reconnect_secret_{c.id}_{n}")
            if st.form_submit_button(t("accounts.reconnect_button")):
                with shown_errors():
                    svc.connections.reconnect(c.id, secret=secret, by=who)
                    st.session_state.pop(f"acc_reconnect_secret_{c.id}_{n}", None)
                    st.session_state[FORM_N] = n + 1
                    done("success", t("accounts.reconnected", id=c.id))
    sure = st.checkbox(t("accounts.remove_confirm", id=c.id), key=f"acc_remove_sure_{c.id}")
    if st.button(t("accounts.remove"), key=f"acc_remove_{c.id}", disabled=not sure):
        with shown_errors():
            svc.connections.remove(c.id, by=who)
            st.session_state.pop(f"acc_remove_sure_{c.id}", None)
            done("success", t("accounts.removed", id=c.id))


def account(c: ConnectionPublic) -> None:
    with st.container(border=True):
        st.markdown(f"**#{c.id} · {md(network_label(c.network))}** · {t('accounts.status')}: "
                    f"{t('accounts.status.' + c.status)}")
        st.caption(f"{t('accounts.address')} · {t('accounts.handle')}")
        show_text(f"{c.base_url} · @{c.handle}" if c.handle else c.base_url)
        if c.status == "needs_reconnect":
            st.warning(t("accounts.needs_reconnect", id=c.id, network=md(network_label(c.network))), icon="🔌")
            show_text(c.status_reason or "-")
        last_test(c)
        account_actions(c)


def add_form() -> None:
    """The secret's field is new after each connection (its key changes): nothing keeps the value."""
    st.subheader(t("accounts.add_title"))
    network = st.radio(t("accounts.add_network"), list(NETWORKS), horizontal=True, key="acc_network",
                       format_func=network_label)
    n = st.session_state.setdefault(FORM_N, 0)
    with st.form(f"acc_add_{n}", clear_on_submit=True):
        handle = ""
        if network == "mastodon":
            url = st.text_input(t("accounts.instance"), key=f"acc_url_{network}_{n}",
                                placeholder="https://mastodon.social")
            secret = st.text_input(t("accounts.token"), type="password", key=f"acc_secret_{network}_{n}",
                                   help=t("accounts.token_help"))
        else:
            handle = st.text_input(t("accounts.bluesky_handle"), key=f"acc_handle_{network}_{n}",
                                   placeholder="brand.bsky.social")
            url = st.text_input(t("accounts.service"), key=f"acc_url_{network}_{n}", value=DEFAULT_SERVICE["bluesky"])
            secret = st.text_input(t("accounts.app_password"), type="password", key=f"acc_secret_{network}_{n}",
                                   help=t("accounts.app_password_help"))
        if st.form_submit_button(t("accounts.add"), type="primary"):
            with shown_errors():
                made = svc.connections.add(slug, network, secret=secret, by=who, base_url=url or None, handle=handle)
                for field in ("url", "secret", "handle"):
                    st.session_state.pop(f"acc_{field}_{network}_{n}", None)
                st.session_state[FORM_N] = n + 1
                done("success", t("accounts.added", id=made.id))


st.title(t("accounts.title", brand=md(brand.profile.name)))
st.caption(t("accounts.help"))
if (notice := st.session_state.pop(NOTICE, None)) is not None:
    getattr(st, notice[0])(notice[1])
with shown_errors():
    connections = svc.connections.list(slug, actor=who)
    if not connections:
        st.info(t("accounts.empty"), icon="📤")
    for c in connections:
        account(c)
if not tester and connections:
    st.caption(t("accounts.no_publish", roles=", ".join(t(f"role.{r}") for r in sorted(who.roles_on(slug)))))
if admin:
    add_form()
else:
    st.caption(t("accounts.admin_only"))
