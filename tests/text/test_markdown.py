"""The one Markdown escaping: nothing in foreign text takes effect (images, links, HTML, headings)."""

from assistant.text.markdown import escape_markdown


def test_active_markdown_is_escaped_and_the_text_is_kept():
    raw = "# Titolo\n![x](http://pixel.example/a.png) <img src=x> [link](https://e.it) *forte* 1. lista"
    out = escape_markdown(raw)
    assert "\\!\\[x\\]" in out and "\\<img" in out and "\\[link\\]" in out and out.startswith("\\#")
    assert "\\*forte\\*" in out and "\\1. lista" not in out  # mid-line "1." is no list: left as it is
    assert out.replace("\\", "") == raw  # only escapes were added
