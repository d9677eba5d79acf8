"""The media of a card on the drafting desk: files picked from the brand's library in the post's
order (a carousel's first slide first), with small thumbnails and an alt text per file, prefilled
with the file's own alt text or a proposal (marked as such until it is changed); saved to the desk
as they change (a reload keeps them), and attached to the review item when the card is sent. The
card's media are checked against its platform's media rules and the brand's alt-text rule, like
its text (a platform that needs media says so on a card without any). File names and alt texts
are foreign text: shown as text, never as Markdown or HTML."""

from __future__ import annotations

import streamlit as st

from assistant.accounts import Actor
from assistant.brands import BrandProfile
from assistant.desk import DraftMedia, StreamedDraft
from assistant.desk.schemas import MAX_MEDIA
from assistant.errors import AssistantError
from assistant.media import MediaPublic, PlannedAttachment, preview
from assistant.media.attachments import MAX_ALT
from assistant.platforms.media import check_media
from assistant.web.common import md, say, services, show_violations, t
from assistant.web.media import facts_text, thumbnail

ERROR = "dm-error"  # {card id: message}: a refusal of the last change, shown once


def _pick_key(card: StreamedDraft) -> str:
    return f"dm-pick-{card.id}"


def _alt_key(card: StreamedDraft, media_id: int) -> str:
    return f"dm-alt-{card.id}-{media_id}"


def _own_alt(card: StreamedDraft, m: MediaPublic) -> str:
    """What the file's alt text is without one typed on the card: the upload's, else a proposal."""
    d = card.draft
    [planned] = preview([m], [None], brief=d.brief, language=d.language)
    return planned.alt_text or ""


def _chosen(card: StreamedDraft, library: dict[int, MediaPublic]) -> list[DraftMedia]:
    """The card's media as the widgets hold them (the card itself may be an older copy)."""
    ids = [i for i in st.session_state.get(_pick_key(card), []) if i in library]
    out = []
    for i in ids:
        typed = (st.session_state.get(_alt_key(card, i)) or "").strip()
        out.append(DraftMedia(media_id=i, alt=typed if typed and typed != _own_alt(card, library[i]) else None))
    return out


def _save(card: StreamedDraft, who: Actor, library: dict[int, MediaPublic]) -> None:
    """A change of the pick or of an alt text, saved to the desk. A field emptied means the file's
    own alt text (or a proposal) again: the field shows it, so what is shown is what is sent."""
    for i in st.session_state.get(_pick_key(card), []):
        key = _alt_key(card, i)
        if i in library and key in st.session_state and not (st.session_state[key] or "").strip():
            st.session_state[key] = _own_alt(card, library[i])
    try:
        services().desk.set_media(who, card.id, _chosen(card, library))
    except AssistantError as exc:
        st.session_state[ERROR] = {card.id: t("error.prefix", message=md(say(exc)))}
    else:
        st.session_state.pop(ERROR, None)


def _prefill(card: StreamedDraft, library: dict[int, MediaPublic]) -> None:
    """The widgets start from the card as saved (once per card and page session)."""
    key = _pick_key(card)
    if key in st.session_state:
        return
    saved = [m for m in card.media if m.media_id in library]
    st.session_state[key] = [m.media_id for m in saved]
    for m in saved:
        st.session_state[_alt_key(card, m.media_id)] = m.alt or _own_alt(card, library[m.media_id])


def planned(card: StreamedDraft, library: dict[int, MediaPublic]) -> list[PlannedAttachment]:
    """The card's files as they would be attached (what the media rules read)."""
    chosen = _chosen(card, library)
    d = card.draft
    return preview([library[m.media_id] for m in chosen], [m.alt for m in chosen], brief=d.brief,
                   language=d.language)


def _one(card: StreamedDraft, who: Actor, library: dict[int, MediaPublic], p: PlannedAttachment) -> None:
    m = library[p.media_id]
    key = _alt_key(card, m.id)
    if key not in st.session_state:  # just picked: its own alt text, or a proposal, to change
        st.session_state[key] = _own_alt(card, m)
    pic, about = st.columns([1, 4])
    with pic:
        thumbnail(m, width=72)
    with about:
        st.markdown(f"**{p.position + 1}.** #{m.id} · {md(m.original_name)}")
        st.caption(facts_text(m))
        if p.alt_source == "proposal":
            st.caption("✏️ " + t("media.alt_proposal_mark"))
        st.text_input(t("draft.media_alt", n=p.position + 1), key=key, max_chars=MAX_ALT, help=t("media.alt_help"),
                      on_change=_save, args=(card, who, library))


def card_media(card: StreamedDraft, who: Actor, profile: BrandProfile) -> None:
    """The card's media violations (beside the text's) and its "Media (n)" panel; a sent card's
    media belong to its review item (changed there)."""
    if card.sent_item_id is not None or card.draft is None:
        return
    library = {m.id: m for m in services().media.list(card.draft.brand, actor=who)}
    _prefill(card, library)
    files = planned(card, library)
    show_violations(check_media(card.draft.platform, files, profile))
    refused = st.session_state.get(ERROR, {}).pop(card.id, None)
    if refused:
        st.error(refused, icon="⚠️")
    with st.expander(t("draft.media", n=len(files)), key=f"dm-open-{card.id}"):  # stays open as its count changes
        if not library:
            st.caption(t("draft.media_empty"))
            return
        st.multiselect(t("draft.media_pick"), list(library), key=_pick_key(card),
                       placeholder=t("media.pick_placeholder"),
                       format_func=lambda i: f"#{i} · {library[i].original_name}", max_selections=MAX_MEDIA,
                       on_change=_save, args=(card, who, library))
        st.caption(t("draft.media_help"))
        for p in files:
            _one(card, who, library, p)
