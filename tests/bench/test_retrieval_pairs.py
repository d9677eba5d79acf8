"""The retrieval benchmark's judged queries (bench/data/retrieval_pairs.jsonl).

What bench/retrieval_quality.py relies on: enough queries in both languages and of both kinds,
well-formed lines, and references that point at exactly one row of the real posts (checked only
where ../shared/data/posts is present: the posts are internal data, never in the repository), with
no query counting its own post, or a post it leaves out, as relevant.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench import retrieval_data as rd

REQUIRED = {"id", "lang", "kind", "query", "relevant"}
needs_posts = pytest.mark.skipif(not rd.POSTS_DIR.is_dir(), reason=f"the real posts are not at {rd.POSTS_DIR}")


@pytest.fixture(scope="module")
def queries() -> list[rd.Query]:
    return rd.load_queries()


@pytest.fixture(scope="module")
def corpus() -> rd.Corpus:
    return rd.build_corpus(rd.load_posts())


def test_every_line_is_a_complete_query():
    lines = [json.loads(line) for line in rd.PAIRS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines
    for d in lines:
        assert REQUIRED <= set(d), d.get("id")
        assert d["lang"] in ("it", "en") and d["kind"] in ("pair", "written"), d["id"]
        assert isinstance(d["query"], str) and d["query"].strip(), d["id"]
        if d["kind"] == "pair":
            assert "#" in d["query"] and d.get("story"), d["id"]  # a reference, and what the story is
        assert set(d) <= REQUIRED | {"ignore", "story"}, d["id"]


def test_enough_queries_in_both_languages_and_kinds(queries):
    langs = Counter(q.lang for q in queries)
    kinds = Counter(q.kind for q in queries)
    assert len(queries) >= 100
    assert langs["en"] >= 30 and langs["it"] >= 30
    assert kinds["pair"] >= 30 and kinds["written"] >= 30
    assert len({q.id for q in queries}) == len(queries)


def test_no_empty_relevant_list_and_no_query_relevant_to_itself(queries):
    for q in queries:
        assert q.relevant, q.id
        assert len(set(q.relevant)) == len(q.relevant), q.id
        assert not set(q.ignore) & set(q.relevant), q.id
        if q.kind == "pair":
            assert q.query not in q.relevant and q.query not in q.ignore, q.id


@needs_posts
def test_every_reference_is_exactly_one_row(queries, corpus):
    refs = {r for q in queries for r in (*q.relevant, *q.ignore, *([q.query] if q.kind == "pair" else []))}
    unresolved = sorted(r for r in refs if len(corpus.by_ref.get(r, [])) != 1)
    assert not unresolved, unresolved[:10]


@needs_posts
def test_references_recompute_from_the_rows(corpus):
    for ref, rows in corpus.by_ref.items():
        file, digest = ref.split("#")
        assert all(p.file == file and rd.text_hash(p.text) == digest for p in rows)
    # Line breaks and runs of spaces do not change a reference; other edits do.
    sample = next(iter(corpus.docs.values()))
    assert rd.text_hash(" " + sample.text.replace(" ", "\n  ", 1) + "\n") == sample.doc_id
    assert rd.text_hash(sample.text + ".") != sample.doc_id


@needs_posts
def test_a_pair_never_finds_its_own_post_among_the_relevant(queries, corpus):
    """Checked on documents too: the same text in another file is the same document."""
    for q in queries:
        relevant = {corpus.doc_of(r) for r in q.relevant}
        left_out = {corpus.doc_of(r) for r in q.ignore} | ({corpus.doc_of(q.query)} if q.kind == "pair" else set())
        assert not relevant & left_out, q.id
