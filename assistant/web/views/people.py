"""People: everyone changes their own password here; administrators see the users, add them, give
and take roles per brand, disable accounts, and read the account log (sign-ins, failures, locks)."""

from __future__ import annotations

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from assistant.accounts import ROLES
from assistant.web.common import md, reviewer, services, shown_errors, t

svc = services()
me = reviewer()
ALL = "*"


def event_label(action: str, data: dict | None) -> str:
    """An account event in the reader's language; a refusal by a brand's policy names the brand,
    the provider and its host, and what it was for."""
    if action != "provider_refused":
        return t(f"event.{action}")
    d = data or {}
    return t("event.provider_refused", brand=d.get("brand", ""), provider=d.get("provider", ""),
             host=d.get("host", "-"), use=t(f"policy.use.{d.get('use', 'drafting')}"))


st.title(t("people.title"))
with st.expander(t("people.my_password")):
    new = st.text_input(t("auth.password"), type="password", key="pw_new")
    again = st.text_input(t("auth.password_again"), type="password", key="pw_again")
    if st.button(t("people.change_password"), key="pw_change", disabled=me.user_id is None):
        if new != again:
            st.error(t("auth.passwords_differ"))
        else:
            with shown_errors():
                svc.people.set_password(me.username, new, by=me)
                st.success(t("people.password_changed"))
with st.expander(t("people.my_preferences")):
    zones = ["", *sorted(available_timezones())]
    current = me.timezone if me.timezone in zones else ""
    zone = st.selectbox(t("people.my_zone"), zones, index=zones.index(current), key="pref_zone",
                        format_func=lambda z: z or t("people.zone_of_brand"), help=t("people.my_zone_help"))
    if st.button(t("people.save_preferences"), key="pref_save", disabled=me.user_id is None):
        with shown_errors():
            st.session_state["actor"] = svc.people.set_preferences(me, timezone=zone)
            st.success(t("people.preferences_saved"))
if not me.is_admin:
    st.caption(t("people.admins_only"))
    st.stop()

brands = {b.slug: b.profile.name for b in svc.brands()}


def where(brand: str) -> str:
    return t("review.all") if brand == ALL else brands.get(brand, brand)


users = svc.people.list()
if st.session_state.get("people_added"):
    st.success(t("people.added", name=md(st.session_state.pop("people_added"))))
st.dataframe(pd.DataFrame([{
    t("auth.username"): u.username, t("auth.name"): u.name, t("people.email"): u.email or "",
    t("people.roles"): ", ".join(f"{t('role.' + g.role)} · {where(g.brand)}" for g in u.grants),
    t("people.active"): t("common.yes") if u.active else t("common.no"),
    t("people.last_login"): f"{u.last_login_at:%Y-%m-%d %H:%M} UTC" if u.last_login_at else ""} for u in users]),
    hide_index=True, width="stretch")

tab_add, tab_roles, tab_log = st.tabs([t("people.add"), t("people.tab_roles"), t("people.tab_log")])
with tab_add, st.form("people_add", clear_on_submit=True):
    c1, c2 = st.columns(2)
    username = c1.text_input(t("auth.username"))
    name = c2.text_input(t("auth.name"))
    email = c1.text_input(t("auth.email"))
    password = c2.text_input(t("people.first_password"), type="password", help=t("people.first_password_help"))
    role = c1.selectbox(t("people.role"), ROLES, format_func=lambda r: t(f"role.{r}"), index=ROLES.index("editor"))
    on = c2.multiselect(t("people.brands"), list(brands), format_func=brands.get, help=t("people.brands_help"))
    if st.form_submit_button(t("people.add"), type="primary"):
        with shown_errors():
            added = svc.people.add(username, name=name, email=email or None, password=password or None,
                                   grants=[(role, b) for b in on] or [(role, None)], by=me)
            st.session_state["people_added"] = added.name
            st.rerun()  # the table and the lists above show the new person

with tab_roles:
    names = [u.username for u in users]
    who = st.selectbox(t("people.user"), names, key="roles_user")
    c1, c2 = st.columns(2)
    role = c1.selectbox(t("people.role"), ROLES, format_func=lambda r: t(f"role.{r}"), key="roles_role")
    brand = c2.selectbox(t("people.brand"), [ALL, *brands], format_func=where, key="roles_brand")
    b1, b2, b3 = st.columns(3)
    with shown_errors():
        if b1.button(t("people.grant"), key="roles_grant"):
            svc.people.grant(who, role, None if brand == ALL else brand, by=me)
            st.rerun()
        if b2.button(t("people.revoke"), key="roles_revoke"):
            svc.people.revoke(who, role, None if brand == ALL else brand, by=me)
            st.rerun()
        chosen = next(u for u in users if u.username == who)
        if b3.button(t("people.disable") if chosen.active else t("people.enable"), key="roles_active"):
            svc.people.set_active(who, not chosen.active, by=me)
            st.rerun()

with tab_log:
    ids = {u.id: u.username for u in users}
    st.dataframe(pd.DataFrame([{
        t("review.when"): f"{e.at:%Y-%m-%d %H:%M:%S} UTC", t("review.action"): event_label(e.action, e.data),
        t("people.user"): ids.get(e.user_id, "") if e.user_id else "",
        t("review.who"): ids.get(e.actor_id) or (e.data or {}).get("by", ""),
        t("people.address"): e.address or ""} for e in svc.people.events(limit=300)]), hide_index=True, width="stretch")
