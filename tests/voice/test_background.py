"""The shipped background corpus: found through importlib.resources, complete lines only, each text once."""

from __future__ import annotations

import json

from assistant.voice.background import load_background, parse_parts


def test_the_shipped_corpus_is_large_and_in_both_languages():
    corpus = load_background()
    assert len(corpus.posts) >= 1000, "issue 14: at least 1,000 background posts"
    langs = {p.lang for p in corpus.posts}
    assert {"it", "en"} <= langs
    assert len({p.sector for p in corpus.posts}) >= 3 and len({p.platform for p in corpus.posts}) >= 3
    assert all(p.text == p.text.strip() and p.text for p in corpus.posts)
    assert corpus.parts and all(name.endswith(".jsonl") for name in corpus.parts)


def test_half_written_lines_and_repeated_texts_are_skipped():
    good = {"lang": "it", "platform": "x", "sector": "s", "tone": "t", "text": "Buongiorno a tutti"}
    text = "\n".join([json.dumps(good), json.dumps({**good, "text": "Buongiorno   a tutti"}), "",
                      json.dumps({"lang": "en", "text": ""}), '{"lang": "en", "text": "cut h'])
    corpus = parse_parts([("a.jsonl", text), ("b.jsonl", json.dumps({**good, "text": "Altro post"}))])
    assert [p.text for p in corpus.posts] == ["Buongiorno a tutti", "Altro post"]
    assert corpus.skipped == 2 and corpus.parts == ("a.jsonl", "b.jsonl")
    assert corpus.posts[0].lang == "it" and corpus.posts[1].sector == "s"


def test_the_digest_changes_with_the_texts():
    one = parse_parts([("a.jsonl", json.dumps({"text": "uno"}))])
    same = parse_parts([("z.jsonl", json.dumps({"text": "uno", "lang": "it"}))])
    two = parse_parts([("a.jsonl", json.dumps({"text": "uno"}) + "\n" + json.dumps({"text": "due"}))])
    assert one.digest == same.digest != two.digest
