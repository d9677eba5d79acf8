"""A brand's media on the pages: the upload box (the library recognises each file by its content
and refuses with a message that says what to fix; nothing is checked here by its name), the
facts of a file (size, dimensions, length) in the reader's number format, and the grid of the
brand's media with their thumbnails and alt text. File names and alt texts are foreign text:
shown as text, never as Markdown or HTML."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from assistant.accounts import Actor
from assistant.errors import AssistantError
from assistant.i18n import number
from assistant.media import Attachment, MediaPublic
from assistant.web.common import lang, md, say, services, show_text, t
from assistant.web.server import max_upload_mib
from assistant.web.uploads import uploader_style

OUTCOME = "media_outcome"  # {key: (added, existing, failed)}: shown under the upload box after the rerun
PER_ROW = 4


def size_text(size: int) -> str:
    """Bytes as a person reads them: "850 KB", "2,4 MB" (in the reader's number format)."""
    if size < 1_000_000:
        return t("media.size_kb", size=number(max(1, round(size / 1000)), lang()))
    return t("media.size_mb", size=number(round(size / 1_000_000, 1), lang(), digits=1))


def facts_text(m: MediaPublic | Attachment) -> str:
    """ "PNG · 40 × 30 px · 2 KB", a video with its length: plain text of ours (no file names)."""
    parts = [m.mime.split("/")[-1].upper()]
    if m.width and m.height:
        parts.append(t("media.dimensions", width=m.width, height=m.height))
    if m.duration:
        parts.append(t("media.seconds", seconds=number(round(m.duration, 1), lang(), digits=1)))
    parts.append(size_text(m.bytes))
    return " · ".join(parts)


def thumbnail(m: MediaPublic | Attachment, width: int = 160) -> None:
    """The file's thumbnail (images), or a video's mark."""
    if m.thumbnail_path is not None and m.thumbnail_path.is_file():
        st.image(str(m.thumbnail_path), width=width)
    else:
        st.markdown(f"🎬 **{t('media.video')}**" if m.kind == "video" else "🖼️")


def alt_line(alt: str | None, source: str | None = None) -> None:
    """The alt text as text, marked when it is a proposal or missing."""
    if not alt:
        st.caption(t("media.no_alt"))
        return
    st.caption(t("media.alt_proposal_mark") if source == "proposal" else t("media.alt_label"))
    show_text(alt)


def media_grid(items: Sequence[MediaPublic]) -> None:
    """The brand's media, newest first: thumbnail, number, name, facts and alt text."""
    for start in range(0, len(items), PER_ROW):
        cols = st.columns(PER_ROW)
        for col, m in zip(cols, items[start:start + PER_ROW]):
            with col.container(border=True):
                thumbnail(m)
                st.markdown(f"**#{m.id}** · {md(m.original_name)}")
                st.caption(facts_text(m))
                alt_line(m.alt_text)


def upload_box(brand: str, key: str, who: Actor, *, alt_field: bool = True) -> list[MediaPublic]:
    """Files to add to the brand's library: the uploader, an alt text (one file) and the button.
    Returns what was added when the button was clicked (else nothing); refusals are kept in
    `OUTCOME` for `outcome(key)` and the page is run again by the caller."""
    svc = services()
    st.html(uploader_style(key, many=True))
    files = st.file_uploader(t("media.upload"), key=key, accept_multiple_files=True,
                             help=t("media.upload_help", image=size_text(svc.settings.media_max_image_bytes),
                                    video=size_text(svc.settings.media_max_video_bytes)),
                             max_upload_size=max_upload_mib(svc.settings.max_upload_mb)) or []
    alt = st.text_input(t("media.alt_at_upload"), key=f"{key}_alt", help=t("media.alt_at_upload_help"),
                        disabled=len(files) != 1) if alt_field else ""
    keep = st.checkbox(t("media.keep_original"), key=f"{key}_keep", help=t("media.keep_original_help"))
    if not st.button(t("media.add"), key=f"{key}_add", disabled=not files, type="primary"):
        return []
    added, existing, failed = [], [], []
    for f in files:
        try:
            got = svc.media.add(brand, f.getvalue(), by=who, name=f.name, keep_original=keep,
                                alt=alt if len(files) == 1 else None)
        except AssistantError as exc:
            failed.append(say(exc))
            continue
        (existing if got.existing else added).append(got)
    st.session_state[OUTCOME] = {key: ([m.id for m in added], [m.id for m in existing], failed)}
    return added + existing


def outcome(key: str) -> None:
    """What the last click of the upload box `key` did, in the reader's language."""
    got = st.session_state.get(OUTCOME, {}).get(key)
    if not got:
        return
    added, existing, failed = got
    if added:
        st.success(t("media.added", n=len(added), ids=", ".join(f"#{i}" for i in added)))
    if existing:
        st.info(t("media.existing", n=len(existing), ids=", ".join(f"#{i}" for i in existing)))
    for message in failed:
        st.error(t("error.prefix", message=md(message)), icon="⚠️")
