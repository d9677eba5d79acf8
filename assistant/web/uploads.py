"""File uploads on the pages: Streamlit's uploader with Copydesk's limit, checks and words.

- The limit is Copydesk's (ASSISTANT_MAX_UPLOAD_MB): the widget's `max_upload_size` and the
  server's `server.maxUploadSize` (set at start by `server.apply_upload_limit`, passed as a flag
  by `assistant app`) follow it, so the uploader says "20MB per file".
- File types and sizes are checked here, not by the widget: a wrong file gets a short message in
  the page's language right under the field (the widget's own refusals are English). Only a file
  over Streamlit's limit never reaches the page: the browser marks it, and a style says why in
  the page's language.
- Streamlit writes its uploader's button label ("Upload") in English whatever the language: a
  style hides it (`display: none`: neither the eye, `innerText` nor a screen reader meets it) and
  shows the catalogue's label in its place (which is the button's accessible name).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.knowledge.parsing import MIXED
from assistant.platforms.rules import PLATFORMS, label
from assistant.i18n import number
from assistant.web.common import lang, md, services, t
from assistant.web.server import max_upload_mib

_BUTTON = '.st-key-{key} [data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]'
_REFUSED = '.st-key-{key} [data-testid="stFileChips"]:has([data-testid="stFileChip"][aria-invalid="true"])'


def css_string(text: str) -> str:
    """`text` as a CSS string literal (quotes, backslashes and angle brackets escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3C ")
    return f'"{escaped}"'


def uploader_style(key: str, *, many: bool = False) -> str:
    """The style that puts the page's words on the uploader `key`: its button, and the reason a
    file was refused by the browser (over the limit)."""
    limit = number(services().settings.max_upload_mb, lang())
    button = _BUTTON.format(key=key)
    refused = _REFUSED.format(key=key)
    return (f"<style>{button} p {{display: none;}}"
            f"{button}::after {{content: {css_string(t('library.browse_many' if many else 'library.browse'))};}}"
            f"{refused}::after {{content: {css_string(t('library.too_big_chip', limit=limit))}; display: block;"
            " width: 100%; margin-top: 0.25rem; color: var(--st-red-color, #d33); font-size: 0.875rem;}</style>")


def file_problem(name: str, size: int, suffixes: Sequence[str]) -> str | None:
    """Why this file cannot go in (wrong type, over the limit), in the page's language; None if fine."""
    settings = services().settings
    if Path(name).suffix.lower() not in suffixes:
        return t("library.wrong_type", name=md(name), types=" / ".join(suffixes))
    if size > settings.max_upload_bytes:
        return t("library.too_big", name=md(name), mb=number(round(size / 1e6, 1), lang(), digits=1),
                 limit=number(settings.max_upload_mb, lang()))
    return None


def uploader(label_text: str, key: str, suffixes: Sequence[str], *, many: bool = False,
             help_text: str | None = None) -> list[Any]:
    """The uploader `key` with Copydesk's limit and words; the files that may go in (a file that
    may not gets its message right under the field)."""
    st.html(uploader_style(key, many=many))
    got = st.file_uploader(label_text, key=key, accept_multiple_files=many, help=help_text,
                           max_upload_size=max_upload_mib(services().settings.max_upload_mb))
    files = [f for f in (got if many else [got]) if f is not None]  # type: ignore[union-attr]
    fine = []
    for f in files:
        problem = file_problem(f.name, f.size, suffixes)
        if problem:
            st.error(problem, icon="⚠️")
        else:
            fine.append(f)
    return fine


def zone_choice(key: str, brand_zone: str) -> str:
    """The zone the file's dates without an offset are in: the brand's, or UTC when ticked."""
    utc = st.checkbox(t("library.utc"), key=key, help=t("library.utc_help", zone=brand_zone))
    return "UTC" if utc else brand_zone


def platform_choice(key: str, platforms: Sequence[str]) -> str | None:
    """For a file with no platform column: the platform of its posts (`MIXED`: several or
    unknown), None until the person chooses."""
    names = {**{p: label(p) for p in platforms or PLATFORMS}, MIXED: t("library.platform_mixed")}
    return st.selectbox(t("library.platform_ask"), list(names), index=None, key=key,
                        placeholder=t("library.platform_choose"), format_func=names.__getitem__)
