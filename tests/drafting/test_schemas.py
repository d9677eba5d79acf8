"""The draft's note on its sources (`Draft.source_note`): how many were found and used and why, in
both languages; drafts stored before these fields existed still load."""

from __future__ import annotations

import pytest

from assistant.drafting.schemas import Draft
from tests.factories import make_draft

SOURCE = {"id": "s", "kind": "post", "score": 0.8, "snippet": "Maglioni", "text": "Maglioni in lana"}


def draft(**fields) -> Draft:
    return Draft.model_validate(make_draft().model_dump() | fields)


def sources(n: int) -> list[dict]:
    return [SOURCE | {"id": f"s{i}"} for i in range(n)]


def test_a_draft_stored_before_the_new_fields_still_loads():
    stored = make_draft().model_dump(mode="json", exclude={"sources_retrieved", "context_tokens", "context_by_model"})
    stored["trimmed_sources"] = 3
    draft = Draft.model_validate(stored)
    assert (draft.sources_retrieved, draft.context_tokens, draft.context_by_model) == (None, None, False)
    assert draft.source_note("it") == "Il prompt era pieno: usata 1 fonte su 4."
    assert draft.source_note("en") == "The prompt was full: 1 of 4 sources used."


def test_the_bundled_model_says_how_many_sources_fitted():
    small = draft(sources=sources(3), sources_retrieved=8, trimmed_sources=5, context_tokens=1400,
                  context_by_model=True, demo_model=True)
    assert small.source_note("it") == "Il modello incluso legge circa 1.400 token: usate 3 fonti su 8."
    assert small.source_note("en") == "The bundled model reads about 1,400 tokens: 3 of 8 sources used."


def test_another_small_model_and_the_budget_setting_are_named():
    model = draft(sources=sources(1), sources_retrieved=2, context_tokens=1024, context_by_model=True,
                       model="tiny-gguf")
    assert model.source_note("en") == "The model tiny-gguf reads about 1,024 tokens: 1 of 2 sources used."
    budget = draft(sources=sources(4), sources_retrieved=12, context_tokens=2000, model="gpt-4.1-mini")
    assert budget.source_note("it") == ("Il prompt ha un limite di 2.000 token (ASSISTANT_PROMPT_BUDGET): "
                                        "usate 4 fonti su 12.")


def test_nothing_found_and_nothing_fitted_are_different_causes():
    found_none = draft(sources=[], sources_retrieved=0, context_tokens=1400, context_by_model=True,
                            demo_model=True)
    assert found_none.source_note("en").startswith("No sources found: nothing of this brand's library is indexed")
    assert "indicizzato" in found_none.source_note("it")
    fitted_none = draft(sources=[], sources_retrieved=12, trimmed_sources=12, context_tokens=1400,
                             context_by_model=True, demo_model=True)
    assert fitted_none.source_note("it") == ("Il modello incluso legge circa 1.400 token: non ci stava nessuna "
                                             "delle 12 fonti trovate.")
    assert fitted_none.source_note("en") == "The bundled model reads about 1,400 tokens: none of the 12 sources found fitted."


@pytest.mark.parametrize("retrieved", [1, None])
def test_no_note_when_every_source_found_was_used(retrieved):
    assert draft(sources_retrieved=retrieved, context_tokens=1400, context_by_model=True).source_note("it") is None
