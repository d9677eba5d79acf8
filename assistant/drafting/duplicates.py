"""Variants of one platform that came out the same. A small model at a low temperature, or any
model given a thin brief, can write the same post twice; two identical cards waste the person's
review. The drafter writes the later one again once, with an angle no variant of the request
used and a higher temperature; if it is still the same, it keeps it and marks it with the
warning `same_as_variant` (params: `variant`, the number of the variant it repeats), shown on
the card in the reader's language (`violation.same_as_variant`).

"The same": equal after folding case and whitespace, or nearly (rapidfuzz's ratio, an edit
similarity in 0-100, at least SAME_RATIO: a changed word in a long post still counts as the same)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from rapidfuzz import fuzz

from assistant.platforms import Violation

SAME_RATIO = 95.0
CODE = "same_as_variant"
TEMPERATURE_STEP = 0.3  # the second try samples more freely
MAX_TEMPERATURE = 1.3


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def same_as(text: str, earlier: Mapping[int, str]) -> int | None:
    """The lowest variant number in `earlier` (variant -> text) whose text is the same as `text`;
    None when none is, or when `text` is empty (an empty answer is incomplete, not a repeat)."""
    mine = normalised(text)
    if not mine:
        return None
    for variant in sorted(earlier):
        theirs = normalised(earlier[variant])
        if theirs and (theirs == mine or fuzz.ratio(mine, theirs) >= SAME_RATIO):
            return variant
    return None


def other_angle(angles: Sequence[str], taken: Collection[str], own: str) -> str:
    """The next angle after `own` (in the file's order, round again) that no variant took; when
    every angle is taken, simply the next one after `own`."""
    if not angles:
        return own
    start = angles.index(own) + 1 if own in angles else 0
    order = [angles[(start + i) % len(angles)] for i in range(len(angles))]
    return next((a for a in order if a not in taken and a != own), order[0])


def retry_temperature(temperature: float) -> float:
    return round(min(temperature + TEMPERATURE_STEP, MAX_TEMPERATURE), 2)


def violation(variant: int) -> Violation:
    return Violation(code=CODE, severity="warning", params={"variant": variant})
