"""A draft card on the desk: the post as the platform shows it, its counter and checks (run again
on the text as it stands in the editor), its sources, and the editor itself, whose text is saved
to the desk as the user types (debounced in the browser: see `autosave`)."""

from __future__ import annotations

import html

import streamlit as st

from assistant import platforms
from assistant.desk import StreamedDraft
from assistant.drafting.schemas import Draft
from assistant.i18n import day, number
from assistant.web.common import lang, md, services, show_text, t

SAVE_AFTER_MS = 700  # a pause in typing this long saves the card

# Trusted code of ours (no foreign text in it): a textarea of a card commits its value to the
# server after a pause in typing, as Ctrl+Enter would, so an edit is saved (and checked) without
# leaving the field, and a reload or a closed tab cannot lose it.
_AUTOSAVE_JS = """
export default function(component) {
  const { data } = component;
  if (window.__copydeskAutosave) { window.__copydeskAutosave.delay = data.delay; return; }
  const state = { delay: data.delay, prefix: data.prefix };
  window.__copydeskAutosave = state;
  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement)) return;
    const holder = box.closest("[class*='st-key-" + state.prefix + "']");
    if (!holder) return;
    clearTimeout(box.__copydeskTimer);
    box.__copydeskTimer = setTimeout(() => {
      box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", keyCode: 13,
                                                      ctrlKey: true, bubbles: true }));
    }, state.delay);
  }, true);
}
"""
_autosave = st.components.v2.component("copydesk.autosave", js=_AUTOSAVE_JS)


def autosave() -> None:
    """Once per page: card editors save themselves after a pause in typing."""
    _autosave(key="copydesk-autosave", data={"delay": SAVE_AFTER_MS, "prefix": "edit-"}, height=0)


def label(platform: str) -> str:
    rule = services().rules.get(platform)
    return rule.label if rule else platform


def preview_html(text: str, platform: str) -> str:
    """The post as the platform shows it: hashtags highlighted, the 'see more' cut marked."""

    def render(part: str) -> str:
        out, pos = [], 0
        for tag, start, end in platforms.hashtags(part):
            out.append(html.escape(part[pos:start]))
            out.append(f'<span style="color:#1d6fd1;font-weight:600">{html.escape(tag)}</span>')
            pos = end
        out.append(html.escape(part[pos:]))
        return "".join(out).replace("\n", "<br>")

    cut = platforms.see_more_preview(text, platform, services().rules)
    if cut and cut[1]:
        shown, rest = cut
        body = (f"{render(shown)}<span style='color:#888'> … {html.escape(t('draft.see_more'))}</span>"
                f"<div style='color:#999;border-top:1px dashed #ccc;margin-top:6px;padding-top:4px'>"
                f"{render(rest)}</div>")
    else:
        body = render(text)
    return (f"<div style='background:#fff;border:1px solid #e3e3e3;border-radius:10px;padding:12px 14px;"
            f"font-size:0.95rem;line-height:1.45;color:#111'>{body}</div>")


def header(d: Draft) -> None:
    head, meta = st.columns([3, 2])
    head.markdown(f"**{label(d.platform)}** · {t('draft.variant')} {d.variant}"
                  + (f" · _{t('draft.refined', instruction=md(d.instruction))}_" if d.instruction else ""))
    meta.caption(t("draft.written_by", model=md(d.model), provider=md(d.provider))
                 + (f" · {t('draft.demo_model_short')}" if d.demo_model else "")
                 + (f" · {t('draft.test_model_short')}" if d.test_model else ""))


def figures(d: Draft, text: str) -> None:
    """Counter, repair, tokens, cost and time: as the text stands now, in the reader's number format."""
    svc = services()
    n = lang()
    rule = svc.rules[d.platform]
    count = platforms.count(text, d.platform, svc.rules)
    st.caption(("🔴 " if count > rule.limit else "")
               + t("draft.counter", count=number(count, n), limit=number(rule.limit, n))
               + (f" · {t('draft.repaired')}" if d.repaired else "")
               + f" · {t('draft.tokens', prompt=number(d.prompt_tokens, n), completion=number(d.completion_tokens, n))}"
               + (f" · ${d.cost_usd:.4f}" if d.cost_usd else "")
               + f" · {number(round(d.latency_ms / 1000, 1), n)} s")


def sources(d: Draft) -> None:
    with st.expander(t("draft.sources", n=len(d.sources))):
        said = d.source_note(lang())  # why fewer sources than found (a small model's context), or none
        if said:
            st.caption(md(said))
        for s in d.sources:
            m = s.metadata
            if s.kind == "guideline":
                where = f"📘 {m.get('source', '')} › {m.get('heading', '')}"
            else:
                where = (f"{'⭐' if s.kind == 'approved' else '💬'} {label(m.get('platform', ''))} · "
                         f"{posted_day(m.get('posted_at'), d.brand)}")
                if "engagement" in m:
                    where += f" · {t('search.engagement', value=m['engagement'])}"
            st.markdown(f"**{md(where)}** · {t('search.score', score=s.score)}")
            show_text(s.text, muted=True)


def posted_day(value: object, brand: str) -> str:
    """A stored (UTC) posting time as the day it was in the brand's zone, in the reader's language."""
    from assistant.knowledge.parsing import posted_time
    from assistant.plan.calendar import to_local

    moment = posted_time({"posted_at": value})
    return day(to_local(moment, services().brand(brand).profile.timezone), lang()) if moment else ""


def streaming(card: StreamedDraft) -> None:
    """A draft being written: what arrived so far, as text (model output is foreign text)."""
    with st.container(border=True):
        st.markdown(f"**{label(card.platform)}** · {t('draft.variant')} {card.variant}")
        st.markdown(md(card.text) if card.text else f"_{t('draft.waiting')}_")
        st.caption(t("draft.repairing") if card.repairing else t("draft.streaming"))


def interrupted(card: StreamedDraft) -> None:
    """What a stopped job had written: kept, shown, and marked as not a draft."""
    with st.container(border=True):
        st.markdown(f"**{label(card.platform)}** · {t('draft.variant')} {card.variant}")
        if card.text:
            show_text(card.text)
        st.warning(t("draft.interrupted_text"), icon="⏸️")
