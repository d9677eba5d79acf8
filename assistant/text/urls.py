"""Which foreign URLs may become links: only absolute `http` and `https` addresses with a host.
Anything else (`javascript:`, `data:`, `file:`, relative paths, control characters) is shown as
text, never put in an `href`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UNSAFE = re.compile(r"[\x00-\x20\x7f\\\\]")


def safe_link(url: object) -> str | None:
    """`url` itself when it is an absolute http(s) URL with a host, else None."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if not candidate or _UNSAFE.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return candidate
