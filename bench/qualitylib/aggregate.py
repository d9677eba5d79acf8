"""A run's aggregates over its per-draft records, and the comparison of two runs.

Definitions (the test recomputes them from the rows):
- counts are numbers of drafts; `*_rate` is that count over `drafts` (language: over the drafts
  whose language was detected), rounded to 4 decimals;
- medians are `statistics.median` of the values present (None when there are none; the median
  ratio to the norm rounded to 3 decimals); p90 is the nearest-rank 90th percentile: the
  ceil(0.9 n)-th smallest value;
- tokens and cost are totals; a draft whose price is unknown (cost None) is counted in
  `cost_unknown` and left out of `cost_usd`.
The comparison flattens both runs' aggregates to dotted keys ("overall.errors_after",
"by_brand.paycairn.latency_ms.p90") and gives old, new and new - old for each.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

COUNTERS = ("codes_before", "codes_after", "incomplete_reasons")  # a code missing on one side is 0 there
GROUPS = ("brand", "platform", "language_asked")


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def rate(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _present(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [r[key] for r in rows if r.get(key) is not None]


def _timing(values: list[float]) -> dict[str, float | None]:
    return {"median": median(values), "p90": p90(values), "total": sum(values)}


def _violations(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    with_before = sum(r["violations_before"]["errors"] > 0 for r in rows)
    with_after = sum(r["violations_after"]["errors"] > 0 for r in rows)
    return {
        "errors_before": sum(r["violations_before"]["errors"] for r in rows),
        "errors_after": sum(r["violations_after"]["errors"] for r in rows),
        "warnings_before": sum(r["violations_before"]["warnings"] for r in rows),
        "warnings_after": sum(r["violations_after"]["warnings"] for r in rows),
        "drafts_with_errors_before": with_before, "drafts_with_errors_after": with_after,
        "clean_rate_after": rate(n - with_after, n),
        "codes_before": dict(Counter(c for r in rows for c in r["violations_before"]["codes"])),
        "codes_after": dict(Counter(c for r in rows for c in r["violations_after"]["codes"])),
        "repair_attempted": sum(r["repair_attempted"] for r in rows),
        "repaired": sum(r["repaired"] for r in rows),
    }


def _quality(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    detected = [r for r in rows if r["language_detected"] is not None]
    ok = sum(bool(r["language_ok"]) for r in detected)
    scores = [r["voice"]["score"] for r in rows if r["voice"]["score"] is not None]
    expected = sum(r["mentions"]["expected"] for r in rows)
    found = sum(r["mentions"]["found"] for r in rows)
    return {
        "complete": sum(r["complete"] for r in rows),
        "incomplete_reasons": dict(Counter(r["incomplete"] for r in rows if not r["complete"])),
        "language_detected": len(detected), "language_ok": ok, "language_ok_rate": rate(ok, len(detected)),
        "prompt_echo": sum(r["prompt_echo"] for r in rows), "prompt_echo_rate": rate(sum(r["prompt_echo"] for r in rows), n),
        "copied_exemplar": sum(r["copied_exemplar"] for r in rows),
        "copied_exemplar_rate": rate(sum(r["copied_exemplar"] for r in rows), n),
        "voice_scored": len(scores), "voice_mean": round(statistics.fmean(scores), 2) if scores else None,
        "voice_median": median(scores),
        "mentions_expected": expected, "mentions_found": found, "mention_rate": rate(found, expected),
        "identical_variants": sum(r["identical_to_variant"] is not None for r in rows),
        "same_as_variant": sum(r.get("same_as_variant") is not None for r in rows),
    }


def _length(rows: list[dict[str, Any]]) -> dict[str, Any]:
    normed = [r["length"] for r in rows if r["length"]["norm"] is not None]
    return {
        "over_limit": sum(r["length"]["over_limit"] for r in rows),
        "over_norm": sum(bool(x["over_norm"]) for x in normed), "with_norm": len(normed),
        "length_median": median([r["length"]["count"] for r in rows]),
        "norm_ratio_median": _rounded(median([x["norm_ratio"] for x in normed]), 3),
    }


def _cost(rows: list[dict[str, Any]]) -> dict[str, Any]:
    known = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    return {
        "first_token_ms": _timing(_present(rows, "first_token_ms")),
        "latency_ms": _timing(_present(rows, "latency_ms")),
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "completion_tokens": sum(r["completion_tokens"] for r in rows),
        "tokens_estimated": sum(r["tokens_estimated"] for r in rows),
        "cost_usd": round(sum(known), 6), "cost_unknown": len(rows) - len(known),
    }


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every aggregate of `rows` (see the module docstring for the definitions)."""
    return {"drafts": len(rows), "briefs": len({r["brief_id"] for r in rows}),
            **_violations(rows), **_quality(rows), **_length(rows), **_cost(rows)}


def aggregates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`overall`, and the same per brand, per platform and per language asked."""
    out: dict[str, Any] = {"overall": aggregate(rows)}
    for field in GROUPS:
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row[field], []).append(row)
        out[f"by_{field.removesuffix('_asked')}"] = {key: aggregate(groups[key]) for key in sorted(groups)}
    return out


# --- comparison -----------------------------------------------------------------------------------

def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys to the numbers (and None) of a nested aggregate; booleans count as numbers."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif value is None or isinstance(value, (int, float)):
            flat[name] = value
    return flat


def _is_counter(key: str) -> bool:
    return any(f".{counter}." in f".{key}" for counter in COUNTERS)


def compare_aggregates(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per aggregate key of either run: old, new, delta (None unless both are numbers)."""
    before, after = flatten(old), flatten(new)
    out = []
    for key in sorted(before.keys() | after.keys()):
        default = 0 if _is_counter(key) else None
        a, b = before.get(key, default), after.get(key, default)
        delta = None if a is None or b is None else round(b - a, 6)
        out.append({"key": key, "old": a, "new": b, "delta": delta})
    return out


def _draft_key(row: dict[str, Any]) -> str:
    return f"{row['brief_id']}/{row['platform']}/{row['variant']}"


def compare_drafts(old_rows: list[dict[str, Any]], new_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per draft (brief/platform/variant): the error counts before and after repair where they
    changed, and the drafts present in one run only (`old` or `new` None)."""
    old = {_draft_key(r): r for r in old_rows}
    new = {_draft_key(r): r for r in new_rows}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        entry: dict[str, Any] = {"draft": key}
        for stage in ("before", "after"):
            a = old[key][f"violations_{stage}"]["errors"] if key in old else None
            b = new[key][f"violations_{stage}"]["errors"] if key in new else None
            entry[f"errors_{stage}"] = {"old": a, "new": b, "delta": None if a is None or b is None else b - a}
        if key not in old or key not in new or any(entry[f"errors_{s}"]["delta"] for s in ("before", "after")):
            changes.append(entry)
    return changes


def compare(old_run: dict[str, Any], new_run: dict[str, Any]) -> dict[str, Any]:
    """The comparison block of a run: every aggregate and the per-draft error changes."""
    return {"against": old_run.get("environment", {}),
            "aggregates": compare_aggregates(old_run["aggregates"], new_run["aggregates"]),
            "drafts": compare_drafts(old_run["drafts"], new_run["drafts"])}
