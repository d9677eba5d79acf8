"""The one Markdown escaping: nothing in foreign text takes effect (images, links, HTML, headings)."""

from assistant.text.markdown import escape_markdown


def test_active_markdown_is_escaped_and_the_text_is_kept():
    raw = "# Titolo\n![x](http://pixel.example/a.png) <img src=x> [link](https://e.it) *forte* 1. lista"
    out = escape_markdown(raw)
    assert "![" not in out and "](" not in out and "<img" not in out and not out.startswith("#")
    assert out.replace("\\", "") == raw  # only escapes were added
