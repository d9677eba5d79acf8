"""Brand library: the profile, uploads of posts and guidelines (with a column-mapping preview the
user can correct, the platform asked for when the file does not say it, and the zone of its times),
performance imports, and a search box showing what the model will see. Each upload's outcome shows
under its button, after a rerun that reads the header counts again."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from assistant.accounts import can

from assistant.errors import AssistantError
from assistant.knowledge.files import problem_text
from assistant.knowledge.parsing import POST_FIELDS, parse_posts_csv, sniff_posts
from assistant.platforms.rules import label
from assistant.web.common import lang, reviewer, brand_slug, md, services, show_text, shown_errors, t, when
from assistant.web.progress import progress_bar
from assistant.web.uploads import platform_choice, uploader, zone_choice

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

POST_TYPES, GUIDELINE_TYPES = (".csv", ".tsv", ".txt"), (".md", ".markdown", ".txt")
RESULT = "library_result"  # {brand, section, file, report, failed}: shown under its button, after the rerun


def _result(section: str, file_name: str | None = None) -> None:
    """The outcome of the last upload of `section`, right under its button (in the reader's language)."""
    got = st.session_state.get(RESULT)
    if not got or got["brand"] != slug or got["section"] != section or (file_name and got["file"] != file_name):
        return
    report = got["report"]
    for exc in got["failed"]:
        st.error(t("library.failed", message=md(problem_text(exc, lang()))), icon="⚠️")
    if report is None:
        return
    if section == "performance":
        st.success(t("library.performance_report", rows=t("count.rows", n=report.rows), url=report.matched_by_url,
                     text=report.matched_by_text, unmatched=len(report.unmatched),
                     refreshed=t("count.posts_refreshed", n=report.refreshed_docs)))
    elif report.files:
        st.success(t("library.report", added=report.added, updated=report.updated, replaced=report.replaced,
                     unchanged=report.unchanged, rejected=len(report.rejected)))
    notes = [*report.rejected, *report.warnings]
    if notes:
        with st.expander(t("library.warnings", n=len(notes))):
            for w in notes[:50]:
                st.caption(md(problem_text(w, lang())))


def _done(section: str, file_name: str, report: object, failed: list[Exception]) -> None:
    """Keep the outcome and run the page again: the header counts are read after the upload."""
    st.session_state[RESULT] = {"brand": slug, "section": section, "file": file_name, "report": report,
                                "failed": failed}
    st.rerun()


def _mapping(sniffed) -> dict[str, str]:
    """The columns, as guessed and as the person corrects them."""
    st.caption(t("library.detected", encoding=md(sniffed.encoding), delimiter=md(repr(sniffed.delimiter))))
    options = ["—", *sniffed.header]
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, field in enumerate(POST_FIELDS):
        guess = sniffed.mapping.get(field)
        choice = cols[i % 3].selectbox(t(f"field.{field}"), options, index=options.index(guess) if guess in options else 0,
                                       key=f"map-{field}")
        if choice != "—":
            mapping[field] = choice
    return mapping


def _posted(value: object) -> str:
    """A stored post time in the brand's zone, with the zone named ("" when there is none)."""
    try:
        return when(datetime.fromisoformat(str(value)), p.timezone)
    except ValueError:
        return ""


def _preview(preview) -> None:
    st.caption(t("library.preview", rows=t("count.posts_ready", n=len(preview.documents)),
                 rejected=t("count.rows_rejected", n=len(preview.rejected)),
                 warnings=t("count.warnings", n=len(preview.warnings))))
    sample = [{t("field.text"): d.text[:120],
               t("field.platform"): label(d.metadata["platform"]) if d.metadata.get("platform") else "—",
               t("field.posted_at"): _posted(d.metadata.get("posted_at")) or "—",
               t("library.engagement"): d.metadata.get("engagement")}
              for d in preview.documents[:5]]
    st.dataframe(pd.DataFrame(sample), width="stretch", hide_index=True)


def _posts_upload() -> None:
    """Past posts: the columns, the platform when the file does not say it, the zone of its times,
    a preview, then the import; the outcome right under the button."""
    files = uploader(t("library.posts_file"), "posts_upload", POST_TYPES)
    posts_file = files[0] if files else None
    if posts_file is None:
        return _result("posts")
    raw = posts_file.getvalue()
    try:
        mapping = _mapping(sniff_posts(raw, posts_file.name))
    except AssistantError as exc:
        return st.error(t("error.prefix", message=md(problem_text(exc, lang()))), icon="⚠️")
    platform = platform_choice("posts_platform", p.platforms) if "platform" not in mapping else None
    zone = zone_choice("posts_utc", p.timezone) if "posted_at" in mapping else p.timezone
    try:
        preview = parse_posts_csv(raw, brand=slug, source=posts_file.name, mapping=mapping, platform=platform, zone=zone)
    except AssistantError as exc:
        return st.warning(t("error.prefix", message=md(problem_text(exc, lang()))), icon="⚠️")
    _preview(preview)
    missing_platform = "platform" not in mapping and platform is None
    if missing_platform:
        st.caption(t("library.platform_needed"))
    if st.button(t("library.ingest"), type="primary", key="ingest-posts", disabled=missing_platform):
        bar = progress_bar()
        try:
            report, failed = svc.knowledge.ingest_bytes(
                slug, raw, posts_file.name, kind="post", mapping=mapping, platform=platform, zone=zone,
                require_platform=True, by=reviewer(), progress=bar), []
        except AssistantError as exc:
            report, failed = None, [exc]
        _done("posts", posts_file.name, report, failed)
    _result("posts", posts_file.name)


def _guidelines_upload() -> None:
    from assistant.knowledge.ingestion import IngestReport

    files = uploader(t("library.guideline_files"), "guideline_upload", GUIDELINE_TYPES, many=True)
    if files and st.button(t("library.ingest_guidelines"), key="ingest-guidelines"):
        report, failed = IngestReport(brand=slug), []
        with st.spinner(t("library.embedding")):
            for f in files:
                try:
                    svc.knowledge.ingest_bytes(slug, f.getvalue(), f.name, kind="guideline", report=report,
                                               by=reviewer())
                except AssistantError as exc:
                    failed.append(exc)
        _done("guidelines", "", report, failed)
    _result("guidelines")


def _performance_upload() -> None:
    from assistant.analytics import performance

    files = uploader(t("library.performance_file"), "perf_upload", POST_TYPES, help_text=t("library.performance_help"))
    perf_file = files[0] if files else None
    if perf_file is None:
        return _result("performance")
    zone = zone_choice("perf_utc", p.timezone)
    if st.button(t("library.import_performance"), key="import-perf"):
        try:
            result, failed = performance.import_bytes(svc, slug, perf_file.getvalue(), perf_file.name,
                                                      by=reviewer(), zone=zone), []
        except AssistantError as exc:
            result, failed = None, [exc]
        _done("performance", perf_file.name, result, failed)
    _result("performance", perf_file.name)


if uploads:
    with tab_upload:
        st.caption(t("library.upload_help", mb=f"{svc.settings.max_upload_mb:g}"))
        _posts_upload()
        _guidelines_upload()
        _performance_upload()

with tab_search:
    st.caption(t("search.help"))
    kinds = ["all", "post", "guideline"]
    names = {k: t(f"search.kind.{k}") for k in kinds}  # fixed for this run: AppTest formats values outside it
    kind = st.radio(t("search.kind"), kinds, format_func=names.__getitem__, horizontal=True, key="search_kind")
    query = st.text_input(t("search.header"), placeholder=t("search.placeholder"), key="search_query")
    if query:
        with shown_errors():
            results = svc.retriever.retrieve(slug, query, k=5, kind=kind)
            if not results:
                st.info(t("search.none", slug=md(slug)))
            for r in results:
                m = r.metadata
                where = m.get("heading") or " · ".join(
                    x for x in (label(m.get("platform") or ""), _posted(m.get("posted_at"))) if x)
                meta = [t("search.score", score=r.score)]
                if "engagement" in m:
                    meta.append(t("search.engagement", value=m["engagement"]))
                with st.container(border=True):
                    st.markdown(f"**{t('search.kind.' + ('guideline' if r.kind == 'guideline' else 'post'))}** · "
                                f"{md(where)} · {' · '.join(meta)}")
                    show_text(r.text)
