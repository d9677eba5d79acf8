"""The brand's fixed guideline passages (the most central, whole, within their share of the
budget) and how the token budget treats them: the brief's sources are trimmed first and the
brand's part of the prompt stays byte-identical; only a brief too long for anything else drops
fixed passages, last first."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.drafting import passages
from assistant.drafting.providers import FakeProvider
from assistant.drafting.schemas import DraftRequest

WORDS = "una riga di regole della voce del brand che dice qualcosa di preciso"  # 13 words


def store(*rows: tuple[str, list[float], int]):
    """(id, vector, repeats of WORDS) -> what `VectorStore.all_of_kind` returns."""
    ids = [r[0] for r in rows]
    texts = [" ".join([WORDS] * r[2]) for r in rows]
    return ids, texts, [{"heading": i} for i in ids], np.array([r[1] for r in rows], dtype=np.float32)


def size(source) -> int:
    return len(source.text.split())


def test_the_most_central_whole_passages_that_fit_in_a_stable_order():
    rows = store(("edge", [0.0, 1.0], 1), ("mid", [0.7, 0.7], 1), ("core", [0.9, 0.5], 1), ("long", [0.8, 0.6], 5),
                 ("core2", [0.9, 0.5], 1))
    chosen = passages.central(*rows, budget=40, size=size)
    # long (65 words) is the second most central but does not fit: skipped whole, shorter ones still tried
    assert [s.id for s in chosen.sources] == ["mid", "core", "core2"]  # core and core2 tie: by id
    assert [s.id for s in passages.central(*rows, budget=40, size=size, limit=1).sources] == ["mid"]
    assert "long" in [s.id for s in passages.central(*rows, budget=100, size=size).sources]
    assert passages.central(*rows, budget=0, size=size).sources == ()
    assert passages.central([], [], [], np.empty((0, 0)), budget=500, size=size).sources == ()


def test_a_heading_alone_is_never_chosen():
    ids, texts, metas, vectors = store(("title", [1.0, 0.0], 1), ("body", [0.9, 0.1], 1))
    texts[0] = "Bottega Pasubio — Voce e tono"
    assert [s.id for s in passages.central(ids, texts, metas, vectors, budget=100, size=size).sources] == ["body"]


def test_scored_for_a_brief_in_the_same_order():
    chosen = passages.central(*store(("a", [1.0, 0.0], 1), ("b", [0.8, 0.6], 1)), budget=100, size=size)
    scored = chosen.for_brief(np.array([0.0, 2.0]))
    assert [s.id for s in scored] == [s.id for s in chosen.sources]  # the prompt's order never follows the brief
    assert [round(s.score, 3) for s in scored] == [0.0, 0.6] and scored[1].relevance == scored[1].score
    assert chosen.for_brief(None) == list(chosen.sources)


def test_room_is_a_share_of_what_the_budget_leaves():
    assert passages.room(2000, 1000) == int((2000 - 1000 - passages.TASK_RESERVE) * passages.SHARE)
    assert passages.room(1400, 1300) == 0


def hits(*rows: tuple[str, list[float], float, int | None]):
    """(id, vector, similarity to the voice, engagement) -> what `VectorStore.query` returns."""
    from assistant.knowledge.vectorstore import Hit

    return [Hit(id=i, text=f"{WORDS} ({i})", similarity=sim, embedding=np.array(vec, dtype=np.float32),
                metadata={"kind": "post", "platform": "instagram", **({"engagement": e} if e is not None else {})})
            for i, vec, sim, e in rows]


def test_the_brand_s_fixed_posts_nearest_to_its_voice_never_twice_the_same_post():
    found = hits(("near", [1.0, 0.0], 0.80, None), ("twin", [0.999, 0.01], 0.79, None), ("far", [0.0, 1.0], 0.60, None),
                 ("other", [0.6, 0.8], 0.70, None))
    chosen = passages.typical(found, budget=100, size=size)
    assert [s.id for s in chosen.sources] == ["near", "other"]  # "twin" is "near" reworded: skipped
    assert all(s.kind == "post" and s.metadata["platform"] == "instagram" for s in chosen.sources)
    assert [s.id for s in passages.typical(found, budget=15, size=size).sources] == ["near"]  # one fits
    assert passages.typical(found, budget=0, size=size).sources == () and passages.typical([], budget=99, size=size).sources == ()
    scored = chosen.for_brief(np.array([0.0, 1.0]))
    assert [s.id for s in scored] == ["near", "other"] and [round(s.score, 2) for s in scored] == [0.0, 0.8]


def test_better_performing_posts_win_a_near_tie_and_ties_go_by_id():
    found = hits(("b", [1.0, 0.0], 0.70, 10), ("a", [0.0, 1.0], 0.70, 10), ("c", [0.6, 0.8], 0.69, 5000))
    assert [s.id for s in passages.typical(found, budget=100, size=size).sources] == ["c", "a"]
    assert [s.id for s in passages.typical(found[:2], budget=100, size=size).sources] == ["a", "b"]


# --- in the drafter -------------------------------------------------------------------------------

@pytest.fixture
def indexed(services):
    services.knowledge.index_brand(services.brand("bottega-pasubio"))
    return services


def brand_part(prompt: str) -> str:
    return prompt[:prompt.index("<exemplar_posts>")]


def request(brief: str) -> DraftRequest:
    return DraftRequest(brand="bottega-pasubio", platforms=["instagram"], brief=brief)


def test_a_longer_brief_trims_the_briefs_sources_and_keeps_the_brand_part(indexed):
    fake = FakeProvider()
    drafter = indexed.drafter(provider=fake)
    [short] = drafter.draft(request("Laboratorio di rammendo sabato in bottega"))
    long_brief = "Laboratorio di rammendo sabato in bottega, portate i maglioni. " * 8
    [longer] = drafter.draft(request(long_brief))
    first, second = (c.messages[1]["content"] for c in fake.calls)
    assert brand_part(first) == brand_part(second) and "<passage " in brand_part(first)
    assert fake.calls[0].messages[0] == fake.calls[1].messages[0]
    assert longer.trimmed_sources > short.trimmed_sources and longer.prompt_tokens <= drafter.prompt_budget
    fixed = [s.id for s in short.sources if s.kind == "guideline"][:brand_part(first).count("<passage ")]
    assert [s.id for s in longer.sources[:len(fixed)]] == fixed  # the brief's sources went, the brand's stayed


def test_a_brief_too_long_for_anything_else_drops_fixed_passages_last_first(indexed, monkeypatch):
    monkeypatch.setattr(passages, "SHARE", 0.5)  # room for two or three fixed passages
    fake = FakeProvider()
    drafter = indexed.drafter(provider=fake)
    drafter.prompt_budget = 2500
    [roomy] = drafter.draft(request("Rammendo sabato"))
    fixed = brand_part(fake.calls[0].messages[1]["content"]).count("<passage ")
    assert fixed >= 2
    sentence = "Sabato in bottega rammendiamo maglioni e calzettoni di lana, con calma e con il filo giusto. "
    counts = []
    for repeats in range(2, 42, 2):  # longer and longer briefs, up to the longest a request takes
        [tight] = drafter.draft(request((sentence * repeats)[:3990]))
        kept = brand_part(fake.calls[-1].messages[1]["content"]).count("<passage ")
        counts.append(kept)
        assert [s.id for s in tight.sources[:kept]] == [s.id for s in roomy.sources[:kept]]  # the first ones stay
        assert tight.prompt_tokens <= drafter.prompt_budget or kept == 0
        if kept < fixed:
            assert len(tight.sources) == kept  # every one of the brief's sources went before
    assert counts == sorted(counts, reverse=True) and counts[0] == fixed and counts[-1] < fixed
    assert any(0 < c < fixed for c in counts)  # the last passage went first


def test_the_choice_is_kept_until_the_guidelines_or_the_profile_change(indexed, monkeypatch):
    from assistant.knowledge.parsing import KnowledgeDoc, content_id

    reads = []
    original = indexed.store.all_of_kind
    monkeypatch.setattr(indexed.store, "all_of_kind", lambda *a: reads.append(a) or original(*a))
    choices = passages.Choices()
    brand = indexed.brand("bottega-pasubio")

    def choose(b=brand):
        return passages.for_brand(indexed.store, b, budget=3000, model="fake-echo-1", choices=choices)

    first = choose()
    assert choose() is first and len(reads) == 1  # asked again: no second read, no second count
    text = "Regola nuova della bottega: ogni post sul rammendo dice quanto dura il lavoro, in ore vere, sempre."
    doc = KnowledgeDoc(id=content_id("bottega-pasubio", "guideline", "n", text), kind="guideline", text=text,
                       metadata={"brand": "bottega-pasubio", "kind": "guideline", "heading": "Nuova", "source": "n.md"})
    indexed.store.upsert("bottega-pasubio", [doc], indexed.embedder.passages([doc.text]))
    choose()
    assert len(reads) == 2  # the collection changed
    choose(brand.model_copy(update={"profile": brand.profile.model_copy(update={"voice": "Asciutta."})}))
    assert len(reads) == 3  # the profile changed (the room it leaves)
    assert passages.for_brand(indexed.store, brand, budget=3000, model="fake-echo-1").ids == choose().ids
