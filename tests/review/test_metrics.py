"""Human-edit metrics on hand-computed examples (definitions in assistant/review_metrics.py)."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidRequest
from assistant.review.metrics import diff_ops, edit_metrics, kept_words, levenshtein, unified_diff, words
from tests.factories import clock, db_url, make_draft, queue  # noqa: F401

V0 = "Oggi apriamo la bottega a Schio con una festa"
FINAL = "Domani apriamo la bottega di Schio con una grande festa"


def test_words_are_whitespace_runs_after_nfc():
    assert words("Ciao,  mondo!\nBello #lana 🧶 https://x.example/a") == [
        "Ciao,", "mondo!", "Bello", "#lana", "🧶", "https://x.example/a"]
    assert words("perche\u0301") == words("perché")
    assert words("   ") == []


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("", "", 0),
    ("", "uno due", 2),
    ("uno due", "", 2),
    ("a b c", "a x c", 1),  # one substitution
    ("il gatto nero dorme", "il cane nero dorme qui", 2),  # gatto->cane, +qui
    ("a b c d", "c d a b", 4),  # every position differs; a shift costs 2 + 2
    (V0, FINAL, 3),  # Oggi->Domani, a->di, +grande
    ("x a b c y", "z a b c w", 2),  # the common middle is free
])
def test_levenshtein_on_words(a, b, distance):
    assert levenshtein(words(a), words(b)) == distance
    assert levenshtein(words(b), words(a)) == distance


def test_kept_share_hand_computed():
    # matching blocks: "apriamo la bottega" (3), "Schio con una" (3), "festa" (1) = 7 of 9 words
    assert kept_words(words(V0), words(FINAL)) == 7
    m = edit_metrics(V0, FINAL)
    assert (m.words_v0, m.words_final, m.kept_words, m.edit_distance) == (9, 10, 7, 3)
    assert m.kept_share == 7 / 9
    # moved text counts once: "a b" lines up, "c d" moved before it does not
    assert edit_metrics("a b c d", "c d a b").kept_words == 2
    assert edit_metrics(V0, V0).model_dump() == {"words_v0": 9, "words_final": 9, "kept_words": 9, "kept_share": 1.0,
                                                 "edit_distance": 0}
    assert edit_metrics("", "nuovo").kept_share is None


def test_diffs():
    assert diff_ops(V0, FINAL) == [
        {"op": "replace", "old": "Oggi ", "new": "Domani "},
        {"op": "equal", "old": "apriamo la bottega ", "new": "apriamo la bottega "},
        {"op": "replace", "old": "a ", "new": "di "},
        {"op": "equal", "old": "Schio con una ", "new": "Schio con una "},
        {"op": "insert", "old": "", "new": "grande "},
        {"op": "equal", "old": "festa", "new": "festa"},
    ]
    # line breaks survive: the runs' new text is the final text
    lines = "Primo paragrafo.\n\nSecondo paragrafo, nuovo.\n#Tag"
    ops = diff_ops("Primo paragrafo.\nSecondo paragrafo.", lines)
    assert "".join(op["new"] for op in ops) == lines
    assert any("\n\n" in op["new"] for op in ops)
    assert unified_diff("riga uno\nriga due", "riga uno\nriga 2", "v0", "v1").splitlines() == [
        "--- v0", "+++ v1", "@@ -1,2 +1,2 @@", " riga uno", "-riga due", "+riga 2"]
    assert unified_diff("uguale", "uguale") == ""


def test_queue_metrics_hand_computed(queue, clock):
    q = queue
    # lana / instagram / fake / post@1
    a1 = q.add_draft(make_draft("uno due tre quattro"), by="Ada", submit=True)
    clock.advance(3600)
    q.approve(a1.id, by="Bea")  # unedited: kept 4/4, distance 0, 3600 s
    a2 = q.add_draft(make_draft("uno due tre quattro cinque sei"), by="Ada", submit=True)
    clock.advance(600)
    q.edit(a2.id, "uno due TRE quattro", by="Bea", base_version=a2.version)
    clock.advance(6600)
    q.approve(a2.id, by="Cris")  # kept "uno due" + "quattro" = 3/6; tre->TRE, -cinque, -sei = 3; 7200 s
    a3 = q.add_draft(make_draft("da scartare"), by="Ada", submit=True)
    q.reject(a3.id, by="Bea", note="fuori tema")
    # vino / linkedin / openai / post@2
    vino = {"brand": "vino", "platform": "linkedin", "provider": "openai", "prompt_version": "post@2"}
    b1 = q.add_draft(make_draft("alfa beta gamma delta", **vino), by="Ada", submit=True)
    clock.advance(600)
    b1 = q.request_changes(b1.id, by="Bea", note="più corto")
    b1 = q.edit(b1.id, "alfa beta epsilon", by="Ada", base_version=b1.version)
    q.submit(b1.id, by="Ada")  # resubmitting does not restart the clock
    clock.advance(1200)
    q.approve(b1.id, by="Bea")  # kept 2/4; gamma->epsilon, -delta = 2; 1800 s
    q.add_draft(make_draft("in revisione", **vino), by="Ada", submit=True)
    q.add_draft(make_draft("bozza", **vino), by="Ada")

    report = q.metrics(group_by=("brand", "platform"))
    o = report.overall
    assert (o.items, o.submitted, o.approved, o.rejected, o.decided, o.approved_unedited) == (6, 5, 3, 1, 4, 1)
    assert (o.approval_rate, o.rejection_rate) == (0.75, 0.25)
    assert o.kept_share == 9 / 14  # (4 + 3 + 2) / (4 + 6 + 4)
    assert o.mean_kept_share == pytest.approx(2 / 3)  # (1 + 0.5 + 0.5) / 3
    assert o.mean_edit_distance == pytest.approx(5 / 3)
    assert (o.mean_seconds_to_approval, o.median_seconds_to_approval) == (4200.0, 3600.0)

    lana, vino_group = report.groups
    assert lana.key == {"brand": "lana", "platform": "instagram"}
    assert (lana.items, lana.approved, lana.rejected, lana.approval_rate) == (3, 2, 1, 2 / 3)
    assert (lana.kept_share, lana.mean_kept_share, lana.mean_edit_distance) == (7 / 10, 0.75, 1.5)
    assert (lana.mean_seconds_to_approval, lana.median_seconds_to_approval) == (5400.0, 5400.0)
    assert vino_group.key == {"brand": "vino", "platform": "linkedin"}
    assert (vino_group.items, vino_group.submitted, vino_group.decided, vino_group.approval_rate) == (3, 2, 1, 1.0)
    assert (vino_group.kept_share, vino_group.mean_edit_distance) == (0.5, 2.0)
    assert vino_group.mean_seconds_to_approval == 1800.0

    by_prompt = q.metrics(brand="vino", group_by=("provider", "prompt_version"))
    assert [g.key for g in by_prompt.groups] == [{"provider": "openai", "prompt_version": "post@2"}]
    assert by_prompt.overall.items == 3
    assert q.metrics(platform="instagram").overall.approved == 2
    with pytest.raises(InvalidRequest, match="group"):
        q.metrics(group_by=("colour",))
