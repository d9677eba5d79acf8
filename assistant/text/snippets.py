"""Short one-line excerpts of longer texts, for lists, tables and calendars."""

from __future__ import annotations


def snippet(text: str | None, limit: int = 80, ellipsis: str = "…") -> str:
    """`text` on one line (whitespace runs collapsed), at most `limit` characters, cut with `ellipsis`."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit - len(ellipsis)].rstrip() + ellipsis
