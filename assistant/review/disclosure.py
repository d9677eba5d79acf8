"""Disclosure rules: when an item counts as AI-generated, when a post must say that AI was used,
and what an approval must satisfy. The brand's policy is in brand.yaml: `ai_disclosure` (`none`,
`when_unreviewed`, `always`; default `when_unreviewed`), `public_interest` (default false),
`disclosure` (the text per language; default ours, `disclosure.default` in the catalogues) and
`ai_generated_threshold` (default 0.5).

The law it follows: the EU AI Act (Regulation (EU) 2024/1689) art. 50(4), applicable from
2 August 2026: whoever publishes text generated or manipulated by AI to inform the public on
matters of public interest must disclose it, unless the text underwent human review or editorial
control and a natural or legal person holds editorial responsibility for its publication.

The rule, as Copydesk applies it:

1. AI-generated (`ai_generated`): the share of the AI's text kept (words of the model's v0 still in
   the text, in order: `review.metrics`; at approval, or so far) is at or above the brand's
   `ai_generated_threshold`. An item with no AI text (v0 has no words, or was not written by a
   model) is not AI-generated. Items carry it as `ItemPublic.ai_kept_share` / `ai_generated`
   (`flagged`), and so do the exports.
2. A named approver (`named`): a person with an account acting as themselves (signed in, or the
   CLI's `--by USERNAME`): never a client link, the machine's operator or a name without an
   account. The internal approver holds editorial responsibility (`review.record`).
3. When a disclosure is needed (`needs_disclosure`):
   - `always`: in every post, whoever wrote or approved it;
   - `when_unreviewed`: in an AI-generated post that goes out without a named person's review. In
     the queue nothing is scheduled or published before an approval, so the approval of a named
     person is the human review that makes the disclosure unnecessary (art. 50(4)). On a
     `public_interest` brand the checks warn on drafts (`ai_disclosure_unless_approved`: a draft
     copied out of Copydesk needs it); an approval by someone who is not a named person needs it
     in the text;
   - `none`: never (the brand's choice).
4. `public_interest: true`: approval only by a named approver, whatever `ai_disclosure` says; and
   a disclosure the rule requires cannot be replaced by an override reason (with `always` the
   text must carry it before anyone can approve it).
5. Present (`platforms.disclosure.has_disclosure`): the brand's text in any language it lists, our
   default in any language, or one of the markers listed there, anywhere in the post.

At approval (`approval_errors`) the disclosure is checked again under the policy as it is then:
the disclosure violations stored when the text was drafted or edited are replaced by that check, so
a policy changed after drafting counts, and a `when_unreviewed` warning never blocks a named
approver.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from assistant.accounts.schemas import Actor
from assistant.db.models import Revision
from assistant.errors import IllegalTransition
from assistant.platforms.checks import Violation, as_violations
from assistant.platforms.disclosure import has_disclosure, suggestion
from assistant.review.metrics import edit_metrics
from assistant.review.states import APPROVED_STATES

DEFAULT_MODE = "when_unreviewed"
DEFAULT_THRESHOLD = 0.5
# The violation codes of the disclosure rule: drafting and editing store `ai_disclosure_missing`
# (always) or `ai_disclosure_unless_approved` (a warning); an approval drops them, checks again, and
# may add `ai_disclosure_missing` or `ai_disclosure_unreviewed` (approved by someone not named).
CODES = frozenset({"ai_disclosure_missing", "ai_disclosure_unless_approved", "ai_disclosure_unreviewed"})
THRESHOLD_SECONDS = 2.0  # how long a brand's threshold is reused by one queue (listings read many items)


def ai_generated(kept_share: float | None, threshold: float) -> bool:
    """The rule: an item is AI-generated when the share of the AI's text kept (words of the model's
    v0 still in the text, `review.metrics.edit_metrics(...).kept_share`: at approval, or so far) is
    at or above `threshold`: `kept_share >= threshold`. The threshold is the brand's
    `ai_generated_threshold`, 0.5 by default. No share (the model's v0 had no words): not
    AI-generated."""
    return kept_share is not None and kept_share >= threshold


def threshold_of(policy: Any) -> float:
    value = getattr(policy, "ai_generated_threshold", None)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else DEFAULT_THRESHOLD


def named(actor: Actor) -> bool:
    """A person with an account acting as themselves (rule 2)."""
    return actor.kind == "user" and actor.user_id is not None


def needs_disclosure(mode: str, *, generated: bool, reviewed: bool) -> bool:
    """Rule 3: `reviewed` means approved by a named person."""
    return mode == "always" or (mode == "when_unreviewed" and generated and not reviewed)


class NamedApproverRequired(IllegalTransition):
    """A `public_interest` brand: only a named person may approve (rule 4)."""


class DisclosureRequired(IllegalTransition):
    """A `public_interest` brand: the disclosure the rule requires is missing, and no override
    reason can replace it (rule 4)."""

    def __init__(self, message: str, violations: list[Violation], **params: object) -> None:
        super().__init__(message, code="disclosure_no_override", **params)
        self.violations = violations


def approval_errors(policy: Any, item: Any, current: Any, v0: Any, actor: Actor) -> list[Violation]:
    """The error violations an approval of `current` (a revision; `v0` the model's) must answer:
    the stored ones, with the disclosure checked again under `policy` (the brand's profile).
    Raises `NamedApproverRequired` / `DisclosureRequired` on a `public_interest` brand."""
    stored = [v for v in as_violations(current.violations or []) if v.code not in CODES]
    errors = [v for v in stored if v.severity == "error"]
    public_interest = bool(getattr(policy, "public_interest", False))
    name = str(getattr(policy, "name", None) or item.brand)
    if public_interest and not named(actor):
        raise NamedApproverRequired(
            f"brand {name} informs the public on matters of public interest: only a named person may approve "
            f"item {item.id}, with their own account (signed in, or --by USERNAME); {actor.label} is not one",
            code="named_approver_required", brand=item.brand, item=item.id)
    mode = str(getattr(policy, "ai_disclosure", DEFAULT_MODE))
    generated = ai_generated(_share(v0, current.text), threshold_of(policy))
    if not needs_disclosure(mode, generated=generated, reviewed=named(actor)) or has_disclosure(current.text, policy):
        return errors
    text = suggestion(policy, item.language)
    missing = Violation(code="ai_disclosure_missing" if mode == "always" else "ai_disclosure_unreviewed",
                        severity="error", params={"disclosure": text})
    if public_interest:
        raise DisclosureRequired(
            f"brand {name} informs the public on matters of public interest: item {item.id} must say that AI was "
            f"used (e.g. \"{text}\") and an override reason cannot replace that: add it to the text, then approve",
            [missing], brand=item.brand, item=item.id, disclosure=text)
    return [*errors, missing]


def _share(v0: Any, text: str) -> float | None:
    """The share of the model's v0 kept in `text`; None when v0 is no AI text."""
    if v0 is None or not str(v0.author).startswith("ai:"):
        return None
    return edit_metrics(v0.text, text).kept_share


# --- the flag on every item the queue hands out ---------------------------------------------------

def flagged(public: Any, item: Any, current: Any, reader: Any) -> Any:
    """`public` (an ItemPublic) with `ai_kept_share` and `ai_generated`: at approval for an item in
    an approved state (the figures its approval fixed), else v0 against the current text."""
    if item.state in APPROVED_STATES and item.words_v0 is not None and item.kept_words is not None:
        share = item.kept_words / item.words_v0 if item.words_v0 else None
    else:
        share = _share(current if current.number == 0 else _v0(current, item.id), current.text)
    generated = ai_generated(share, _threshold(reader, item.brand))
    return public.model_copy(update={"ai_kept_share": share, "ai_generated": generated})


def _v0(current: Any, item_id: int) -> Any:
    session = object_session(current)
    if session is None:  # not attached: nothing to compare with
        return None
    return session.scalars(select(Revision).where(Revision.item_id == item_id, Revision.number == 0)).first()


def _threshold(reader: Any, brand: str) -> float:
    """The brand's threshold, reused for `THRESHOLD_SECONDS` by this queue (a page lists many items)."""
    cache: dict[str, tuple[float, float]] = reader.__dict__.setdefault("_ai_thresholds", {})
    now = time.monotonic()
    if brand not in cache or now - cache[brand][0] > THRESHOLD_SECONDS:
        try:
            policy = reader.policy(brand)
        except Exception:  # noqa: BLE001 - a brand whose profile is gone or broken: the default threshold
            policy = None
        cache[brand] = (now, threshold_of(policy))
    return cache[brand][1]
