"""Draft page: a chat-style desk. A brief in, streamed drafts out (one card per platform x
variant, with preview, checks and sources); follow-ups refine the chosen draft; any card can be
edited and sent to review."""

from __future__ import annotations

import html

import streamlit as st
from pydantic import ValidationError

from assistant import platforms
from assistant.accounts import can
from assistant.drafting.schemas import GOALS, LANGUAGE_NAMES, MAX_BRIEF, MIN_BRIEF, Draft, DraftRequest
from assistant.errors import AssistantError
from assistant.web.common import brand_slug, lang, md, reviewer, services, show_text, show_violations, shown_errors, t

svc = services()
slug = brand_slug()
actor = reviewer()
if not can(actor, "draft", slug):
    st.title(t("nav.draft"))
    st.info(t("auth.read_only", roles=", ".join(t(f"role.{r}") for r in sorted(actor.roles_on(slug))),
              what=t("nav.draft").lower()), icon="🔒")
    st.stop()
brand = svc.brand(slug)
profile = brand.profile
conv: list[dict] = st.session_state.setdefault("conversations", {}).setdefault(slug, [])
sent: dict[str, int] = st.session_state.setdefault("sent_to_review", {})


def label(platform: str) -> str:
    rule = svc.rules.get(platform)
    return rule.label if rule else platform


def find(draft_id: str | None) -> Draft | None:
    for entry in conv:
        for d in entry.get("drafts", []):
            if d["id"] == draft_id:
                return Draft.model_validate(d)
    return None


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

    cut = platforms.see_more_preview(text, platform, svc.rules)
    if cut and cut[1]:
        shown, rest = cut
        body = (f"{render(shown)}<span style='color:#888'> … {html.escape(t('draft.see_more'))}</span>"
                f"<div style='color:#999;border-top:1px dashed #ccc;margin-top:6px;padding-top:4px'>"
                f"{render(rest)}</div>")
    else:
        body = render(text)
    return (f"<div style='background:#fff;border:1px solid #e3e3e3;border-radius:10px;padding:12px 14px;"
            f"font-size:0.95rem;line-height:1.45;color:#111'>{body}</div>")


def render_card(d: Draft) -> None:
    rule = svc.rules[d.platform]
    # The card shows, counts and checks the text as it stands in the editor below (the model's
    # text until someone edits it), in the reader's language: checks never go stale.
    text = st.session_state.get(f"edit-{d.id}", d.text)
    edited_now = text != d.text
    violations = (platforms.validate(text, d.platform, profile, expected_language=d.language, rules=svc.rules)
                  if edited_now else d.violations)
    with st.container(border=True):
        head, meta = st.columns([3, 2])
        head.markdown(f"**{label(d.platform)}** · {t('draft.variant')} {d.variant}"
                      + (f" · _{t('draft.refined', instruction=md(d.instruction))}_" if d.instruction else ""))
        meta.caption(t("draft.written_by", model=md(d.model), provider=md(d.provider))
                     + (f" · {t('draft.demo_model_short')}" if d.demo_model else "")
                     + (f" · {t('draft.test_model_short')}" if d.test_model else ""))
        st.html(preview_html(text, d.platform))
        count = platforms.count(text, d.platform, svc.rules)
        over = count > rule.limit
        st.caption(("🔴 " if over else "") + t("draft.counter", count=count, limit=rule.limit)
                   + (f" · {t('draft.repaired')}" if d.repaired else "")
                   + f" · {t('draft.tokens', prompt=d.prompt_tokens, completion=d.completion_tokens)}"
                   + (f" · ${d.cost_usd:.4f}" if d.cost_usd else "") + f" · {d.latency_ms / 1000:.1f} s")
        if not d.complete:  # what arrived is shown, marked: never passed off as a whole draft
            st.warning(t("draft.incomplete_prefix") + " " + d.incomplete_message(lang()), icon="✂️")
        if edited_now:
            st.caption(t("draft.checked_edit"))
        show_violations(violations)
        with st.expander(t("draft.sources", n=len(d.sources))):
            if not d.sources:
                st.caption(t("draft.no_sources"))
            for s in d.sources:
                m = s.metadata
                if s.kind == "guideline":
                    where = f"📘 {m.get('source', '')} › {m.get('heading', '')}"
                else:
                    where = (f"{'⭐' if s.kind == 'approved' else '💬'} {label(m.get('platform', ''))} · "
                             f"{str(m.get('posted_at', ''))[:10]}")
                    if "engagement" in m:
                        where += f" · {t('search.engagement', value=m['engagement'])}"
                st.markdown(f"**{md(where)}** · {t('search.score', score=s.score)}")
                show_text(s.text, muted=True)
        st.session_state.setdefault(f"edit-{d.id}", d.text)
        edited = st.text_area(t("draft.edit"), key=f"edit-{d.id}", height=140)
        c1, c2 = st.columns(2)
        if c1.button(t("draft.refine_this"), key=f"refine-{d.id}", width="stretch"):
            st.session_state["refine_target"] = d.id
            st.rerun()
        if d.id in sent:
            c2.success(t("draft.kept_incomplete" if not d.complete else "draft.sent", id=sent[d.id]))
        elif c2.button(t("draft.send_to_review" if d.complete else "draft.keep_incomplete"), key=f"send-{d.id}",
                       type="primary" if d.complete else "secondary", width="stretch"):
            with shown_errors():
                item = svc.review.add_draft(d, by=actor, submit=d.complete, keep_incomplete=not d.complete,
                                            edited_text=edited if edited != d.text else None)
                sent[d.id] = item.id
                st.rerun()


def stream_into(events, entry: dict) -> None:
    """Show tokens as they arrive; each finished draft goes into the conversation at once, so
    an error later in the run loses nothing already written."""

    def stream_one(placeholder) -> None:
        """Model output is foreign text: shown as it arrives, as text (never as Markdown)."""
        written, repairing = "", False
        for ev in events:
            if ev.kind == "token":
                written += ev.text
                placeholder.markdown(md(written) + (f"\n\n_{t('draft.repairing')}_" if repairing else ""))
            elif ev.kind == "repair" and not repairing:
                repairing = True
                placeholder.markdown(md(written) + f"\n\n_{t('draft.repairing')}_")
            elif ev.kind == "done":
                entry["drafts"].append(ev.draft.model_dump())
                return

    for ev in events:
        if ev.kind == "start":
            st.markdown(f"**{label(ev.platform)}** · {t('draft.variant')} {ev.variant}")
            stream_one(st.empty())


# --- page ---------------------------------------------------------------------------------------

st.title(t("draft.title", brand=md(profile.name)))
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 1.3, 1])
    default_platforms = profile.platforms[:2] or ["instagram"]
    chosen = c1.multiselect(t("draft.platforms"), list(platforms.PLATFORMS), default=default_platforms,
                            format_func=label, key=f"platforms-{slug}")
    goal = c2.selectbox(t("draft.goal"), list(GOALS), index=1, format_func=lambda g: t(f"goal.{g}"),
                        key="goal")
    languages = list(dict.fromkeys([*profile.all_languages, *LANGUAGE_NAMES]))
    language = c3.selectbox(t("draft.language"), languages, key=f"language-{slug}",
                            format_func=lambda code: t(f"violation.lang.{code}"))
    variants = c4.number_input(t("draft.variants"), min_value=1, max_value=5, value=1, key="variants")
    with st.expander(t("draft.more_options")):
        link = st.text_input(t("draft.link"), key="link")
        cta = st.text_input(t("draft.cta"), key="cta")

for entry in conv:
    with st.chat_message(entry["role"]):
        if entry["role"] == "user":
            st.markdown(md(entry["text"]))
        else:
            for d in entry["drafts"]:
                render_card(Draft.model_validate(d))
            if entry.get("error"):
                st.error(entry["error"], icon="⚠️")

target = find(st.session_state.get("refine_target"))
if target:
    info, reset = st.columns([5, 1])
    info.info(t("draft.refining", platform=label(target.platform), variant=target.variant), icon="🔁")
    if reset.button(t("draft.new_brief"), width="stretch"):
        st.session_state.pop("refine_target", None)
        st.rerun()
elif not conv:
    st.caption(t("draft.empty_hint"))

# The brief's limit is shown as the user types (the box counts and stops at it); a brief with no
# words is answered here, in the user's language, and nothing is sent.
prompt = st.chat_input(t("draft.refine_placeholder") if target else t("draft.brief_placeholder"),
                       max_chars=MAX_BRIEF)
if prompt is not None and len(prompt.strip()) < MIN_BRIEF:
    st.warning(t("draft.brief_too_short", min=MIN_BRIEF), icon="✏️")
    prompt = None
if prompt:
    conv.append({"role": "user", "text": prompt})
    entry: dict = {"role": "assistant", "drafts": []}
    conv.append(entry)
    with st.chat_message("user"):
        st.markdown(md(prompt))
    with st.chat_message("assistant"):
        try:
            drafter = svc.drafter(actor=actor)
            if target:
                stream_into(drafter.stream_refine(target, prompt), entry)
                st.session_state["refine_target"] = entry["drafts"][-1]["id"] if entry["drafts"] else target.id
            else:
                if not chosen:
                    raise AssistantError(t("draft.pick_platform"))
                svc.knowledge.index_brand(brand)  # no-op when fresh
                request = DraftRequest(brand=slug, platforms=chosen, brief=prompt, goal=goal, language=language,
                                       variants=int(variants), link=link or None, call_to_action=cta or None)
                stream_into(drafter.stream(request), entry)
        except AssistantError as exc:
            entry["error"] = t("error.prefix", message=md(exc))
        except ValidationError as exc:  # request validation: our messages, without pydantic's links
            entry["error"] = t("error.prefix", message=md("; ".join(
                str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())))
        except ValueError as exc:  # any other bad value: its message says what to fix
            entry["error"] = t("error.prefix", message=md(exc))
    st.rerun()
