"""Copydesk web app, the shell: sign-in gate, sidebar (language, who is signed in, brand), provider
banner, and the pages the person's roles open. Thin: builds services once; every page makes one
library call per user action, as the signed-in person (`common.reviewer()`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.accounts import Actor, can
from assistant.errors import AssistantError, ProviderNotAllowed
from assistant.i18n import LANGUAGES
from assistant.web.notifications import notifications_panel, reconnect_banner
from assistant.web.progress import reembed_if_needed
from assistant.web.server import no_magic
from assistant.web.voice import learn_voice
from assistant.web.common import (brand_slug, current_actor, md, oidc_configured, oidc_email, services, sign_out,
                                  say, startup_notes, t)

PAGES = Path(__file__).resolve().parent / "views"  # not pages/: Streamlit would run it as a v1 multipage app


def gate() -> None:
    """Nobody signed in: the first administrator's setup, or the sign-in page (and OpenID Connect)."""
    svc = services()
    lang = st.session_state.get("ui_lang", "it")
    st.title("Copydesk")
    if svc.people.count() == 0:
        st.info(t("auth.no_users"), icon="👋")
        st.link_button(t("auth.setup_button"), f"/account/setup?lang={lang}", type="primary")
        return
    email = oidc_email()
    if email:
        st.error(t("auth.oidc_unknown", email=md(email)))
        if st.button(t("auth.signout")):
            st.logout()
        return
    st.info(t("auth.signin_needed"), icon="🔒")
    st.link_button(t("auth.signin_button"), f"/account/signin?lang={lang}", type="primary")
    if oidc_configured() and st.button(t("auth.oidc_button")):
        st.login()


def who_panel(actor: Actor, slug: str | None) -> None:
    roles = sorted(actor.roles_on(slug)) if slug else []
    st.sidebar.caption(t("auth.signed_in", name=md(actor.name), roles=", ".join(t(f"role.{r}") for r in roles) or "-"))
    if st.sidebar.button(t("auth.signout"), key="signout"):
        if oidc_email():
            st.logout()
        sign_out()
        st.rerun()


def sidebar(actor: Actor) -> bool:
    """Returns False when there is no brand to work on."""
    svc = services()
    for note in startup_notes():
        st.sidebar.info(t("banner.index_repaired", note=md(note)), icon="🩺")
    try:
        brands = svc.brands(actor)
    except AssistantError as exc:
        st.error(t("error.prefix", message=md(say(exc))))
        return False
    if not brands:
        st.warning(t("auth.no_brands") if svc.brands() else t("sidebar.no_brands", path=md(svc.settings.brands_dir)))
        who_panel(actor, None)
        return False
    names = {b.slug: b.profile.name for b in brands}
    if st.session_state.get("brand") not in names:
        st.session_state["brand"] = next(iter(names))
    st.sidebar.selectbox(t("sidebar.brand"), list(names), format_func=names.get, key="brand")
    who_panel(actor, st.session_state["brand"])
    return True


def provider_banner() -> None:
    from assistant.drafting.policy import check_provider

    svc = services()
    refused: ProviderNotAllowed | None = None
    try:
        provider = svc.provider
        info = provider.describe()
        # this brand's policy first: a provider it refuses is not even probed (nothing is sent to it)
        check_provider(svc.brand(brand_slug()).profile, provider)  # type: ignore[arg-type]
        provider.probe()
    except ProviderNotAllowed as exc:
        refused = exc
    except AssistantError as exc:
        st.sidebar.error(t("banner.provider_error", message=md(exc)))
        return
    st.sidebar.caption(t("banner.provider", provider=md(info["provider"]), model=md(info["model"])))
    if refused is not None:
        st.sidebar.warning(md(say(refused)), icon="🔒")
    if info["demo_model"]:
        st.sidebar.info(t("banner.demo_model"), icon="ℹ️")
    if info.get("test_model"):
        st.sidebar.warning(t("banner.test_model"), icon="🧪")


def remember_language() -> None:
    """The language picked is the signed-in person's preference (kept in the database)."""
    actor = st.session_state.get("actor")
    if isinstance(actor, Actor) and actor.kind == "user" and actor.user_id is not None:
        st.session_state["actor"] = services().people.set_preferences(actor, language=st.session_state["ui_lang"])


def pages_for(actor: Actor, slug: str | None) -> list:
    """A client sees the review of what was shared with them; staff see every page."""
    staff = slug is not None and can(actor, "view", slug)
    review = st.Page(PAGES / "review.py", title=t("nav.review"), icon="✅", default=not staff)
    people = st.Page(PAGES / "people.py", title=t("nav.people"), icon="👥")
    if not staff:
        return [review, people]
    # The models panel: only for an administrator of the installation (the page and the library check too).
    models = [st.Page(PAGES / "models.py", title=t("nav.models"), icon="🧠")] if actor.is_admin else []
    return [st.Page(PAGES / "draft.py", title=t("nav.draft"), icon="✍️", default=True), review,
            st.Page(PAGES / "calendar.py", title=t("nav.calendar"), icon="🗓️"),
            st.Page(PAGES / "library.py", title=t("nav.library"), icon="📚"),
            st.Page(PAGES / "media.py", title=t("nav.media"), icon="🖼️"),
            st.Page(PAGES / "accounts.py", title=t("nav.accounts"), icon="🔌"),
            st.Page(PAGES / "insights.py", title=t("nav.insights"), icon="📈"), people, *models]


def main() -> None:
    no_magic()  # before any page is compiled (`streamlit run` of any entry point, AppTest)
    st.set_page_config(page_title="Copydesk", page_icon="✍️", layout="wide")
    try:
        actor = current_actor()
    except AssistantError as exc:
        actor, problem = None, exc
    else:
        problem = None
    if actor is not None and actor.language in LANGUAGES and "ui_lang" not in st.session_state:
        st.session_state["ui_lang"] = actor.language  # their preference, on every device and after a reload
    st.sidebar.radio("🌐", list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True, key="ui_lang",
                     label_visibility="collapsed", on_change=remember_language)
    if problem is not None:
        st.error(t("error.prefix", message=md(say(problem))))
        return
    st.session_state["actor"] = actor
    if actor is None:
        gate()
        return
    ready = sidebar(actor)
    notifications_panel(actor)
    page = st.navigation(pages_for(actor, brand_slug() if ready else None))
    if ready and brand_slug():
        if can(actor, "view_costs", brand_slug()):
            provider_banner()
        if can(actor, "view", brand_slug()):
            reconnect_banner(actor, brand_slug())
            reembed_if_needed(brand_slug())
            learn_voice(brand_slug())
        if can(actor, "draft", brand_slug()):
            services().warm(brand_slug(), actor=actor)  # the local model's prompt cache, in the background
        page.run()


if __name__ == "__main__":  # `streamlit run assistant/web/app.py` (what `assistant app` does)
    main()
