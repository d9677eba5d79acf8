"""The voice-match score on the pages: how much a text sounds like the brand (0-100 on the brand's
own scale, its real posts' median marked), for a card's text as it stands and for a review item."""

from __future__ import annotations

import streamlit as st

from assistant.i18n import number
from assistant.voice import MIN_POSTS
from assistant.web.common import lang, services, t


def learn_voice(slug: str) -> None:
    """When a brand is chosen: its voice model is brought up to date in the background (trained
    once, then only when its posts change; a saved model is reloaded). Nothing waits for it, and
    the page does not rerun by itself when it is ready (that would reset the tab someone is on and
    what they are typing): cards drawn meanwhile say the voice is being learnt, and show the score
    on the page's next run (the draft job's own rerun when it ends, or any click)."""
    services().voice.learn(slug)


def voice_line(slug: str, text: str) -> None:
    """One caption: the score of `text`, the brand's median, and what they mean (in the help)."""
    voice = services().voice
    if not text.strip():
        return
    if voice.learning(slug):
        st.caption(t("voice.card_learning"))
        return
    assessed = voice.assess(slug, text)
    if assessed is None:
        st.caption(t("voice.card_not_enough", n=number(voice.posts(slug), lang()), needed=MIN_POSTS))
        return
    scored, info = assessed
    verdict = t(f"voice.{info.verdict(scored.score)}")  # voice.like_its_posts | voice.somewhat | voice.unlike
    st.caption(t("voice.line", score=scored.score, median=scored.brand_median, verdict=verdict),
               help=t("voice.help", posts=number(info.posts, lang()), q1=info.q1, q3=info.q3))
