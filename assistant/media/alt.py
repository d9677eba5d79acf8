"""A first alt text to confirm, from the file's name and the item's brief, in the item's
language; no model involved. It is always stored as a `proposal`: a person confirms or rewrites
it (alt text describes what the image shows, which neither the name nor the brief knows)."""

from __future__ import annotations

import re

# Camera and phone file names say nothing about the picture.
_NOISE = re.compile(r"^(img|dsc|dscn|dscf|pxl|dji|gopr|mvimg|photo|foto|image|immagine|screenshot|whatsapp|"
                    r"scaled|final|copy|copia|edit|v\d+|\d+|[0-9a-f]{8,})$", re.IGNORECASE)
MAX_BRIEF = 160
MAX_ALT = 5000  # far above any platform's limit (the media rules check those): a guard, not a rule


def subject(filename: str) -> str:
    """The words of a file name a reader would recognise: "IMG_2034_festa-in-bottega.jpg" ->
    "festa in bottega"; "" when nothing is left."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", filename.strip())
    words = [w for w in re.split(r"[\s_\-.+()\[\]]+", stem) if w and not _NOISE.match(w)]
    return " ".join(words)


def _first_sentence(brief: str) -> str:
    text = " ".join(brief.split())
    cut = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(cut) > MAX_BRIEF:
        cut = cut[:MAX_BRIEF].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return cut.rstrip(".")


def propose(filename: str, brief: str, language: str) -> str | None:
    """A proposed alt text ("Immagine: festa in bottega. Festa in bottega a Schio sabato"), or None
    when neither the name nor the brief gives anything to say."""
    from assistant.i18n import t

    lang = language if language in ("it", "en") else "en"
    name, about = subject(filename), _first_sentence(brief)
    if name and about:
        return t("media.alt_proposal", lang, subject=name, brief=about)
    if name or about:
        return t("media.alt_proposal_short", lang, subject=name or about)
    return None


def first(typed: str | None, uploaded: str | None, filename: str, brief: str,
          language: str) -> tuple[str | None, str | None]:
    """The alt text a file starts with where it is attached, and its source: the text typed for
    this post (`human`), else the one typed at upload (`human`), else a proposal from the file
    name and the brief (`proposal`), else none (None, None)."""
    text = typed or uploaded
    if text:
        return text, "human"
    proposed = propose(filename, brief, language)
    return (proposed, "proposal") if proposed else (None, None)


def clean(text: str | None) -> str | None:
    """Alt text as a person typed it, trimmed (empty: none); refused when far too long."""
    from assistant.media.errors import MediaError

    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_ALT:
        raise MediaError(f"alt text of {len(text)} characters: write at most {MAX_ALT} (platforms take less: "
                         "1,500 on Mastodon)", code="media_alt_huge", n=len(text), max=MAX_ALT)
    return text or None
