"""The disclosure rule in the review queue (`review.disclosure`), on a real database with real brand
profiles and the real platform checks: a post that needs a disclosure and lacks it blocks approval;
an override is allowed, except on a public-interest brand, where only a named person approves; the
`ai_generated` flag every item carries, by the documented rule."""

from __future__ import annotations

import pytest

from assistant.accounts.schemas import Actor, Grant, operator
from assistant.brands import BrandProfile
from assistant.i18n import t
from assistant.review import ReviewQueue
from assistant.review.disclosure import (DisclosureRequired, NamedApproverRequired, ai_generated, needs_disclosure)
from assistant.review.hooks import platform_validator
from assistant.review.schemas import ApprovalBlocked
from tests.factories import Clock, add_people, db_url, make_draft  # noqa: F401

TEXT = "Da lunedì la biblioteca comunale apre anche la sera fino alle 22 per studiare"
SIGNED = " Testo redatto con il supporto dell'IA e rivisto da Bea."


def profile(slug: str, **fields) -> BrandProfile:
    return BrandProfile(slug=slug, name=slug.replace("-", " ").title(), language="it", voice="Chiara.",
                        emoji="free", **fields)


PROFILES = {
    "always": profile("always", ai_disclosure="always"),
    "comune": profile("comune", ai_disclosure="always", public_interest=True),
    "ufficio": profile("ufficio", public_interest=True),  # when_unreviewed (the default)
    "bottega": profile("bottega"),
    "libero": profile("libero", ai_disclosure="none"),
    "alta": profile("alta", ai_generated_threshold=0.9),
}


@pytest.fixture
def q(db_url):  # noqa: F811
    queue = add_people(ReviewQueue(db_url, validator=platform_validator(PROFILES.__getitem__),
                                   brand_policy=PROFILES.__getitem__, clock=Clock()))
    yield queue
    queue.close()


def queued(q, brand: str, text: str = TEXT):
    """A model draft checked as the drafter checks it (the brand's rules), queued by Ada."""
    from assistant.platforms import validate

    violations = validate(text, "facebook", PROFILES[brand], expected_language="it")
    return q.add_draft(make_draft(text, brand=brand, platform="facebook", violations=violations), by="Ada", submit=True)


def test_the_documented_rule():
    assert ai_generated(0.5, 0.5) and ai_generated(1.0, 0.5) and not ai_generated(0.49, 0.5)
    assert not ai_generated(None, 0.5)  # no AI text: never AI-generated
    assert needs_disclosure("always", generated=False, reviewed=True)
    assert needs_disclosure("when_unreviewed", generated=True, reviewed=False)
    assert not needs_disclosure("when_unreviewed", generated=True, reviewed=True)
    assert not needs_disclosure("when_unreviewed", generated=False, reviewed=False)
    assert not needs_disclosure("none", generated=True, reviewed=False)


def test_always_blocks_approval_until_the_text_says_it_and_allows_an_override(q):
    item = queued(q, "always")
    assert item.error_count == 1
    with pytest.raises(ApprovalBlocked) as err:
        q.approve(item.id, by="Bea")
    assert [v.code for v in err.value.violations] == ["ai_disclosure_missing"]
    assert q.get(item.id).state == "in_review"
    approved = q.approve(item.id, by="Bea", override_reason="Il cliente la aggiunge come commento fissato")
    [event] = [a for a in q.get(approved.id).audit if a.action == "approve"]
    assert approved.state == "approved" and event.data["override"] is True
    assert event.data["violations"][0]["code"] == "ai_disclosure_missing"
    other = queued(q, "always")
    edited = q.edit(other.id, TEXT + SIGNED, by="Cris", base_version=other.version)
    assert edited.error_count == 0 and q.approve(other.id, by="Bea").state == "approved"


def test_public_interest_missing_disclosure_cannot_be_overridden(q):
    item = queued(q, "comune")
    for reason in (None, "Urgente: lo pubblichiamo così"):
        with pytest.raises(DisclosureRequired) as err:
            q.approve(item.id, by="Bea", override_reason=reason)
        assert err.value.code == "disclosure_no_override" and err.value.params["item"] == item.id
        assert [v.code for v in err.value.violations] == ["ai_disclosure_missing"]
    said = {lang: t(f"error.{err.value.code}", lang, **err.value.params) for lang in ("it", "en")}
    assert "il motivo di una deroga non può sostituirlo" in said["it"] and f"n. {item.id}" in said["it"]
    assert "an override reason cannot replace that" in said["en"] and "Testo redatto" in said["en"]
    view = q.get(item.id)
    assert view.state == "in_review" and [a.action for a in view.audit] == ["create", "submit"]
    fixed = q.edit(item.id, TEXT + SIGNED, by="Cris", base_version=view.version)
    assert q.approve(fixed.id, by="Bea").state == "approved"


def test_public_interest_requires_a_named_approver(q):
    item = queued(q, "ufficio")
    assert [v.code for v in item_violations(q, item.id)] == ["ai_disclosure_unless_approved"]  # a warning
    nameless = Actor(name="Redazione", grants=(Grant(role="approver", brand="*"),))  # no account
    for who in (operator("root"), nameless):
        with pytest.raises(NamedApproverRequired) as err:
            q.approve(item.id, by=who, override_reason="Va pubblicato")
        assert err.value.code == "named_approver_required"
        assert "solo una persona identificata" in t("error.named_approver_required", "it", **err.value.params)
        assert "only a named person" in t("error.named_approver_required", "en", **err.value.params)
    assert q.get(item.id).state == "in_review"
    approved = q.approve(item.id, by="Bea")  # a named person: their review is what exempts the text
    assert approved.state == "approved" and approved.ai_generated


def item_violations(q, item_id):
    return q.get(item_id).revisions[-1].violations


def test_when_unreviewed_needs_the_disclosure_only_without_a_named_person(q):
    item = queued(q, "bottega")
    assert item.error_count == 0 and item_violations(q, item.id) == []  # no noise on ordinary brands
    nameless = Actor(name="Redazione", grants=(Grant(role="approver", brand="*"),))
    with pytest.raises(ApprovalBlocked) as err:
        q.approve(item.id, by=nameless)
    assert [v.code for v in err.value.violations] == ["ai_disclosure_unreviewed"]
    assert "named person" in err.value.violations[0].message("en")
    assert q.approve(item.id, by=nameless, override_reason="Approvato a voce dal direttore").state == "approved"
    assert q.approve(queued(q, "bottega").id, by="Bea").state == "approved"
    assert q.approve(queued(q, "libero").id, by=nameless).state == "approved"  # none: never needed


def test_the_policy_at_approval_counts_not_the_one_at_drafting(q):
    item = queued(q, "always")
    PROFILES["always"] = profile("always", ai_disclosure="none")
    try:
        assert q.approve(item.id, by="Bea").state == "approved"  # the stored error is from the old policy
    finally:
        PROFILES["always"] = profile("always", ai_disclosure="always")


def test_every_item_carries_its_ai_share_and_flag(q):
    item = queued(q, "bottega")
    assert (item.ai_kept_share, item.ai_generated) == (1.0, True)
    words = TEXT.split()
    half = " ".join(words[:7] + ["scritto", "da", "noi", "da", "capo", "a", "fondo"])
    edited = q.edit(item.id, half, by="Cris", base_version=item.version)
    assert edited.ai_kept_share == 7 / len(words) == 0.5 and edited.ai_generated is True  # at the threshold
    edited = q.edit(item.id, half.replace("biblioteca", "sala"), by="Cris", base_version=edited.version)
    assert edited.ai_kept_share == pytest.approx(6 / len(words)) and edited.ai_generated is False
    rewritten = q.edit(item.id, TEXT + " e il sabato mattina", by="Cris", base_version=edited.version)
    assert rewritten.ai_kept_share == 1.0 and rewritten.ai_generated
    approved = q.approve(item.id, by="Bea")
    view = q.get(item.id)
    assert (approved.ai_kept_share, approved.ai_generated) == (1.0, True) == (view.ai_kept_share, view.ai_generated)
    listed = {i.id: i for i in q.list_items(brand="bottega").items}
    assert listed[item.id].ai_generated is True
    strict = queued(q, "alta")  # threshold 0.9
    strict = q.edit(strict.id, " ".join(words[:12]) + " oggi", by="Cris", base_version=strict.version)
    assert strict.ai_kept_share == pytest.approx(12 / len(words)) and strict.ai_generated is False
