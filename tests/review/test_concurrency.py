"""Two OS processes edit the same item at once, retrying on conflicts: no edit is ever lost."""

from __future__ import annotations

import multiprocessing

from assistant.review import ReviewQueue
from assistant.review.schemas import EditConflict
from tests.factories import add_people, db_url, fake_policy, fake_validator, make_draft  # noqa: F401

EDITS_PER_PROCESS = 25


def hammer(url: str, item_id: int, name: str, edits: int, barrier, results) -> None:
    """Make `edits` successful edits, each on the version just read; on a conflict, read again."""
    queue = ReviewQueue(url, validator=fake_validator, brand_policy=fake_policy, migrate=False)  # people: the parent
    saved, conflicts = [], 0
    barrier.wait()
    for n in range(edits):
        text = f"{name} edit {n}"
        while True:
            base = queue.get(item_id).version
            try:
                queue.edit(item_id, text, by=name, base_version=base)
            except EditConflict as exc:
                assert exc.yours == text and exc.theirs.version > base
                conflicts += 1
                continue
            saved.append(text)
            break
    queue.close()
    results.put((name, saved, conflicts))


def test_two_processes_hammering_one_item_lose_nothing(db_url):
    queue = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy))
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=hammer, args=(db_url, item.id, name, EDITS_PER_PROCESS, barrier, results))
             for name in ("Bea", "Cris")]
    for p in procs:
        p.start()
    outcome = {}
    for _ in procs:
        name, saved, conflicts = results.get(timeout=120)
        outcome[name] = (saved, conflicts)
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0, 0]

    view = queue.get(item.id)
    successful = [text for saved, _ in outcome.values() for text in saved]
    assert len(successful) == 2 * EDITS_PER_PROCESS
    assert len(view.revisions) == 1 + len(successful)  # v0 + every successful edit
    assert [r.number for r in view.revisions] == list(range(len(view.revisions)))
    assert sorted(r.text for r in view.revisions[1:]) == sorted(successful)  # nothing lost, nothing doubled
    for name, (saved, _) in outcome.items():  # each process's edits landed in its own order
        assert [r.text for r in view.revisions if r.author == name] == saved
    assert view.version == item.version + len(successful)
    assert sum(e.action == "edit" for e in view.audit) == len(successful)
    queue.close()
