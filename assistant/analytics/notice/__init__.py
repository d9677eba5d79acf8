"""The notice a professional gives a client about the AI used for the client's content (Italian
law 132/2025 art. 13): `data.build_notice` gathers the facts and writes the text (blocks in the
notice's language); `render` turns it into HTML, PDF or Markdown; the client report can carry it
as a section (`ReportData.notice`)."""

from assistant.analytics.notice.data import Block, NoticeData, build_notice
from assistant.analytics.notice.render import FORMATS, MEDIA_TYPES, filename, render, render_html, render_pdf
from assistant.analytics.notice.sections import to_markdown

__all__ = ["FORMATS", "MEDIA_TYPES", "Block", "NoticeData", "build_notice", "filename", "render", "render_html",
           "render_pdf", "to_markdown"]
