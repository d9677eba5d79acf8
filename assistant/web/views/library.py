"""Brand library: the profile, uploads of posts and guidelines (with a column-mapping preview the
user can correct), and a search box showing what the model will see."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.accounts import can

from assistant.errors import AssistantError
from assistant.knowledge.parsing import POST_FIELDS, parse_posts_csv, sniff_posts
from assistant.web.common import reviewer, brand_slug, md, services, show_text, shown_errors, t

svc = services()
slug = brand_slug()
brand = svc.brand(slug)
p = brand.profile

st.title(t("library.title", brand=md(p.name)))
counts = svc.knowledge.counts(slug)
st.caption(t("brand.indexed", posts=t("count.posts", n=counts["posts"]),
             chunks=t("count.passages", n=counts["guideline_chunks"]))
           + (f" · {t('library.approved', n=counts['approved'])}" if counts["approved"] else ""))

uploads = can(reviewer(), "library", slug)
if uploads and svc.knowledge.is_stale(brand):
    stale, button = st.columns([4, 1])
    stale.warning(t("library.stale"))
    if button.button(t("library.reindex"), key="reindex", type="primary"):
        with shown_errors(), st.spinner(t("library.embedding")):
            svc.knowledge.index_brand(brand)
            st.rerun()

tab_profile, tab_upload, tab_search = st.tabs([t("library.tab_profile"), t("library.tab_upload"), t("library.tab_search")])
if not uploads:
    with tab_upload:
        st.info(t("auth.read_only", roles=", ".join(t(f"role.{r}") for r in sorted(reviewer().roles_on(slug))),
                  what=t("library.tab_upload").lower()), icon="🔒")

with tab_profile:
    st.markdown(f"**{t('brand.voice')}**")
    show_text(p.voice)
    if p.audience:
        st.markdown(f"**{t('brand.audience')}**: {md(p.audience)}")
    cols = st.columns(2)
    cols[0].markdown(f"**{t('brand.do')}**\n\n" + "\n".join(f"- {md(x)}" for x in p.do))
    cols[1].markdown(f"**{t('brand.dont')}**\n\n" + "\n".join(f"- {md(x)}" for x in p.dont))
    if p.pillars:
        st.markdown(f"**{t('brand.pillars')}**\n\n" + "\n".join(f"- {md(x)}" for x in p.pillars))
    st.markdown(f"**{t('brand.banned')}**: " + ", ".join(md(w) for w in p.banned_words))
    st.markdown(f"**{t('brand.hashtags')}**: " + md(" ".join(p.required_hashtags + p.hashtags)))
    st.markdown(f"**{t('brand.platforms')}**: {md(', '.join(p.platforms))} · **{t('brand.emoji')}**: "
                f"{t('emoji.' + p.emoji, max=p.emoji_max)} · **{t('brand.four_eyes')}**: "
                f"{t('common.yes') if p.four_eyes else t('common.no')}")

if uploads:
    with tab_upload:
        limit_mb = svc.settings.max_upload_mb
        st.caption(t("library.upload_help", mb=f"{limit_mb:g}"))
        posts_file = st.file_uploader(t("library.posts_file"), type=["csv", "tsv", "txt"], key="posts_upload")
        if posts_file is not None:
            raw = posts_file.getvalue()
            if len(raw) > svc.settings.max_upload_bytes:
                st.error(t("library.too_big", name=md(posts_file.name), mb=f"{len(raw) / 1e6:.1f}", limit=f"{limit_mb:g}"))
            else:
                try:
                    sniffed = sniff_posts(raw, posts_file.name)
                except AssistantError as exc:
                    sniffed = None
                    st.error(t("error.prefix", message=md(exc)))
                if sniffed is not None:
                    st.caption(t("library.detected", encoding=md(sniffed.encoding), delimiter=md(repr(sniffed.delimiter))))
                    options = ["—", *sniffed.header]
                    mapping: dict[str, str] = {}
                    cols = st.columns(3)
                    for i, field in enumerate(POST_FIELDS):
                        guess = sniffed.mapping.get(field)
                        choice = cols[i % 3].selectbox(t(f"field.{field}"), options,
                                                       index=options.index(guess) if guess in options else 0,
                                                       key=f"map-{field}")
                        if choice != "—":
                            mapping[field] = choice
                    try:
                        preview = parse_posts_csv(raw, brand=slug, source=posts_file.name, mapping=mapping)
                    except AssistantError as exc:
                        preview = None
                        st.warning(t("error.prefix", message=md(exc)))
                    if preview is not None:
                        st.caption(t("library.preview", rows=len(preview.documents), rejected=len(preview.rejected),
                                     warnings=len(preview.warnings)))
                        sample = [{t("field.text"): d.text[:120], t("field.platform"): d.metadata.get("platform"),
                                   t("field.posted_at"): d.metadata.get("posted_at"),
                                   t("library.engagement"): d.metadata.get("engagement")}
                                  for d in preview.documents[:5]]
                        st.dataframe(pd.DataFrame(sample), width="stretch", hide_index=True)
                        if st.button(t("library.ingest"), type="primary", key="ingest-posts"):
                            bar = st.progress(0.0, text=t("library.embedding"))
                            with shown_errors():
                                report = svc.knowledge.ingest_bytes(
                                    slug, raw, posts_file.name, kind="post", mapping=mapping, by=reviewer(),
                                    progress=lambda done, total: bar.progress(
                                        done / max(total, 1), text=t("library.progress", done=done, total=total)))
                                bar.progress(1.0, text=t("library.done"))
                                st.session_state["ingest_report"] = report.as_dict()
        guideline_files = st.file_uploader(t("library.guideline_files"), type=["md", "markdown", "txt"],
                                           accept_multiple_files=True, key="guideline_upload")
        if guideline_files and st.button(t("library.ingest_guidelines"), key="ingest-guidelines"):
            from assistant.knowledge.ingestion import IngestReport

            report = IngestReport(brand=slug)
            for f in guideline_files:
                try:
                    svc.knowledge.ingest_bytes(slug, f.getvalue(), f.name, kind="guideline", report=report,
                                               by=reviewer())
                except AssistantError as exc:
                    report.errors.append(str(exc))
            st.session_state["ingest_report"] = report.as_dict()
        perf_file = st.file_uploader(t("library.performance_file"), type=["csv", "tsv", "txt"], key="perf_upload",
                                     help=t("library.performance_help"))
        if perf_file is not None and st.button(t("library.import_performance"), key="import-perf"):
            from assistant.analytics import performance

            with shown_errors():
                result = performance.import_bytes(svc, slug, perf_file.getvalue(), perf_file.name, by=reviewer())
                st.success(t("library.performance_report", rows=result.rows, url=result.matched_by_url,
                             text=result.matched_by_text, unmatched=len(result.unmatched),
                             refreshed=result.refreshed_docs))
                for w in [*result.rejected, *result.warnings][:20]:
                    st.caption(md(w))
        report = st.session_state.get("ingest_report")
        if report and report["brand"] == slug:
            st.success(t("library.report", added=report["added"], updated=report["updated"],
                         replaced=report["replaced"], unchanged=report["unchanged"], rejected=report["rejected"]))
            for line in report["errors"]:
                st.error(md(line))
            if report["rejected_rows"] or report["warnings"]:
                with st.expander(t("library.warnings", n=len(report["rejected_rows"]) + len(report["warnings"]))):
                    for line in report["rejected_rows"] + report["warnings"]:
                        st.caption(md(line))

with tab_search:
    st.caption(t("search.help"))
    kinds = ["all", "post", "guideline"]
    kind = st.radio(t("search.kind"), kinds, format_func=lambda k: t(f"search.kind.{k}"), horizontal=True,
                    key="search_kind")
    query = st.text_input(t("search.header"), placeholder=t("search.placeholder"), key="search_query")
    if query:
        with shown_errors():
            results = svc.retriever.retrieve(slug, query, k=5, kind=kind)
            if not results:
                st.info(t("search.none", slug=md(slug)))
            for r in results:
                m = r.metadata
                where = m.get("heading") or f"{m.get('platform', '')} · {str(m.get('posted_at', ''))[:10]}"
                meta = [t("search.score", score=r.score)]
                if "engagement" in m:
                    meta.append(t("search.engagement", value=m["engagement"]))
                with st.container(border=True):
                    st.markdown(f"**{t('search.kind.' + ('guideline' if r.kind == 'guideline' else 'post'))}** · "
                                f"{md(where)} · {' · '.join(meta)}")
                    show_text(r.text)
