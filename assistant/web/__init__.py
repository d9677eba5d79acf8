"""The Streamlit web app: the shell (`app.py`) and its pages. The only package that imports streamlit."""

from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"  # the Streamlit script
LAUNCHER = Path(__file__).resolve().parent / "launch.py"  # what `streamlit run` serves: the app and its routes
