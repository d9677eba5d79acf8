"""Streamlit pages of Copydesk: thin over the `assistant` library (the only place importing streamlit)."""
