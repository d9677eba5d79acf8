"""The retrieval benchmark's data: the real posts in ../shared/data/posts and our judged queries.

The posts stay where they are (internal use only, never shipped); bench/data/retrieval_pairs.jsonl
only points at them. A reference is `<file name>#<first 12 hex digits of the sha1 of the
normalised text>`, normalised as NFC with runs of whitespace collapsed to one space (what a person
would call the same text). That identifies one row of one file whatever its line number or the
file's order, and survives re-exports that re-wrap lines; (account, posted_at) does not, since
several accounts reply twice in the same second.

The corpus is every non-empty post of every file, deduplicated by normalised text: the
single-outlet Italian files are subsets of the 11-outlet file, and a text posted twice is one
document. A document's id is the hash alone (no file name).

One query per line of the JSONL file:
    id        unique, e.g. "pair-toti-release-1" or "w-amz-damaged"
    lang      "it" or "en": the language of the query text
    kind      "pair" (the query is another outlet's post on the same story) or "written"
    query     the text we wrote (written) or a reference to the query post (pair)
    relevant  references to the posts that answer it (for a pair: the other outlets' posts on the story)
    ignore    (pair, optional) the query outlet's own other posts on the story: left out of the
              ranking like the query post itself, neither hits nor misses
    story     (pair) what the story is, in our words
"""

from __future__ import annotations

import csv
import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POSTS_DIR = REPO.parent / "shared" / "data" / "posts"
PAIRS_FILE = REPO / "bench" / "data" / "retrieval_pairs.jsonl"


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_hash(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Post:
    file: str
    row: int  # 0-based data row, for people reading a report; references do not use it
    account: str
    posted_at: str
    text: str
    likes: str = ""
    shares: str = ""
    comments: str = ""

    @property
    def doc_id(self) -> str:
        return text_hash(self.text)

    @property
    def ref(self) -> str:
        return f"{self.file}#{self.doc_id}"


@dataclass(frozen=True)
class Query:
    id: str
    lang: str
    kind: str
    query: str
    relevant: tuple[str, ...]
    ignore: tuple[str, ...] = ()
    story: str = ""


@dataclass
class Corpus:
    """The deduplicated posts, and every row by reference (a list: the test checks it has one)."""

    docs: dict[str, Post] = field(default_factory=dict)
    by_ref: dict[str, list[Post]] = field(default_factory=dict)

    def doc_of(self, ref: str) -> str:
        """The document id a reference resolves to (KeyError for a reference to nothing)."""
        return self.by_ref[ref][0].doc_id


def load_posts(folder: Path = POSTS_DIR) -> list[Post]:
    posts: list[Post] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                if r.get("text", "").strip():
                    posts.append(Post(path.name, i, r.get("account", ""), r.get("posted_at", ""), r["text"],
                                      r.get("likes") or "", r.get("shares") or "", r.get("comments") or ""))
    return posts


def build_corpus(posts: list[Post]) -> Corpus:
    corpus = Corpus()
    for p in posts:
        corpus.docs.setdefault(p.doc_id, p)
        corpus.by_ref.setdefault(p.ref, []).append(p)
    return corpus


def load_queries(path: Path = PAIRS_FILE) -> list[Query]:
    out: list[Query] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append(Query(d["id"], d["lang"], d["kind"], d["query"], tuple(d["relevant"]),
                                 tuple(d.get("ignore", ())), d.get("story", "")))
    return out
