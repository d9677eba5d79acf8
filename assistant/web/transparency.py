"""The review page's "Transparency" panel: who wrote each version (the model or a person), the
sources the model read, the share of the AI's text kept, the editorially responsible approver (or
that nobody is yet), and the item's provenance record to download (JSON, HTML, PDF).

Read from the record (`assistant.review.record`), said with the printed record's own phrases
(`analytics.record.Words`); only for those who may view the brand (a client holds no record).
"""

from __future__ import annotations

import streamlit as st

import assistant.web.common as common
from assistant.accounts import Actor, can
from assistant.analytics.record import MIME, Words, render
from assistant.errors import AssistantError
from assistant.review.record import ProvenanceRecord, item_record
from assistant.web.common import md, say, services, show_text, t


def transparency_panel(item_id: int, brand: str, who: Actor) -> None:
    if not can(who, "view", brand):
        return
    svc = services()
    try:
        record = item_record(svc.review, item_id, actor=who)
    except AssistantError as exc:
        st.error(t("error.prefix", message=md(say(exc))))
        return
    w = Words(common.lang(), who.timezone or record.timezone)  # times in the reader's zone, named
    with st.expander(t("record.panel")):
        for v in record.revisions:
            st.markdown(f"**v{v.number}** · {md(w.author(v))} · {md(w.when(v.created_at))}")
            for detail in w.details(v):  # may quote an instruction: data, shown as text
                st.markdown(f"_{md(detail)}_")
        with st.expander(t("record.panel_sources", count=len(record.sources))):
            for v in record.revisions:
                for s in v.sources:  # the brand's own text: data
                    st.markdown(f"**v{v.number} · {md(w.kind(s.kind))}** · {w.score(s.score)} · {md(s.id)}")
                    show_text(s.snippet, muted=True)
            if not record.sources:
                st.caption(t("record.sources_none"))
        kept = record.ai_text_kept
        st.markdown(t(f"record.panel_kept.{kept.basis}", share=w.pct(kept.kept_share),
                      distance=w.count(kept.edit_distance)) + f"  \n{md(w.ai_generated(record))}")
        said = "  \n".join(md(line) for line in w.responsibility(record))
        if record.editorially_responsible is not None:
            st.success(said)
        else:
            st.info(said)
        _downloads(record, w.language, svc.settings.pdf_font)


def _downloads(record: ProvenanceRecord, language: str, font: object) -> None:
    """The record as a file: JSON at once, HTML and PDF made when clicked."""
    item = record.item.id
    columns = st.columns(3)
    for column, fmt in zip(columns, ("json", "html", "pdf")):
        data = render(record, "json") if fmt == "json" else (lambda f=fmt: render(record, f, language, font))
        column.download_button(t(f"record.download_{fmt}"), data=data, mime=MIME[fmt], key=f"rec_{fmt}_{item}",
                               file_name=f"record-{item}-{language}.{fmt}" if fmt != "json" else f"record-{item}.json",
                               on_click="ignore", width="stretch")
