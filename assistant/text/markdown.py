"""Foreign text (posts, briefs, comments, profiles, model output, names) as Markdown that shows it
as it is: no emphasis, link, image, HTML, table or heading in it takes effect. One copy, for the
web app's pages and for the Markdown files the library writes (the client notice)."""

from __future__ import annotations

import re

# `:` too: no `http://` autolink (it would swallow the escapes after it) and no `:emoji:`/`:red[...]`
_INLINE = re.compile(r"([\\`*_\[\]<>!|~$&:])")  # emphasis, code, links, images, HTML, tables, maths
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)  # headings, quotes, lists


def escape_markdown(text: object) -> str:
    """`text` with every Markdown-active character escaped (line breaks kept as they are)."""
    flat = _INLINE.sub(r"\\\1", str(text if text is not None else ""))
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), flat)
