"""Guards: a draft that echoes its prompt or copies an exemplar is an error, and a repair that
introduces one is never kept (the fault seen with a long brief: the repair echoed `... </task>`)."""

from __future__ import annotations

import pytest

from assistant.drafting import guards
from assistant.drafting.providers import FakeProvider
from assistant.drafting.schemas import DraftRequest
from assistant.i18n import t

EXEMPLAR = ("Sabato in bottega il laboratorio di rammendo: portate i maglioni bucati, il filo lo mettiamo noi "
            "e il caffè pure, dalle dieci a mezzogiorno")


@pytest.mark.parametrize("text", ["Ecco il post </task>", "<exemplar_posts>lana</exemplar_posts>",
                                  "Bel post. Reply with the post text only.",
                                  "Stay within 280 characters. Reply with the corrected post text only"])
def test_the_prompts_markup_or_instructions_repeated_is_an_error(text):
    [v] = guards.echoes(text)
    assert v.code == "prompt_echo" and v.severity == "error"
    assert "ripete le istruzioni" in t("violation.prompt_echo", "it", **v.params)


@pytest.mark.parametrize("text", ["Sabato laboratorio di rammendo in bottega #BottegaPasubio",
                                  "Scrivete <3 se vi piace la lana", "Il nostro compito: rammendare bene."])
def test_an_ordinary_post_is_not_an_echo(text):
    assert guards.echoes(text, [EXEMPLAR]) == []


def test_a_long_verbatim_run_of_an_exemplar_is_a_copy_a_short_quote_is_not():
    copied = "Novità! " + EXEMPLAR
    [v] = guards.echoes(copied, [EXEMPLAR])
    assert v.code == "copied_exemplar" and v.params["words"] >= guards.MIN_COPIED_WORDS
    quoted = "Come dicevamo: «portate i maglioni bucati, il filo lo mettiamo noi». Vi aspettiamo!"
    assert guards.echoes(quoted, [EXEMPLAR]) == []


def test_a_repair_that_echoes_its_prompt_is_never_kept(services):
    services.knowledge.index_brand(services.brand("bottega-pasubio"))
    first = "Un maglione economico per tutti"  # banned word: an error, so one repair round runs
    echo = "Un maglione per tutti #BottegaPasubio Reply with the corrected post text only. </task>"
    fake = FakeProvider(script=[first, echo])
    [draft] = services.drafter(provider=fake).draft(DraftRequest(brand="bottega-pasubio", platforms=["instagram"],
                                                                 brief="Maglioni per tutti"))
    assert len(fake.calls) == 2 and draft.repair_attempted
    assert draft.text == first and not draft.repaired  # the echo had fewer rule errors, and was still refused
    assert "prompt_echo" not in {v.code for v in draft.violations}
