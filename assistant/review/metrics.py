"""Human-edit metrics: how much of the model's text survived review, and how fast.

Definitions (what an agency shows a client; every number is exact and reproducible):

- words(t): the text NFC-normalised and split on whitespace; a word is a run of non-space
  characters, so "ciao!" and "ciao" are different words (punctuation edits count), and a hashtag,
  an emoji or a URL is one word. Case matters.
- kept_words: words of v0 (what the model wrote) that are still in the approved text, in order:
  the sizes of the matching blocks that `difflib.SequenceMatcher(None, words(v0), words(final),
  autojunk=False)` finds (longest common runs, recursively on both sides). Moved passages count
  only once, where they still line up.
- kept_share = kept_words / len(words(v0)) (None when v0 has no word).
- edit_distance: Levenshtein distance over words, v0 -> approved: the least number of word
  insertions, deletions and substitutions (each costs 1) that turn one into the other.
- seconds_to_approval: from the first submission for review to the (latest) approval.
- per group: approval_rate = approved / decided and rejection_rate = rejected / decided, where
  approved counts items now approved, scheduled or published, rejected those now rejected, and
  decided = approved + rejected (items still in draft or review are not decided yet);
  kept_share = sum(kept_words) / sum(words_v0) over approved items (word-weighted), and
  mean_kept_share the plain mean of the per-item shares; mean_edit_distance, and mean and median
  seconds_to_approval over approved items; approved_unedited = approved items with distance 0.
"""

from __future__ import annotations

import difflib
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from assistant.review.states import APPROVED_STATES
from rapidfuzz.distance import Levenshtein

GROUP_KEYS = ("brand", "platform", "provider", "model", "prompt_version")


def words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def kept_words(before: Sequence[str], after: Sequence[str]) -> int:
    matcher = difflib.SequenceMatcher(None, list(before), list(after), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def levenshtein(a: Sequence[str], b: Sequence[str]) -> int:
    """Word-level edit distance (insert, delete, substitute: cost 1 each), by rapidfuzz.

    Words are numbered first (the same word, the same number), so equality is exact: rapidfuzz
    would otherwise compare multi-character strings by their hash."""
    ids: dict[str, int] = {}
    return Levenshtein.distance([ids.setdefault(w, len(ids)) for w in a], [ids.setdefault(w, len(ids)) for w in b])


class EditMetrics(BaseModel):
    words_v0: int
    words_final: int
    kept_words: int
    kept_share: float | None
    edit_distance: int


def edit_metrics(v0: str, final: str) -> EditMetrics:
    before, after = words(v0), words(final)
    kept = kept_words(before, after)
    return EditMetrics(words_v0=len(before), words_final=len(after), kept_words=kept,
                       kept_share=kept / len(before) if before else None, edit_distance=levenshtein(before, after))


_SPACED = re.compile(r"(\S+)(\s*)")


def diff_ops(v0: str, final: str) -> list[dict[str, str]]:
    """Word-level diff for display: equal / replace / delete / insert runs with old and new words.
    Words are compared; each run keeps its own text's spacing after every word (line breaks
    included), so joining the runs' `new` gives the current text back."""
    before = [(m.group(1), m.group(2)) for m in _SPACED.finditer(unicodedata.normalize("NFC", v0))]
    after = [(m.group(1), m.group(2)) for m in _SPACED.finditer(unicodedata.normalize("NFC", final))]
    matcher = difflib.SequenceMatcher(None, [w for w, _ in before], [w for w, _ in after], autojunk=False)
    return [{"op": op, "old": "".join(w + sp for w, sp in before[i1:i2]),
             "new": "".join(w + sp for w, sp in after[j1:j2])}
            for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def unified_diff(v0: str, final: str, from_label: str = "v0", to_label: str = "current") -> str:
    return "\n".join(difflib.unified_diff(v0.splitlines(), final.splitlines(), fromfile=from_label,
                                          tofile=to_label, lineterm=""))


# --- aggregation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MetricsRow:
    """What aggregation needs of one item (loaded by the queue in one query)."""

    brand: str
    platform: str
    provider: str | None
    model: str | None
    prompt_version: str | None
    state: str
    submitted: bool
    words_v0: int | None
    kept_words: int | None
    edit_distance: int | None
    seconds_to_approval: float | None

    def key(self, group_by: Sequence[str]) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in group_by)


class MetricsGroup(BaseModel):
    key: dict[str, str | None]
    items: int
    submitted: int
    approved: int
    rejected: int
    decided: int
    approval_rate: float | None
    rejection_rate: float | None
    approved_unedited: int
    kept_share: float | None
    mean_kept_share: float | None
    mean_edit_distance: float | None
    mean_seconds_to_approval: float | None
    median_seconds_to_approval: float | None


class MetricsReport(BaseModel):
    group_by: list[str]
    overall: MetricsGroup
    groups: list[MetricsGroup]


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def aggregate(rows: Iterable[MetricsRow], key: dict[str, str | None]) -> MetricsGroup:
    rows = list(rows)
    approved = [r for r in rows if r.state in APPROVED_STATES and r.words_v0 is not None]
    rejected = sum(1 for r in rows if r.state == "rejected")
    decided = len(approved) + rejected
    total_v0 = sum(r.words_v0 or 0 for r in approved)
    times = [r.seconds_to_approval for r in approved if r.seconds_to_approval is not None]
    return MetricsGroup(
        key=key, items=len(rows), submitted=sum(r.submitted for r in rows), approved=len(approved),
        rejected=rejected, decided=decided,
        approval_rate=len(approved) / decided if decided else None,
        rejection_rate=rejected / decided if decided else None,
        approved_unedited=sum(1 for r in approved if r.edit_distance == 0),
        kept_share=sum(r.kept_words or 0 for r in approved) / total_v0 if total_v0 else None,
        mean_kept_share=_mean([r.kept_words / r.words_v0 for r in approved if r.words_v0]),
        mean_edit_distance=_mean([float(r.edit_distance) for r in approved if r.edit_distance is not None]),
        mean_seconds_to_approval=_mean(times),
        median_seconds_to_approval=statistics.median(times) if times else None,
    )


def report(rows: Iterable[MetricsRow], group_by: Sequence[str]) -> MetricsReport:
    unknown = [k for k in group_by if k not in GROUP_KEYS]
    if unknown:
        from assistant.errors import InvalidRequest

        raise InvalidRequest(f"cannot group metrics by {', '.join(unknown)}: use {', '.join(GROUP_KEYS)}")
    rows = list(rows)
    buckets: dict[tuple[Any, ...], list[MetricsRow]] = {}
    for row in rows:
        buckets.setdefault(row.key(group_by), []).append(row)
    groups = [aggregate(bucket, dict(zip(group_by, key)))
              for key, bucket in sorted(buckets.items(), key=lambda kv: tuple(str(v) for v in kv[0]))]
    return MetricsReport(group_by=list(group_by), overall=aggregate(rows, {}), groups=groups)
