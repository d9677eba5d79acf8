"""Where the files Copydesk ships live: prompt templates, the demo brands, report templates.

In a source checkout they are the repository's own folders (`prompts/`, `brand_profiles/`); in an
installed wheel the same files are packaged under `assistant/data/` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE.parent
_FOLDERS = {"prompts": "prompts", "brands": "brand_profiles"}


def in_checkout() -> bool:
    """True when running from a source checkout (pyproject next to the package)."""
    return (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "prompts").is_dir()


def folder(name: str) -> Path:
    """The shipped folder `name` (prompts | brands): the checkout's, else the packaged copy."""
    packaged = PACKAGE / "data" / name
    if packaged.is_dir():
        return packaged
    return REPO_ROOT / _FOLDERS[name]


def prompts_dir() -> Path:
    return folder("prompts")


def demo_brands_dir() -> Path:
    return folder("brands")
