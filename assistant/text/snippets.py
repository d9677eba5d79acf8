"""Short one-line excerpts of longer texts, for lists, tables and calendars."""

from __future__ import annotations


def snippet(text: str | None, limit: int = 80) -> str:
    """`text` on one line (whitespace runs collapsed), cut at `limit` characters with "…"."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"
