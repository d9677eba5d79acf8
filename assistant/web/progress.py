"""Progress the page shows while texts are embedded: done of all, rate and time left, in the
reader's language; and re-embedding a brand whose stored vectors another model made."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from assistant.i18n import duration, number
from assistant.web.common import lang, md, reviewer, services, t


def progress_bar(label_key: str = "library.embedding") -> Callable[[int, int], None]:
    """An `st.progress` and the callback that moves it: `callback(done, total)`."""
    bar = st.progress(0.0, text=t(label_key))
    started = time.monotonic()

    def update(done: int, total: int) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        bar.progress(min(done / max(total, 1), 1.0),
                     text=t("library.progress", done=number(done, lang()), total=number(total, lang()),
                            rate=number(round(rate), lang()), left=duration(left, lang())))

    return update


def reembed_if_needed(slug: str) -> None:
    """When the configured embedding model is not the one that made the brand's vectors, embed the
    brand's recorded documents again now, with progress (its collection is searchable after)."""
    knowledge = services().knowledge
    change = knowledge.model_change(slug)
    if change is None:
        return
    name = services().brand(slug).profile.name
    st.info(t("index.reembedding", brand=md(name), old=md(change[0]), new=md(change[1])), icon="🔄")
    n = knowledge.reembed(slug, progress_bar("index.reembedding_bar"), by=reviewer())
    st.success(t("index.reembedded", n=n, model=md(change[1])))
