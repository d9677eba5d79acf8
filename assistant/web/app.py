"""Copydesk web app, the shell: sidebar (language, brand, reviewer), provider banner, and the pages.
Thin: builds services once; every page makes one library call per user action."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.errors import AssistantError
from assistant.i18n import LANGUAGES
from assistant.web.common import brand_slug, md, services, startup_notes, t

PAGES = Path(__file__).resolve().parent / "pages"


def sidebar() -> bool:
    """Returns False when there is no brand to work on."""
    st.sidebar.radio("🌐", list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True, key="ui_lang",
                     label_visibility="collapsed")
    svc = services()
    for note in startup_notes():
        st.sidebar.info(t("banner.index_repaired", note=md(note)), icon="🩺")
    try:
        brands = svc.brands()
    except AssistantError as exc:
        st.error(t("error.prefix", message=md(exc)))
        return False
    if not brands:
        st.warning(t("sidebar.no_brands", path=md(svc.settings.brands_dir)))
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
        st.sidebar.error(t("banner.provider_error", message=md(exc)))
        return
    st.sidebar.caption(t("banner.provider", provider=md(info["provider"]), model=md(info["model"])))
    if info["demo_model"]:
        st.sidebar.info(t("banner.demo_model"), icon="ℹ️")


def main() -> None:
    st.set_page_config(page_title="Copydesk", page_icon="✍️", layout="wide")
    ready = sidebar()
    pages = [
        st.Page(PAGES / "draft.py", title=t("nav.draft"), icon="✍️", default=True),
        st.Page(PAGES / "review.py", title=t("nav.review"), icon="✅"),
        st.Page(PAGES / "calendar.py", title=t("nav.calendar"), icon="🗓️"),
        st.Page(PAGES / "library.py", title=t("nav.library"), icon="📚"),
        st.Page(PAGES / "insights.py", title=t("nav.insights"), icon="📈"),
    ]
    page = st.navigation(pages)
    if ready and brand_slug():
        provider_banner()
        page.run()


if __name__ == "__main__":  # `streamlit run assistant/web/app.py` (what `assistant app` does)
    main()
