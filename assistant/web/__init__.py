"""The Streamlit web app: the shell (`app.py`) and its pages. The only package that imports streamlit."""

from pathlib import Path

APP = Path(__file__).resolve().parent / "launch.py"  # the app and its routes (`web.server`)
