"""Copydesk web app. Thin: builds services once, one library call per user action."""

from __future__ import annotations

import streamlit as st

from assistant.errors import AssistantError
from assistant.i18n import LANGUAGES, t
from assistant.services import Services

st.set_page_config(page_title="Copydesk", page_icon="✍️", layout="wide")


@st.cache_resource(show_spinner=False)
def services() -> Services:
    return Services()


def main() -> None:
    svc = services()
    lang = st.sidebar.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                            key="ui_lang")
    st.title(t("app.title", lang))
    st.caption(t("app.tagline", lang))
    try:
        brands = svc.brands()
    except AssistantError as exc:
        st.error(t("error.prefix", lang, message=exc))
        return
    if not brands:
        st.warning(t("sidebar.no_brands", lang, path=svc.settings.brands_dir))
        return
    by_slug = {b.slug: b for b in brands}
    slug = st.sidebar.selectbox(t("sidebar.brand", lang), list(by_slug), format_func=lambda s: by_slug[s].profile.name,
                                key="brand")
    brand = by_slug[slug]
    p = brand.profile
    st.subheader(p.name)
    counts = svc.knowledge.counts(slug)
    st.caption(t("brand.indexed", lang, posts=counts["posts"], chunks=counts["guideline_chunks"]))
    with st.expander(t("brand.voice", lang), expanded=False):
        st.write(p.voice)
        cols = st.columns(2)
        cols[0].markdown(f"**{t('brand.do', lang)}**\n\n" + "\n".join(f"- {x}" for x in p.do))
        cols[1].markdown(f"**{t('brand.dont', lang)}**\n\n" + "\n".join(f"- {x}" for x in p.dont))
        st.markdown(f"**{t('brand.banned', lang)}**: {', '.join(p.banned_words)}")
        st.markdown(f"**{t('brand.hashtags', lang)}**: {' '.join(p.required_hashtags + p.hashtags)}")
        st.markdown(f"**{t('brand.platforms', lang)}**: {', '.join(p.platforms)}")

    st.header(t("search.header", lang))
    st.caption(t("search.help", lang))
    kinds = ["all", "post", "guideline"]
    kind = st.radio(t("search.kind", lang), kinds, format_func=lambda k: t(f"search.kind.{k}", lang), horizontal=True)
    query = st.text_input(t("search.header", lang), placeholder=t("search.placeholder", lang),
                          label_visibility="collapsed")
    if query:
        try:
            results = svc.retriever.retrieve(slug, query, k=5, kind=kind)
        except AssistantError as exc:
            st.error(t("error.prefix", lang, message=exc))
            return
        if not results:
            st.info(t("search.none", lang, slug=slug))
        for r in results:
            m = r.metadata
            label = m.get("heading") or f"{m.get('platform', '')} · {m.get('posted_at', '')[:10]}"
            meta = [t("search.score", lang, score=r.score)]
            if "engagement" in m:
                meta.append(t("search.engagement", lang, value=m["engagement"]))
            with st.container(border=True):
                st.markdown(f"**{label}** · {' · '.join(meta)}")
                st.write(r.text)


main()
