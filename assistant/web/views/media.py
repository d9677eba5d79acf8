"""Media library of the chosen brand: upload images and short videos (recognised by their
content; a refusal says what to fix), and the brand's media as thumbnails with their name,
size, dimensions and alt text. Attaching them to a post happens in the review queue."""

from __future__ import annotations

import streamlit as st

from assistant.accounts import can
from assistant.web.common import brand_slug, md, reviewer, services, shown_errors, t
from assistant.web.media import media_grid, outcome, upload_box

svc = services()
slug = brand_slug()
who = reviewer()
brand = svc.brand(slug)

st.title(t("media.title", brand=md(brand.profile.name)))
st.caption(t("media.page_help"))
if brand.profile.alt_text_required:
    st.info(t("media.alt_required"), icon="♿")

if can(who, "library", slug):
    with st.expander(t("media.upload_title"), expanded=True):
        if upload_box(slug, "media_upload", who):
            st.rerun()
        outcome("media_upload")
else:
    st.info(t("auth.read_only", roles=", ".join(t(f"role.{r}") for r in sorted(who.roles_on(slug))),
              what=t("media.upload_what")), icon="🔒")

with shown_errors():
    items = svc.media.list(slug, actor=who)
    st.subheader(t("media.count", n=len(items)))
    if not items:
        st.caption(t("media.empty"))
    media_grid(items)
