"""Copydesk's web app: `streamlit run streamlit_app.py` from a checkout (`make run` does this),
or `assistant app` from an installed package. The app itself lives in `assistant/web/`."""

from assistant.web.app import main

main()
