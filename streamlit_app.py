"""Copydesk's web app: `streamlit run streamlit_app.py` from a checkout (`make run` does this),
or `assistant app` from an installed package. The app lives in `assistant/web/` (the pages in
`app.py`, Copydesk's own routes and start-up checks in `server.py`); `streamlit run` finds `app`
below by reading this file."""

import streamlit as st

from assistant.web.server import SCRIPT, lifespan, middleware, routes

app = st.App(SCRIPT, routes=routes(), middleware=middleware(), lifespan=lifespan)
