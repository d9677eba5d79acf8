"""The review queue on a real database: states, gate, four eyes, conflicts, audit, persistence."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from assistant.errors import IllegalTransition, InvalidRequest, ReviewConflict
from assistant.review import TRANSITIONS, ItemNotFound, ReviewQueue, allowed_actions
from assistant.review.schemas import STATES, ApprovalBlocked, EditConflict, FourEyesRequired
from tests.factories import (Clock, add_people, clock, db_url, fake_policy, fake_validator,  # noqa: F401
                             make_draft, queue)

# The whole state machine, written out independently of the implementation's table.
EXPECTED = {
    ("draft", "submit"): "in_review",
    ("changes_requested", "submit"): "in_review",
    ("draft", "edit"): "draft",
    ("in_review", "edit"): "in_review",
    ("changes_requested", "edit"): "changes_requested",
    ("in_review", "approve"): "approved",
    ("in_review", "request_changes"): "changes_requested",
    ("in_review", "reject"): "rejected",
    ("approved", "reopen"): "in_review",
    ("approved", "schedule"): "scheduled",
    ("scheduled", "schedule"): "scheduled",  # reschedule
    ("scheduled", "publish"): "published",
    ("approved", "publish"): "published",  # published by hand, never scheduled here (e.g. a time already past)
    # the client stage (brand `approval: [internal, client]`)
    ("client_review", "client_approve"): "approved",
    ("client_review", "client_request_changes"): "changes_requested",
    ("client_review", "request_changes"): "changes_requested",  # the team takes it back
    # publishing for real (assistant/publishing): the network refused the post for good
    ("scheduled", "publish_failed"): "publish_failed",
    ("approved", "publish_failed"): "publish_failed",
    ("publish_failed", "schedule"): "scheduled",  # try again
    ("publish_failed", "publish"): "published",  # published by hand after all
    ("publish_failed", "reopen"): "in_review",
}
ACTIONS = ["submit", "edit", "approve", "request_changes", "reject", "reopen", "schedule", "publish", "publish_failed"]
WHEN = datetime(2026, 3, 14, 17, 30, tzinfo=timezone.utc)


def do(q: ReviewQueue, action: str, item_id: int, by: str = "Bea"):
    version = q.get(item_id).version
    calls = {
        "submit": lambda: q.submit(item_id, by=by),
        "edit": lambda: q.edit(item_id, "Testo rivisto dalla redazione", by=by, base_version=version),
        "approve": lambda: q.approve(item_id, by=by),
        "request_changes": lambda: q.request_changes(item_id, by=by, note="più concreto"),
        "reject": lambda: q.reject(item_id, by=by, note="fuori tema"),
        "reopen": lambda: q.reopen(item_id, by=by, note="il cliente ha cambiato idea"),
        "schedule": lambda: q.schedule(item_id, WHEN, by=by),
        "publish": lambda: q.mark_published(item_id, by=by, url="https://ig.example/p/9"),
        "publish_failed": lambda: q.publish_failed(item_id, by=by, reason="mastodon: the access token was revoked"),
    }
    return calls[action]()


def item_in(q: ReviewQueue, state: str) -> int:
    """An item brought to `state` through the public API only."""
    brand = "client-brand" if state == "client_review" else "lana"
    item = q.add_draft(make_draft(brand=brand), by="Ada", submit=state != "draft")
    path = {"draft": [], "in_review": [], "changes_requested": ["request_changes"], "approved": ["approve"],
            "client_review": ["approve"],
            "rejected": ["reject"], "scheduled": ["approve", "schedule"],
            "published": ["approve", "schedule", "publish"],
            "publish_failed": ["approve", "schedule", "publish_failed"]}
    for action in path[state]:
        do(q, action, item.id)
    assert q.get(item.id).state == state
    return item.id


def test_transition_table_is_the_documented_one():
    assert {(s, a): t for a, moves in TRANSITIONS.items() for s, t in moves.items()} == EXPECTED


@pytest.fixture(scope="module")
def shared_queue(tmp_path_factory):
    q = add_people(ReviewQueue(f"sqlite:///{tmp_path_factory.mktemp('rq')}/table.db", validator=fake_validator,
                               brand_policy=fake_policy, clock=Clock()))
    yield q
    q.close()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action(shared_queue, state, action):
    q = shared_queue
    item_id = item_in(q, state)
    before = q.get(item_id)
    if (state, action) in EXPECTED:
        after = do(q, action, item_id)
        assert after.state == EXPECTED[(state, action)]
        assert after.version == before.version + 1
        event = q.get(item_id).audit[-1]
        assert (event.action, event.actor, event.from_state, event.to_state) == (action, "Bea", state, after.state)
    else:
        with pytest.raises(IllegalTransition) as err:
            do(q, action, item_id)
        message = str(err.value)
        assert state in message
        for allowed in allowed_actions(state):
            assert allowed.replace("_", " ") in message.replace("_", " ")
        after = q.get(item_id)
        assert (after.state, after.version, len(after.audit)) == (state, before.version, len(before.audit))


@pytest.mark.parametrize("state", STATES)
def test_comment_assign_archive_in_any_state_then_archived_is_read_only(shared_queue, state):
    q = shared_queue
    item_id = item_in(q, state)
    q.comment(item_id, "Bella idea", by="Cris")
    q.assign(item_id, "Dario", by="Cris")
    archived = q.archive(item_id, by="Cris", note="doppione")
    assert archived.archived and archived.state == state and archived.assignee == "dario"  # a username
    assert [e.action for e in q.get(item_id).audit][-3:] == ["comment", "assign", "archive"]
    assert q.get(item_id).allowed_actions == []
    for action in ACTIONS:
        with pytest.raises(IllegalTransition, match="archived"):
            do(q, action, item_id)
    with pytest.raises(IllegalTransition, match="archived"):
        q.comment(item_id, "ancora", by="Cris")


def test_v0_is_the_draft_exactly_with_its_provenance(queue):
    draft = make_draft("  Testo  del modello, spazi compresi.  ", violations=[{"code": "x", "severity": "warning",
                                                                               "message": "m"}])
    item = queue.add_draft(draft, by="Ada")
    view = queue.get(item.id)
    v0 = view.revisions[0]
    assert v0.text == draft.text
    assert (v0.number, v0.author, v0.provider, v0.model, v0.prompt_version) == (0, "ai:fake/fake-1", "fake", "fake-1",
                                                                                 "post@1")
    assert (v0.prompt_tokens, v0.completion_tokens, v0.cost_usd) == (812, 64, 0.00042)
    assert v0.violations == draft.violations and v0.sources[0]["id"] == "s1"
    assert v0.meta["latency_ms"] == 900 and v0.meta["id"] == draft.id
    assert view.state == "draft" and view.created_by == "Ada" and view.version == 1
    assert view.created_at.tzinfo is not None and view.created_at.utcoffset().total_seconds() == 0
    # the same draft again is the same item, not a copy
    assert queue.add_draft(draft, by="Ada").id == item.id
    assert queue.list().total == 1


def test_add_with_human_edit_and_submit(queue):
    item = queue.add_draft(make_draft(), by="Ada", submit=True, edited_text="Oggi apriamo la bottega VIETATO")
    view = queue.get(item.id)
    assert [r.author for r in view.revisions] == ["ai:fake/fake-1", "Ada"]
    assert view.revisions[1].violations[0].code == "banned_word"  # re-validated
    assert (view.state, view.current_revision, view.error_count) == ("in_review", 1, 1)
    assert [e.action for e in view.audit] == ["create", "edit", "submit"]
    same = queue.add_draft(make_draft(), by="Ada", edited_text=make_draft().text)
    assert same.current_revision == 0  # an "edit" identical to v0 is no revision


def test_edit_revalidates_and_gate_blocks_approval_until_override(queue):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    edited = queue.edit(item.id, "Oggi apriamo la bottega VIETATO", by="Bea", base_version=item.version)
    assert edited.error_count == 1
    with pytest.raises(ApprovalBlocked, match="VIETATO") as err:
        queue.approve(item.id, by="Cris")
    assert err.value.violations[0].code == "banned_word"
    with pytest.raises(ApprovalBlocked):
        queue.approve(item.id, by="Cris", override_reason="   ")
    approved = queue.approve(item.id, by="Cris", override_reason="Il cliente ha autorizzato la parola per iscritto")
    assert approved.state == "approved"
    event = queue.get(item.id).audit[-1]
    assert (event.action, event.actor) == ("approve", "Cris")
    assert event.note == "Il cliente ha autorizzato la parola per iscritto"
    assert event.data["override"] is True and event.data["violations"][0]["code"] == "banned_word"
    # fixing the text instead clears the gate
    other = queue.add_draft(make_draft("Testo VIETATO", violations=[{"code": "banned_word", "severity": "error",
                                                                    "message": "VIETATO"}]), by="Ada", submit=True)
    with pytest.raises(ApprovalBlocked):
        queue.approve(other.id, by="Cris")
    fixed = queue.edit(other.id, "Testo pulito", by="Bea", base_version=other.version)
    assert queue.approve(fixed.id, by="Cris").state == "approved"
    assert "override" not in queue.get(fixed.id).audit[-1].data


def test_warnings_do_not_block(queue):
    item = queue.add_draft(make_draft("Che festa!!"), by="Ada", submit=True)
    queue.edit(item.id, "Che festa!! Davvero", by="Bea", base_version=item.version)
    assert queue.approve(item.id, by="Cris").state == "approved"


def test_four_eyes(queue):
    """Four eyes compares user ids: whoever put the item in the queue (asked the model) or edited
    it cannot approve it, however their name is typed; a name that is no user is refused."""
    item = queue.add_draft(make_draft(brand="strict-brand"), by="Ada", submit=True)
    with pytest.raises(FourEyesRequired, match="put it in the queue"):
        queue.approve(item.id, by="ada ")  # the same user, however typed
    with pytest.raises(InvalidRequest, match="no user 'ada.'"):
        queue.approve(item.id, by="ada.")  # a look-alike name is nobody
    edited = queue.edit(item.id, "Oggi apriamo la bottega a Schio", by="Bea", base_version=item.version)
    with pytest.raises(FourEyesRequired, match="edited its text"):
        queue.approve(item.id, by="Bea")
    assert queue.get(item.id).state == "in_review"
    assert queue.approve(edited.id, by="Cris").state == "approved"
    events = [(e.action, e.actor_id) for e in queue.get(item.id).audit]
    ids = {u.username: u.id for u in queue.people.list()}
    assert events == [("create", ids["ada"]), ("submit", ids["ada"]), ("edit", ids["bea"]), ("approve", ids["cris"]),
                      ("exemplar_added", ids["cris"])] or events[:4] == [("create", ids["ada"]), ("submit", ids["ada"]),
                                                                          ("edit", ids["bea"]), ("approve", ids["cris"])]
    # without four eyes, authors approve their own edits
    free = queue.add_draft(make_draft(brand="lana"), by="Ada", submit=True)
    queue.edit(free.id, "Testo mio", by="Ada", base_version=free.version)
    assert queue.approve(free.id, by="Ada").state == "approved"


def test_stale_edit_conflict_carries_both_texts(queue):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    base = item.version
    queue.edit(item.id, "Versione di Bea", by="Bea", base_version=base)
    with pytest.raises(ReviewConflict) as err:
        queue.edit(item.id, "Versione di Cris", by="Cris", base_version=base)
    conflict = err.value
    assert isinstance(conflict, EditConflict)
    assert conflict.yours == "Versione di Cris"
    theirs = conflict.theirs
    assert (theirs.text, theirs.version, theirs.author) == ("Versione di Bea", base + 1, "Bea")
    view = queue.get(item.id)
    assert [r.text for r in view.revisions][1:] == ["Versione di Bea"]  # nothing overwritten
    # saving again on their version works
    again = queue.edit(item.id, "Versione di Cris", by="Cris", base_version=theirs.version)
    assert again.current_revision == 2
    # a stale approval is refused too
    with pytest.raises(EditConflict):
        queue.approve(item.id, by="Dario", base_version=base)


def test_unchanged_text_is_not_a_revision(queue):
    item = queue.add_draft(make_draft(), by="Ada")
    same = queue.edit(item.id, make_draft().text, by="Bea", base_version=item.version)
    assert (same.version, same.current_revision) == (item.version, 0)


@pytest.mark.parametrize("by", ["", "   ", None, "ai:fake/fake-1"])
def test_every_change_needs_a_human_name(queue, by):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    for call in (lambda: queue.approve(item.id, by=by), lambda: queue.comment(item.id, "x", by=by),
                 lambda: queue.edit(item.id, "nuovo", by=by, base_version=item.version),
                 lambda: queue.add_draft(make_draft("altro"), by=by)):
        with pytest.raises(InvalidRequest, match="by"):
            call()
    assert len(queue.get(item.id).audit) == 2


@pytest.mark.parametrize("action", ["reject", "request_changes", "reopen"])
def test_notes_are_required(queue, action):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    if action == "reopen":
        queue.approve(item.id, by="Bea")
    with pytest.raises(InvalidRequest, match="note"):
        getattr(queue, action)(item.id, by="Bea", note="  ")


def test_reopen_keeps_the_note_and_reapproval_recomputes(queue, clock):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    queue.approve(item.id, by="Bea")
    reopened = queue.reopen(item.id, by="Bea", note="manca il prezzo")
    assert queue.get(item.id).audit[-1].note == "manca il prezzo"
    queue.edit(item.id, "Oggi apriamo la bottega a Schio con una festa: ingresso libero", by="Cris",
               base_version=reopened.version)
    queue.approve(item.id, by="Bea")
    report = queue.metrics()
    assert report.overall.approved == 1 and report.overall.mean_edit_distance == 3.0  # festa->festa:, +2


def test_not_found_and_bad_inputs(queue):
    with pytest.raises(ItemNotFound, match="queue list"):
        queue.get(999)
    with pytest.raises(InvalidRequest, match="state"):
        queue.list(state="done")
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    queue.approve(item.id, by="Bea")
    with pytest.raises(InvalidRequest, match="time zone"):
        queue.schedule(item.id, datetime(2026, 3, 14, 18, 30), by="Bea")
    with pytest.raises(InvalidRequest, match="text"):
        queue.edit(item.id, "  ", by="Bea", base_version=1)


def test_schedule_and_publish_record_when_and_where(queue):
    item_id = queue.add_draft(make_draft(), by="Ada", submit=True).id
    queue.approve(item_id, by="Bea")
    scheduled = queue.schedule(item_id, WHEN, by="Bea")
    assert scheduled.scheduled_for == WHEN
    at = datetime(2026, 3, 14, 17, 31, tzinfo=timezone.utc)
    published = queue.mark_published(item_id, by="Bea", url="https://ig.example/p/1", at=at)
    assert (published.state, published.published_at, published.published_url) == ("published", at,
                                                                                  "https://ig.example/p/1")


def test_list_filters_pages_and_order(queue):
    ids = []
    for n in range(7):
        brand = "lana" if n % 2 == 0 else "vino"
        ids.append(queue.add_draft(make_draft(f"Testo numero {n}", brand=brand, platform="x" if n < 3 else "linkedin"),
                                   by="Ada", submit=n % 3 == 0).id)
    queue.assign(ids[0], "Bea", by="Ada")
    queue.archive(ids[1], by="Ada")
    page1 = queue.list(per_page=4)
    page2 = queue.list(per_page=4, page=2)
    assert page1.total == 6 and page1.pages == 2
    assert [i.id for i in page1.items + page2.items] == sorted(set(ids) - {ids[1]}, reverse=True)
    assert {i.id for i in queue.list(brand="lana").items} == {ids[0], ids[2], ids[4], ids[6]}
    assert {i.id for i in queue.list(state="in_review").items} == {ids[0], ids[3], ids[6]}
    assert {i.id for i in queue.list(brand="lana", state="in_review", platform="linkedin").items} == {ids[6]}
    assert [i.id for i in queue.list(assignee="Bea").items] == [ids[0]]
    assert [i.id for i in queue.list(archived=True).items] == [ids[1]]
    assert queue.list(brand="lana").items[0].text == "Testo numero 6"


def test_data_survives_a_restart(db_url, clock):
    q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy, clock=clock))
    item = q.add_draft(make_draft(), by="Ada", submit=True)
    q.edit(item.id, "Testo rivisto", by="Bea", base_version=item.version)
    q.comment(item.id, "ok per me", by="Cris")
    before = q.get(item.id)
    q.close()
    again = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy, clock=clock))
    try:
        assert again.get(item.id) == before
        assert again.approve(item.id, by="Cris").state == "approved"
    finally:
        again.close()


def test_default_wiring_reads_the_brand_profiles(settings):
    """No injected callables: platform + brand rules and four eyes come from brand_profiles/."""
    q = add_people(ReviewQueue.open(settings))
    try:
        item = q.add_draft(make_draft("Nuovi gomitoli in bottega. #BottegaPasubio", brand="bottega-pasubio"),
                           by="Ada", submit=True)
        edited = q.edit(item.id, "Nuovi gomitoli in bottega, da sabato.", by="Bea", base_version=item.version)
        codes = [v.code for v in q.get(item.id).revisions[-1].violations]
        assert "missing_required_hashtag" in codes and edited.error_count >= 1
        with pytest.raises(ApprovalBlocked):
            q.approve(item.id, by="Cris")
        strict = q.add_draft(make_draft("Quarterly figures are out.", brand="paycairn", platform="linkedin"),
                             by="Ada", submit=True)
        strict = q.edit(strict.id, "Our quarterly figures are out today.", by="Ada", base_version=strict.version)
        with pytest.raises(FourEyesRequired):  # paycairn has four_eyes: true
            q.approve(strict.id, by="Ada")
    finally:
        q.close()


def test_the_approval_note_is_kept(queue):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    queue.approve(item.id, by="Bea", note="Perfetto per sabato")
    assert [(e.action, e.note) for e in queue.get(item.id).audit if e.action == "approve"] == [
        ("approve", "Perfetto per sabato")]
    gated = queue.add_draft(make_draft("Testo VIETATO"), by="Ada", submit=True)
    queue.approve(gated.id, by="Bea", override_reason="Lo vuole il cliente", note="Ok dal legale")
    event = [e for e in queue.get(gated.id).audit if e.action == "approve"][0]
    assert event.note == "Lo vuole il cliente" and event.data["note"] == "Ok dal legale"


def test_items_are_assigned_to_people_who_may_edit_them(queue):
    add_people(queue, ("Vera",), role="viewer")
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    for nobody, message in (("Giovanni", "no user 'giovanni'"), ("vera", "holds no role that edits")):
        with pytest.raises(InvalidRequest, match=message):
            queue.assign(item.id, nobody, by="Ada")
    assert queue.assign(item.id, " BEA ", by="Ada").assignee == "bea"
    assert [i.id for i in queue.list(assignee="Bea").items] == [item.id]
    event = queue.get(item.id).audit[-1]
    assert (event.action, event.data["assignee"]) == ("assign", "bea")
    assert queue.assign(item.id, None, by="Ada").assignee is None
    assert {u.username for u in queue.people.who_may("edit", "lana")} >= {"ada", "bea"}
    assert "vera" not in {u.username for u in queue.people.who_may("edit", "lana")}
