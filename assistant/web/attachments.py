"""The media of a review item, in the item's view: the files in order (a carousel's first slide
first) with the platform's feed crop as a preview (an approximation, said so), their alt text
(a proposal is marked until a person confirms or rewrites it), move up / down, detach, and
attaching from the brand's library or a new upload. Every change is one library call as the
signed-in person on the version of the item this person saw; the library refuses a change when
the item's text could not change either, and the refusal is shown in the reader's language."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from assistant.accounts import Actor, can
from assistant.errors import AssistantError
from assistant.media import Attachment
from assistant.platforms import crop
from assistant.platforms.checks import Violation
from assistant.platforms.rules import label
from assistant.review import EditConflict
from assistant.platforms.media import check_media
from assistant.review.schemas import ItemView
from assistant.web.common import md, say, services, t
from assistant.web.media import alt_line, facts_text, outcome, thumbnail, upload_box

ERROR = "att_error"  # {item id: message}: a refusal, shown after the rerun


def media_violations(item: ItemView, attached: list[Attachment] | None = None) -> list[Violation]:
    """The item's media against its platform's media rules and its brand's alt-text rule."""
    svc = services()
    if attached is None:
        attached = svc.attachments.list(item.id)
    return check_media(item.platform, attached, svc.brand(item.brand).profile)


@st.cache_data(max_entries=256, show_spinner=False)
def feed_preview(platform: str, path: str) -> bytes:
    """The platform's feed crop of a stored image, as WebP bytes (a stored file never changes: its
    name is its content's hash, so the cache cannot go stale)."""
    out = io.BytesIO()
    crop.preview(platform, Path(path)).save(out, format="WEBP", quality=85)
    return out.getvalue()


def _run(item: ItemView, base: int, call: Callable[[int], object], *, clear: tuple[str, ...] = ()) -> None:
    """One change of the item's media on `base` (the version this person saw). After it, the text
    editor's base moves on by the one version this change made (its text did not change)."""
    try:
        call(base)
    except EditConflict:
        st.session_state[ERROR] = {item.id: t("media.conflict")}
    except AssistantError as exc:
        st.session_state[ERROR] = {item.id: t("error.prefix", message=md(say(exc)))}
    else:
        st.session_state.pop(ERROR, None)
        editor = f"rq_base_{item.id}"
        if st.session_state.get(editor) == base:
            st.session_state[editor] = base + 1
        for key in clear:
            st.session_state.pop(key, None)
    st.rerun()


def _alt_editor(item: ItemView, a: Attachment, who: Actor, base: int, editable: bool) -> None:
    key = f"att_alt_{item.id}_{a.media_id}"
    if not editable:
        return alt_line(a.alt_text, a.alt_source)
    if key not in st.session_state:
        st.session_state[key] = a.alt_text or ""
    if a.alt_source == "proposal":
        st.warning(t("media.alt_proposal_mark"), icon="✏️")
    elif not a.alt_text:
        st.caption(t("media.no_alt"))
    text = st.text_area(t("media.alt_label"), key=key, height=80, help=t("media.alt_help"))
    att = services().attachments
    c1, c2 = st.columns(2)
    if c1.button(t("media.alt_save"), key=f"att_alt_save_{item.id}_{a.media_id}",
                 disabled=text.strip() == (a.alt_text or "") and a.alt_source != "proposal"):
        _run(item, base, lambda v: att.set_alt(item.id, a.media_id, text, by=who, base_version=v), clear=(key,))
    if a.alt_source == "proposal" and c2.button(t("media.alt_confirm"), key=f"att_alt_ok_{item.id}_{a.media_id}",
                                                disabled=text.strip() != (a.alt_text or "")):
        _run(item, base, lambda v: att.confirm_alt(item.id, a.media_id, by=who, base_version=v), clear=(key,))


def _one(item: ItemView, attached: list[Attachment], i: int, who: Actor, base: int, editable: bool) -> None:
    a, att = attached[i], services().attachments
    order = [m.media_id for m in attached]
    with st.container(border=True):
        pic, about, moves = st.columns([2, 4, 1])
        with pic:
            if a.kind == "image" and a.path.is_file():
                st.image(feed_preview(item.platform, str(a.path)), width=200)
            else:
                thumbnail(a)
        with about:
            st.markdown(f"**{i + 1}.** #{a.media_id} · {md(a.original_name)}")
            st.caption(facts_text(a))
            _alt_editor(item, a, who, base, editable)
        if not editable:
            return
        if moves.button("⬆", key=f"att_up_{item.id}_{a.media_id}", disabled=i == 0, help=t("media.move_up")):
            new = order[:i - 1] + [order[i], order[i - 1]] + order[i + 1:]
            _run(item, base, lambda v: att.reorder(item.id, new, by=who, base_version=v))
        if moves.button("⬇", key=f"att_down_{item.id}_{a.media_id}", disabled=i == len(order) - 1,
                        help=t("media.move_down")):
            new = order[:i] + [order[i + 1], order[i]] + order[i + 2:]
            _run(item, base, lambda v: att.reorder(item.id, new, by=who, base_version=v))
        if moves.button("✖", key=f"att_detach_{item.id}_{a.media_id}", help=t("media.detach")):
            _run(item, base, lambda v: att.detach(item.id, a.media_id, by=who, base_version=v),
                 clear=(f"att_alt_{item.id}_{a.media_id}",))


def _attach_more(item: ItemView, attached: list[Attachment], who: Actor, base: int) -> None:
    """Files of the brand's library not attached yet, or a new upload, after those attached."""
    svc = services()
    present = {a.media_id for a in attached}
    free = {m.id: m for m in svc.media.list(item.brand, actor=who) if m.id not in present}
    st.markdown(f"**{t('media.attach_title')}**")
    if free:
        pick = st.multiselect(t("media.attach_pick"), list(free), key=f"att_pick_{item.id}",
                              placeholder=t("media.pick_placeholder"),
                              format_func=lambda i: f"#{i} · {free[i].original_name}")
        if st.button(t("media.attach"), key=f"att_add_{item.id}", disabled=not pick):
            _run(item, base, lambda v: svc.attachments.attach(item.id, pick, by=who, base_version=v),
                 clear=(f"att_pick_{item.id}",))
    else:
        st.caption(t("media.attach_none"))
    if can(who, "library", item.brand):
        with st.expander(t("media.attach_upload")):
            key = f"att_upload_{item.id}"
            added = upload_box(item.brand, key, who, alt_field=False)
            new = [m.id for m in added if m.id not in present]
            if new:
                _run(item, base, lambda v: svc.attachments.attach(item.id, new, by=who, base_version=v))
            outcome(key)


def media_panel(item: ItemView, who: Actor, base: int, attached: list[Attachment]) -> None:
    """The item's media, and (while its text can change) the controls to change them."""
    editable = "edit" in item.allowed_actions
    refused = st.session_state.get(ERROR, {}).pop(item.id, None)  # shown once, after the click's rerun
    if refused:
        st.error(refused, icon="⚠️")
    if attached:
        known = item.platform in crop.FEED_CROPS
        st.caption(t("media.crop_note" if known else "media.crop_unknown", platform=label(item.platform)))
    else:
        st.caption(t("media.none_attached"))
    for i in range(len(attached)):
        _one(item, attached, i, who, base, editable)
    if not editable:
        st.caption(t("media.not_editable", state=t(f"state.{item.state}")))
        return
    _attach_more(item, attached, who, base)
