"""The notice's blocks written out: into a PDF writer (the report's `analytics.report.pdf.Writer`,
for the notice on its own and as a section of the client report) and as Markdown (every piece of
text escaped, so that no name or model in it becomes a link, an image or HTML). The HTML is a
template (`analytics/report/templates/notice_section.html.j2`, autoescaped)."""

from __future__ import annotations

import re
from typing import Any

from assistant.analytics.notice.data import NoticeData
from assistant.text.markdown import escape_markdown

# On top of the shared escaping (assistant.text.markdown): `#` anywhere, and a bare www. address
# (GitHub's Markdown links it), since the file may be read by any Markdown viewer.
_MD_HASH = re.compile(r"(?<!\\)#")  # not escaped yet
_MD_WWW = re.compile(r"(?i)\b(www)\.")  # GitHub's Markdown links a bare www. address


def md_text(text: object) -> str:
    """`text` as Markdown that shows it as it is (nothing in it takes effect)."""
    flat = _MD_HASH.sub(r"\\#", escape_markdown(" ".join(str(text if text is not None else "").split())))
    return _MD_WWW.sub(r"\1\\.", flat)


def write_pdf(w: Any, notice: NoticeData, *, size: float = 13) -> None:
    """The notice's title and blocks into `w` (`write(text, size, style, space)`, `table(header, rows)`);
    `size`: the title's, headings one step smaller."""
    w.write(notice.title, size, "B", 1)
    w.write(f"{notice.subtitle} · {notice.generated}", 9, "", 3)
    for b in notice.blocks:
        if b.kind == "h":
            w.write(b.text, size - 2, "B")
        elif b.kind == "table":
            w.table(list(b.header), [list(r) for r in b.rows], (75, 25) if len(b.header) == 2 else None)
        elif b.kind == "list":
            for item in b.items:
                w.write(f"• {item}", 10, "", 1)
            w.write("", 4, "", 1)
        else:
            w.write(b.text, 8 if b.kind == "note" else 10)


def to_markdown(notice: NoticeData) -> str:
    lines = [f"# {md_text(notice.title)}", "", f"*{md_text(notice.subtitle)} · {md_text(notice.generated)}*", ""]
    for b in notice.blocks:
        if b.kind == "h":
            lines += [f"## {md_text(b.text)}", ""]
        elif b.kind == "table":
            lines.append("| " + " | ".join(md_text(c) for c in b.header) + " |")
            lines.append("|" + "---|" * len(b.header))
            lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in b.rows]
            lines.append("")
        elif b.kind == "list":
            lines += [f"- {md_text(item)}" for item in b.items] + [""]
        elif b.kind == "note":
            lines += [f"*{md_text(b.text)}*", ""]
        else:
            lines += [md_text(b.text), ""]
    return "\n".join(lines)
