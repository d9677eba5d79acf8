"""Variants of one platform that come out the same: the later one is written again once with an
angle no variant took and a higher temperature; if still the same it is kept and marked
(`same_as_variant`, a warning naming the variant it repeats); different variants are untouched."""

from __future__ import annotations

import pytest

from assistant.drafting import duplicates, prompts
from assistant.drafting.providers import FakeProvider
from assistant.drafting.schemas import DraftRequest
from assistant.i18n import t

SAME = "Sabato in bottega si rammenda: portate i maglioni bucati, il filo lo mettiamo noi. #BottegaPasubio"
OTHER = "Un buco non è la fine di un maglione: sabato mattina lo chiudiamo insieme, con calma. #BottegaPasubio"
THIRD = "Il rammendo è un lavoro lento, e ci piace così: vi aspettiamo sabato in bottega. #BottegaPasubio"
ANGLES = list(prompts.phrases("angles").values())


@pytest.fixture
def indexed(services):
    services.knowledge.index_brand(services.brand("bottega-pasubio"))
    return services


def request(**kw) -> DraftRequest:
    base = {"brand": "bottega-pasubio", "platforms": ["instagram"], "brief": "Laboratorio di rammendo sabato",
            "variants": 2}
    return DraftRequest(**(base | kw))


def angle_of(call) -> str:
    content = call.messages[-1]["content"]
    return content[content.index("<angle>") + 7:content.index("</angle>")]


def test_two_identical_variants_the_later_is_written_again_with_another_angle(indexed):
    fake = FakeProvider(script=[SAME, SAME, OTHER])
    events = list(indexed.drafter(provider=fake).stream(request()))
    first, second = [e.draft for e in events if e.kind == "done"]
    assert (first.text, second.text) == (SAME, OTHER) and len(fake.calls) == 3
    assert [angle_of(c) for c in fake.calls] == ANGLES[:3]  # the third angle: the one no variant took
    assert second.angle == ANGLES[2] and fake.calls[2].temperature > fake.calls[1].temperature
    assert not [v for v in second.violations if v.code == duplicates.CODE]
    assert [e.kind for e in events].count("start") == 2  # one card per variant: the retry streams as "repair"
    assert "".join(e.text for e in events if e.kind == "repair" and e.variant == 2).strip() == OTHER
    assert second.completion_tokens > first.completion_tokens  # the discarded attempt's tokens are counted


def test_still_the_same_after_writing_it_again_is_kept_and_marked(indexed):
    fake = FakeProvider(script=[SAME, SAME.upper().replace(" ", "  "), SAME, SAME, THIRD])
    drafts = indexed.drafter(provider=fake).draft(request(variants=3))
    assert [d.text for d in drafts[:2]] == [SAME, SAME] and len(fake.calls) == 5
    [mark] = [v for v in drafts[1].violations if v.code == "same_as_variant"]
    assert (mark.severity, mark.params) == ("warning", {"variant": 1})
    assert mark.message("it") == t("violation.same_as_variant", "it", variant=1) and "variante 1" in mark.message("it")
    assert "variant 1" in mark.message("en")
    assert drafts[1].complete and not drafts[1].errors  # a warning: it can still be reviewed and approved
    # variant 3 repeated 1 too: written again with the angles left after 1-3 and the second retry
    assert drafts[2].text == THIRD and [angle_of(c) for c in fake.calls[3:]] == [ANGLES[2], ANGLES[4]]


def test_different_variants_are_untouched(indexed):
    fake = FakeProvider(script=[SAME, OTHER, THIRD])
    drafts = indexed.drafter(provider=fake).draft(request(variants=3))
    assert [d.text for d in drafts] == [SAME, OTHER, THIRD] and len(fake.calls) == 3
    assert [d.angle for d in drafts] == ANGLES[:3]
    assert not any(v.code == duplicates.CODE for d in drafts for v in d.violations)


def test_other_platforms_are_not_compared(indexed):
    fake = FakeProvider(script=[SAME, SAME])
    drafts = indexed.drafter(provider=fake).draft(request(platforms=["instagram", "facebook"], variants=1))
    assert [d.text for d in drafts] == [SAME, SAME] and len(fake.calls) == 2


def test_a_resumed_job_compares_with_the_finished_variants_it_is_given(indexed):
    drafter = indexed.drafter(provider=FakeProvider(script=[SAME, OTHER]))
    [second] = [e.draft for e in drafter.stream(
        request(), skip=frozenset({("instagram", 1)}), written={("instagram", 1): SAME}) if e.kind == "done"]
    assert second.variant == 2 and second.text == OTHER
    alone = indexed.drafter(provider=FakeProvider(script=[SAME]))  # without `written`: nothing to compare with
    [kept] = [e.draft for e in alone.stream(request(), skip=frozenset({("instagram", 1)})) if e.kind == "done"]
    assert kept.text == SAME and not [v for v in kept.violations if v.code == duplicates.CODE]


@pytest.mark.parametrize("a, b, same", [
    (SAME, SAME, True), (SAME, " " + SAME.upper() + "\n", True), (SAME, SAME.replace("noi.", "noi!"), True),
    (SAME, OTHER, False), ("", "", False), ("Ciao a tutti", "Ciao a tutte", False)])
def test_what_counts_as_the_same(a, b, same):
    assert (duplicates.same_as(b, {1: a}) == 1) is same


def test_the_other_angle_is_the_next_untaken_and_rounds_again():
    assert duplicates.other_angle(["a", "b", "c", "d"], {"a", "b"}, "b") == "c"
    assert duplicates.other_angle(["a", "b", "c", "d"], {"a", "b", "c", "d"}, "d") == "a"  # all taken: the next
    assert duplicates.retry_temperature(0.6) == 0.9 and duplicates.retry_temperature(1.2) == 1.3
