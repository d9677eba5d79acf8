"""Draft page: a chat-style desk over the user's drafting sessions (assistant.desk). A brief in,
drafts out (one card per platform x variant, with preview, checks and sources); follow-ups refine
the chosen draft; any card can be edited, given media from the brand's library and sent to review
(with its media).

Nothing here lives only in the browser tab: the session, the form's options, every streamed
draft and every card edit are in the database, written by a job that runs on the server. A
reload, a new tab or another app process shows the same session, still streaming or finished.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from assistant import platforms
from assistant.accounts import can
from assistant.desk import DeskOptions, DeskSessionView, StreamedDraft, Turn
from assistant.desk.sending import send_to_review
from assistant.drafting.schemas import GOALS, LANGUAGE_NAMES, MAX_BRIEF, MIN_BRIEF, DraftRequest
from assistant.errors import AssistantError
from assistant.text.urls import safe_link
from assistant.web import cards
from assistant.web.common import (brand_slug, lang, md, reviewer, say, services, show_violations, shown_errors, t,
                                  when)
from assistant.web.draft_media import card_media
from assistant.web.voice import voice_line

POLL_SECONDS = 0.7

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
desk = svc.desk
OPEN = f"desk-session-{slug}"  # which session this tab shows (None: a new brief, not yet written)
if OPEN not in st.session_state:
    st.session_state[OPEN] = desk.latest(actor, slug)
session_id: int | None = st.session_state[OPEN]
view: DeskSessionView | None = None
if session_id is not None:
    try:
        view = desk.get(actor, session_id)
    except AssistantError:
        st.session_state[OPEN] = session_id = None


# --- the form's options: restored from the session, saved as they change --------------------------

def options_now() -> DeskOptions:
    ss = st.session_state
    return DeskOptions(platforms=ss.get(f"platforms-{slug}", []), goal=ss.get("goal", "engagement"),
                       language=ss.get(f"language-{slug}"), variants=int(ss.get("variants", 1)),
                       link=ss.get("link", ""), cta=ss.get("cta", ""))


def save_options() -> None:
    if st.session_state.get(OPEN) is not None:
        desk.save_options(actor, st.session_state[OPEN], options_now())


def restore_options(options: DeskOptions) -> None:
    ss = st.session_state
    languages = list(dict.fromkeys([*profile.all_languages, *LANGUAGE_NAMES]))
    ss[f"platforms-{slug}"] = [p for p in options.platforms if p in platforms.PLATFORMS] or default_platforms()
    ss["goal"] = options.goal if options.goal in GOALS else "engagement"
    ss[f"language-{slug}"] = options.language if options.language in languages else languages[0]
    ss["variants"], ss["link"], ss["cta"] = max(1, min(5, options.variants)), options.link, options.cta


def default_platforms() -> list[str]:
    return profile.platforms[:2] or ["instagram"]


# A change of language gives the form's widgets new labels, so Streamlit makes them anew and their
# values would fall back to defaults: the values they had are given back to them (never lost).
OPTION_KEYS = (f"platforms-{slug}", "goal", f"language-{slug}", "variants", "link", "cta")
carried = st.session_state.get("desk-options-carry")
if carried and carried[0] != (slug, lang()) and carried[0][0] == slug:
    for option_key, option_value in carried[1].items():
        st.session_state[option_key] = option_value

if st.session_state.get("desk-restored") != (slug, session_id):
    if view is not None:
        restore_options(view.options)
    st.session_state["desk-restored"] = (slug, session_id)


# --- a finished card -------------------------------------------------------------------------------

def save_edit(card: StreamedDraft) -> None:
    desk.edit(actor, card.id, st.session_state.get(f"edit-{card.id}", ""))


@st.fragment
def card_view(card: StreamedDraft) -> None:
    """One finished draft: checks run on the text as it stands in the editor, in the reader's
    language; the editor saves itself (so the checks never go stale and nothing is lost)."""
    d = card.draft
    key = f"edit-{card.id}"
    st.session_state.setdefault(key, card.current_text)
    text = st.session_state[key]
    edited_now = text != d.text
    violations = (platforms.validate(text, d.platform, profile, expected_language=d.language, rules=svc.rules)
                  if edited_now else d.violations)
    with st.container(border=True):
        cards.header(d)
        st.html(cards.preview_html(text, d.platform))
        cards.figures(d, text)
        voice_line(d.brand, text)
        if not d.complete:  # what arrived is shown, marked: never passed off as a whole draft
            st.warning(t("draft.incomplete_prefix") + " " + d.incomplete_message(lang()), icon="✂️")
        if edited_now:
            st.caption(t("draft.checked_edit"))
        show_violations(violations)
        card_media(card, actor, profile)  # its media, and their violations beside the text's
        cards.sources(d)
        st.text_area(t("draft.edit"), key=key, height=140, on_change=save_edit, args=(card,))
        if card.edited_at is not None or edited_now:
            st.caption(t("draft.autosaved"))
        card_actions(card, text)


def card_actions(card: StreamedDraft, text: str) -> None:
    d = card.draft
    c1, c2, c3 = st.columns([2, 2, 1])
    if c1.button(t("draft.refine_this"), key=f"refine-{card.id}", width="stretch"):
        desk.set_target(actor, view.id, d.id)
        st.rerun(scope="app")
    if card.sent_item_id is not None:
        c2.success(t("draft.kept_incomplete" if not d.complete else "draft.sent", id=card.sent_item_id))
    elif c2.button(t("draft.send_to_review" if d.complete else "draft.keep_incomplete"), key=f"send-{card.id}",
                   type="primary" if d.complete else "secondary", width="stretch"):
        with shown_errors():  # the draft, then its media (once, also when sent again after a failure)
            send_to_review(svc.review, svc.attachments, desk, actor, card, text)
            st.rerun()
    if card.sent_item_id is None and c3.button(t("draft.discard"), key=f"discard-{card.id}", width="stretch"):
        desk.discard(actor, card.id)
        st.rerun(scope="app")


# --- turns -----------------------------------------------------------------------------------------

def turn_error(turn: Turn) -> str:
    error = turn.error or {}
    if error.get("kind") == "internal":
        return t("draft.job_internal")
    key = error.get("key")
    message = t(key, **error.get("params", {})) if key else error.get("message", "")
    return t("error.prefix", message=md(message))


def show_turn(turn: Turn, *, live: bool = False) -> None:
    with st.chat_message("user"):
        st.markdown(md(turn.text))
    with st.chat_message("assistant"):
        for card in turn.shown:
            if card.state == "done" and card.draft is not None and not live:
                card_view(card)
            elif card.state == "done" and card.draft is not None:
                cards.streaming(card.model_copy(update={"text": card.draft.text}))
            elif card.state == "streaming":
                cards.streaming(card)
            else:
                cards.interrupted(card)
        if turn.state == "failed":
            st.error(turn_error(turn), icon="⚠️")
        elif turn.state == "interrupted":
            st.warning(t("draft.interrupted", when=when(turn.finished_at, profile.timezone)), icon="⏸️")
            if st.button(t("draft.resume"), key=f"resume-{turn.id}", type="primary"):
                with shown_errors():
                    svc.jobs.resume(actor, turn.id)
                    st.rerun()


@st.fragment(run_every=POLL_SECONDS)
def live_turn(session: int, turn_id: int) -> None:
    """The running job, read back from the database until it ends (whichever process runs it)."""
    now = desk.get(actor, session)
    turn = next((x for x in now.turns if x.id == turn_id), None)
    if turn is None or turn.state != "running":
        st.rerun(scope="app")
    show_turn(turn, live=True)


# --- recent sessions -------------------------------------------------------------------------------

def recent_sessions() -> None:
    recent = desk.recent(actor, slug)
    new, past = st.columns([1, 3])
    if new.button(t("draft.new_brief"), key="desk-new", width="stretch", disabled=session_id is None):
        st.session_state[OPEN] = None
        st.session_state.pop("desk-restored", None)
        st.rerun()
    if not recent:
        return
    with past.expander(t("draft.recent", n=len(recent))):
        for s in recent:
            info, go = st.columns([5, 1])
            info.markdown(("▶️ " if s.id == session_id else "") + f"**{md(s.title)}**")
            info.caption(f"{when(s.updated_at, profile.timezone)} · {t('draft.recent_drafts', n=s.drafts)}"
                         + (f" · {t('draft.streaming')}" if s.running else ""))
            if s.id != session_id and go.button(t("draft.open"), key=f"desk-open-{s.id}", width="stretch"):
                st.session_state[OPEN] = s.id
                st.rerun()


def bad_link() -> bool:
    link = (st.session_state.get("link") or "").strip()
    return bool(link) and safe_link(link) is None


def submit(prompt: str, chosen: list[str]) -> None:
    """Start the job (a brief, or a refinement of the target) and show the session it runs in."""
    global session_id
    target = view.find(view.refine_target) if view is not None else None
    if target is None and not chosen:
        raise AssistantError(t("draft.pick_platform"))
    if target is None and bad_link():
        raise AssistantError(t("draft.bad_link"))
    if session_id is None or target is None and view is not None and view.turns:
        # a new brief opens a new session (so the recent list is one brief each); a refinement stays
        session_id = st.session_state[OPEN] = desk.open(actor, slug, options_now())
        st.session_state["desk-restored"] = (slug, session_id)
    if target is not None:
        svc.jobs.refine(actor, session_id, target.draft, prompt)
        return
    svc.knowledge.index_brand(brand, by=actor)  # no-op when fresh; a brand refusing the embedding model: said here
    o = options_now()
    request = DraftRequest(brand=slug, platforms=chosen, brief=prompt, goal=o.goal, language=o.language,
                           variants=o.variants, link=o.link or None, call_to_action=o.cta or None)
    svc.jobs.brief(actor, session_id, request)


# --- page ------------------------------------------------------------------------------------------

cards.autosave()
st.title(t("draft.title", brand=md(profile.name)))
recent_sessions()
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 1.3, 1])
    st.session_state.setdefault(f"platforms-{slug}", default_platforms())
    chosen = c1.multiselect(t("draft.platforms"), list(platforms.PLATFORMS), format_func=cards.label,
                            key=f"platforms-{slug}", on_change=save_options)
    st.session_state.setdefault("goal", "engagement")
    c2.selectbox(t("draft.goal"), list(GOALS), format_func=lambda g: t(f"goal.{g}"), key="goal",
                 on_change=save_options)
    c3.selectbox(t("draft.language"), list(dict.fromkeys([*profile.all_languages, *LANGUAGE_NAMES])),
                 key=f"language-{slug}", format_func=lambda code: t(f"violation.lang.{code}"), on_change=save_options)
    st.session_state.setdefault("variants", 1)
    c4.number_input(t("draft.variants"), min_value=1, max_value=5, key="variants", on_change=save_options)
    with st.expander(t("draft.more_options"), expanded=bool(bad_link())):
        st.text_input(t("draft.link"), key="link", on_change=save_options, max_chars=2000,
                      placeholder="https://")
        if bad_link():  # said next to the field, as it is typed; the brief is not sent with it
            st.error(t("draft.bad_link"), icon="🔗")
        st.text_input(t("draft.cta"), key="cta", on_change=save_options, max_chars=200)

st.session_state["desk-options-carry"] = ((slug, lang()), {k: st.session_state[k] for k in OPTION_KEYS
                                                           if k in st.session_state})
running = view.running if view is not None else None
for turn in view.turns if view is not None else []:
    if turn is not running:
        show_turn(turn)
if running is not None:
    live_turn(view.id, running.id)

target = view.find(view.refine_target) if view is not None else None
if target is not None and running is None:
    info, reset = st.columns([5, 1])
    info.info(t("draft.refining", platform=cards.label(target.platform), variant=target.variant), icon="🔁")
    if reset.button(t("draft.new_brief"), key="desk-untarget", width="stretch"):
        desk.set_target(actor, view.id, None)
        st.rerun()
elif view is None or not view.turns:
    st.caption(t("draft.empty_hint"))

# The brief's limit is shown as the user types (the box counts and stops at it). A brief that
# cannot be sent is answered here, in the user's language, and put back in the box: never wiped.
if "brief-restore" in st.session_state:
    st.session_state["brief"] = st.session_state.pop("brief-restore")
prompt = st.chat_input(t("draft.refine_placeholder") if target else t("draft.brief_placeholder"),
                       key="brief", max_chars=MAX_BRIEF, disabled=running is not None)
problem = st.session_state.get("brief-problem")  # shown until a brief goes through
if problem:
    st.warning(problem, icon="✏️")
if prompt is not None:
    problem = None
    if len(prompt.strip()) < MIN_BRIEF:
        problem = t("draft.brief_too_short", min=MIN_BRIEF)
    else:
        try:
            submit(prompt, chosen)
        except AssistantError as exc:
            problem = t("error.prefix", message=md(say(exc)))
        except ValidationError as exc:  # request validation: our messages, without pydantic's links
            problem = t("error.prefix", message=md("; ".join(
                str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())))
        else:
            st.session_state.pop("brief-problem", None)
    if problem:
        st.session_state["brief-problem"] = problem
        if prompt.strip():
            st.session_state["brief-restore"] = prompt
    st.rerun()
