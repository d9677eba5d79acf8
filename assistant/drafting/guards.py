"""Guards against a model that echoes its prompt or copies an exemplar instead of writing.

- `prompt_echo` (error): the text repeats the prompt's own markup (a block tag such as `<task>` or
  `</exemplar_posts>`) or one of its instruction sentences ("Reply with the post text only") — the
  templates' fixed wording in `prompts/`, never the brief or the sources, which a post may quote.
- `copied_exemplar` (error): the text repeats a long run of an exemplar post word for word
  (`MIN_COPIED_WORDS` or more): the brand's past post passed off as a new one.
Both are violations like any rule (platforms' `Violation`), so they block approval, are shown in
the reader's language, and a repair that introduces one is never kept (drafter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from assistant.drafting import prompts
from assistant.platforms import Violation

MIN_COPIED_WORDS = 15  # a quote of a few words is fine; fifteen in a row is the old post itself
MIN_SENTENCE_WORDS = 5  # an instruction sentence this long, repeated, is the prompt talking
TEMPLATES = ("system", "brand", "draft", "refine", "repair")
_TAG = re.compile(r"</?([a-z_]+)(?:\s[^<>]*)?>")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@cache
def _fixed_parts() -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """The templates' block tags and their instruction sentences (as word tuples), placeholders out."""
    tags: set[str] = set()
    sentences: list[tuple[str, ...]] = []
    for name in TEMPLATES:
        source = prompts.load(name).template.template
        tags |= set(_TAG.findall(source))
        for part in re.split(r"[.\n:;]+", _TAG.sub(" ", _PLACEHOLDER.sub("\n", source))):
            words = tuple(_words(part))
            if len(words) >= MIN_SENTENCE_WORDS:
                sentences.append(words)
    return frozenset(tags), tuple(sentences)


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i:i + n]) == needle for i in range(len(haystack) - n + 1))


def _longest_run(a: list[str], b: list[str]) -> int:
    """The longest run of words `a` and `b` share, in order (dynamic programming, O(len a x len b))."""
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def echoes(text: str, exemplars: Iterable[str] = ()) -> list[Violation]:
    """The guard violations of `text`: prompt markup or instructions repeated, an exemplar copied."""
    found: list[Violation] = []
    tags, sentences = _fixed_parts()
    echoed_tag = next((m.group(0) for m in _TAG.finditer(text) if m.group(1) in tags), None)
    words = _words(text)
    echoed = echoed_tag or next((" ".join(s) for s in sentences if _contains(words, s)), None)
    if echoed:
        found.append(Violation(code="prompt_echo", severity="error", params={"found": echoed[:80]}))
    longest = max((_longest_run(words, _words(e)) for e in exemplars), default=0)
    if longest >= MIN_COPIED_WORDS:
        found.append(Violation(code="copied_exemplar", severity="error", params={"words": longest}))
    return found


GUARD_CODES = frozenset({"prompt_echo", "copied_exemplar"})
