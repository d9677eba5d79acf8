"""What `assistant app` runs with `streamlit run` (an installed package): the same app as the
checkout's streamlit_app.py. `streamlit run` finds `app` below by reading this file. (It puts this
folder on sys.path: no module here may share a name with the standard library's.)"""

import streamlit as st

from assistant.web.server import SCRIPT, lifespan, middleware, routes

app = st.App(SCRIPT, routes=routes(), middleware=middleware(), lifespan=lifespan)
