"""Copydesk web app: sidebar (language, brand, reviewer), provider banner, and the pages.
Thin: builds services once; every page makes one library call per user action."""

from __future__ import annotations

import streamlit as st

from assistant.errors import AssistantError
from assistant.i18n import LANGUAGES
from ui.common import brand_slug, services, t

st.set_page_config(page_title="Copydesk", page_icon="✍️", layout="wide")


def sidebar() -> bool:
    """Returns False when there is no brand to work on."""
    st.sidebar.radio("🌐", list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True, key="ui_lang",
                     label_visibility="collapsed")
    svc = services()
    try:
        brands = svc.brands()
    except AssistantError as exc:
        st.error(t("error.prefix", message=exc))
        return False
    if not brands:
        st.warning(t("sidebar.no_brands", path=svc.settings.brands_dir))
        return False
    names = {b.slug: b.profile.name for b in brands}
    if st.session_state.get("brand") not in names:
        st.session_state["brand"] = next(iter(names))
    st.sidebar.selectbox(t("sidebar.brand"), list(names), format_func=names.get, key="brand")
    st.sidebar.text_input(t("sidebar.reviewer"), key="reviewer_name", placeholder=t("sidebar.reviewer_placeholder"))
    return True


def provider_banner() -> None:
    svc = services()
    try:
        info = svc.provider.describe()
    except AssistantError as exc:
        st.sidebar.error(t("banner.provider_error", message=exc))
        return
    st.sidebar.caption(t("banner.provider", provider=info["provider"], model=info["model"]))
    if info["demo_model"]:
        st.sidebar.info(t("banner.demo_model"), icon="ℹ️")


def main() -> None:
    ready = sidebar()
    pages = [
        st.Page("ui/draft_page.py", title=t("nav.draft"), icon="✍️", default=True),
        st.Page("ui/review_page.py", title=t("nav.review"), icon="✅"),
        st.Page("ui/calendar_page.py", title=t("nav.calendar"), icon="🗓️"),
        st.Page("ui/library_page.py", title=t("nav.library"), icon="📚"),
        st.Page("ui/insights_page.py", title=t("nav.insights"), icon="📈"),
    ]
    page = st.navigation(pages)
    if ready and brand_slug():
        provider_banner()
        page.run()


main()
