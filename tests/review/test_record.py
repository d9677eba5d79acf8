"""The provenance record (assistant/review/record.py): who wrote each version, the sources the model
read, the AI text kept, every action with who and when, the editorially responsible approver; on a
real database (SQLite and PostgreSQL through `db_url`), and through the real drafter with the fake
provider."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assistant.accounts.permissions import PermissionDenied
from assistant.accounts.shares import ShareLinks
from assistant.analytics.record import render_json
from assistant.errors import InvalidRequest
from assistant.review import ReviewQueue
from assistant.review.disclosure import ai_generated
from assistant.review.record import brand_records, item_record
from tests.factories import (Clock, add_people, clock, db_url, fake_policy, fake_validator,  # noqa: F401
                             make_draft, queue)

GOOD = "Sabato laboratorio di maglia in bottega a Schio: porta i ferri, il tè lo offriamo noi. #BottegaPasubio"
EDITED = "Sabato pomeriggio laboratorio di maglia in bottega a Schio: porta i ferri e la lana. #BottegaPasubio"
SECRET = "s" * 40


def ids(queue, *usernames):
    return [queue.people.actor(u).user_id for u in usernames]


def approved_item(queue, clock, brand: str = "lana"):
    """Queued by Ada (who asked the model), edited by Cris, approved by Bea, commented by Dario."""
    item = queue.add_draft(make_draft(brand=brand), by="Ada", submit=True)
    clock.advance(60)
    item = queue.edit(item.id, "Oggi apriamo la bottega a Schio con una grande festa!", by="Cris",
                      base_version=item.version)
    clock.advance(60)
    queue.approve(item.id, by="Bea", note="va bene")
    clock.advance(60)
    queue.comment(item.id, "Pubblichiamo sabato", by="Dario")
    return item.id


# --- through the real drafter ---------------------------------------------------------------------

@pytest.fixture
def desk(services):
    from assistant.drafting.providers import FakeProvider

    services.knowledge.index_brand(services.brand("bottega-pasubio"))
    queue = add_people(services.review)
    fake = FakeProvider(script=[GOOD, "Sabato maglia in bottega. #BottegaPasubio"])
    return services, queue, services.drafter(provider=fake, actor=queue.people.actor("ada"))


def test_an_item_drafted_edited_by_one_user_and_approved_by_another(desk):
    from assistant.drafting.schemas import DraftRequest

    _, queue, drafter = desk
    [draft] = drafter.draft(DraftRequest(brand="bottega-pasubio", platforms=["instagram"],
                                         brief="Laboratorio di maglia sabato in bottega"))
    assert draft.sources  # the model read the brand's library
    item = queue.add_draft(draft, by="ada", submit=True)
    item = queue.edit(item.id, EDITED, by="cris", base_version=item.version)
    queue.approve(item.id, by="bea", base_version=item.version)
    ada, bea, cris, dario = ids(queue, "ada", "bea", "cris", "dario")

    record = item_record(queue, item.id, actor="dario")
    v0, v1 = record.revisions
    assert (v0.author, v0.model.provider, v0.model.model, v0.model.prompt_version) == \
        ("model", "fake", draft.model, draft.prompt_version)
    assert v0.text == GOOD and v0.model.test_model is True and v0.person is None
    assert (v0.model.asked_by.name, v0.model.asked_by.user_id) == ("Ada", ada)  # whoever asked is an author
    assert [(s.id, s.kind, s.snippet) for s in v0.sources] == [(s.id, s.kind, s.snippet) for s in draft.sources]
    assert (v1.author, v1.model, v1.person.name, v1.person.user_id, v1.person.username) == \
        ("person", None, "Cris", cris, "cris")
    assert v1.text == EDITED
    responsible = record.editorially_responsible
    assert (responsible.person.name, responsible.person.user_id, responsible.revision) == ("Bea", bea, 1)
    approve = next(a for a in record.actions if a.action == "approve")
    assert responsible.approved_at == approve.at and record.approvals[0].approver == approve.person
    from assistant.review.metrics import edit_metrics

    expected = edit_metrics(GOOD, EDITED)
    kept = record.ai_text_kept
    assert (kept.basis, kept.revision, kept.kept_words, kept.words_v0, kept.edit_distance) == \
        ("approval", 1, expected.kept_words, expected.words_v0, expected.edit_distance)
    assert kept.kept_share == pytest.approx(expected.kept_share)
    assert record.ai_generated is (expected.kept_share >= 0.5) and record.ai_generated_threshold == 0.5
    assert [(a.action, a.person.user_id) for a in record.actions][:4] == \
        [("create", ada), ("submit", ada), ("edit", cris), ("approve", bea)]
    assert all(a.at.tzinfo is not None for a in record.actions)
    assert record.item.brand_name == "Bottega Pasubio" and record.timezone == "Europe/Rome"
    assert (record.generated_by.username, record.generated_by.user_id) == ("dario", dario)


def test_a_refinement_names_the_draft_it_rewrote_and_the_instruction(desk):
    from assistant.drafting.schemas import DraftRequest

    _, queue, drafter = desk
    [first] = drafter.draft(DraftRequest(brand="bottega-pasubio", platforms=["instagram"],
                                         brief="Laboratorio di maglia sabato in bottega"))
    refined = drafter.refine(first, "più breve")
    item = queue.add_draft(refined, by="ada", submit=True)
    model = item_record(queue, item.id, actor="bea").revisions[0].model
    assert (model.refinement_of, model.instruction, model.provider) == (first.id, "più breve", "fake")
    assert item_record(queue, item.id, actor="bea").editorially_responsible is None  # not approved yet


# --- on both databases ----------------------------------------------------------------------------

def test_an_item_not_approved_yet_has_no_responsible_person(queue):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    record = item_record(queue, item.id, actor="bea")
    assert record.editorially_responsible is None and record.approvals == []
    assert (record.ai_text_kept.basis, record.ai_text_kept.kept_share) == ("current", 1.0)
    assert record.ai_generated is True  # the AI's text, untouched so far


def test_a_client_approval_after_the_internal_one_keeps_the_internal_approver_responsible(queue, clock):
    links = ShareLinks(queue.people, SECRET, clock=queue.clock)
    item = queue.add_draft(make_draft(brand="client-brand"), by="Ada", submit=True)
    clock.advance(60)
    queue.approve(item.id, by="Bea")
    waiting = item_record(queue, item.id, actor="cris")
    assert waiting.state == "client_review" and waiting.editorially_responsible is None  # not approved yet
    made = links.create("client-brand", [item.id], to="Anna Neri <anna@cliente.it>", by=queue.people.actor("bea"))
    clock.advance(3600)
    queue.client_approve(item.id, by=links.open(made.token), note="Perfetto")
    record = item_record(queue, item.id, actor="cris")
    [bea] = ids(queue, "bea")
    held = record.editorially_responsible
    assert (held.person.kind, held.person.name, held.person.user_id) == ("user", "Bea", bea)
    assert held.final_approval_at > held.approved_at
    [approval] = record.approvals
    assert (approval.client.kind, approval.client.name, approval.client.email, approval.client.share_id) == \
        ("client_link", "Anna Neri", "anna@cliente.it", made.share.id)
    client_event = record.actions[-1]
    assert client_event.action == "client_approve" and client_event.by_client and client_event.note == "Perfetto"
    assert not any(a.by_client for a in record.actions[:-1])


def test_a_client_account_is_never_the_responsible_person(queue, clock):
    """A client with an account approves last; the internal approver still holds responsibility."""
    root = queue.people.actor("root")
    queue.people.add("carla", name="Carla Cliente", email="carla@cliente.it", grants=[("client", "client-brand")],
                     by=root)
    links = ShareLinks(queue.people, SECRET, clock=queue.clock)
    item = queue.add_draft(make_draft(brand="client-brand"), by="Ada", submit=True)
    queue.approve(item.id, by="Dario")
    links.create("client-brand", [item.id], to="Carla <carla@cliente.it>", by=queue.people.actor("dario"))
    queue.client_approve(item.id, by="carla")
    record = item_record(queue, item.id, actor="bea")
    assert record.editorially_responsible.person.username == "dario"
    assert record.approvals[0].client.username == "carla" and record.actions[-1].by_client


STABLE = ("revisions", "actions", "comments", "approvals")  # append-only: every entry stays as it was


def test_an_approved_record_only_grows_after_edits_a_reopening_and_a_new_approval(queue, clock):
    item_id = approved_item(queue, clock)
    before = json.loads(render_json(item_record(queue, item_id, actor="bea")))
    assert before["editorially_responsible"]["person"]["username"] == "bea"

    clock.advance(3600)
    queue.reopen(item_id, by="Bea", note="Il cliente vuole l'orario")
    reopened = json.loads(render_json(item_record(queue, item_id, actor="bea")))
    assert reopened["editorially_responsible"] is None and reopened["state"] == "in_review"
    clock.advance(60)
    item = queue.get(item_id)
    queue.edit(item_id, "Oggi dalle 18 apriamo la bottega a Schio con una grande festa!", by="Cris",
               base_version=item.version)
    queue.comment(item_id, "Aggiunto l'orario", by="Cris")
    clock.advance(60)
    queue.approve(item_id, by="Dario")
    queue.archive(item_id, by="Ada", note="campagna chiusa")  # archiving keeps the record
    after = json.loads(render_json(item_record(queue, item_id, actor="bea")))

    assert after["item"] == before["item"] and after["ai_generated_threshold"] == before["ai_generated_threshold"]
    for key in STABLE:
        assert after[key][:len(before[key])] == before[key], key  # every existing entry unchanged
        assert len(after[key]) > len(before[key]), key  # later work only added entries
        assert reopened[key] == after[key][:len(reopened[key])], key
    assert after["archived"] is True and after["actions"][-1]["action"] == "archive"
    assert [a["approver"]["username"] for a in after["approvals"]] == ["bea", "dario"]
    assert after["editorially_responsible"]["person"]["username"] == "dario"
    assert after["editorially_responsible"]["revision"] == 2
    assert after["approvals"][0]["kept"] == before["ai_text_kept"]  # what the first approval kept, as it was


def test_the_database_refuses_to_change_or_delete_the_record(queue, clock):
    item_id = approved_item(queue, clock)
    before = item_record(queue, item_id, actor="bea").model_dump(exclude={"generated_at"})
    for statement in ("UPDATE review_revisions SET text = 'riscritto' WHERE number = 0",
                      "DELETE FROM review_revisions WHERE number = 1",
                      "UPDATE review_audit SET actor = 'Qualcun altro'",
                      "DELETE FROM review_audit",
                      "UPDATE review_comments SET text = 'cancellato'",
                      "DELETE FROM review_comments"):
        with pytest.raises(DBAPIError, match="append-only"), queue.engine.begin() as conn:
            conn.execute(text(statement))
    assert item_record(queue, item_id, actor="bea").model_dump(exclude={"generated_at"}) == before


def test_downgrading_the_guard_and_upgrading_again(db_url):
    from alembic import command

    from assistant.db.engine import alembic_config

    q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=fake_policy))
    item = q.add_draft(make_draft(), by="Ada")
    command.downgrade(alembic_config(url=db_url), "0006_desk")
    with q.engine.begin() as conn:  # without the guard (what 0003 needed): a rewrite goes through
        conn.execute(text("UPDATE review_audit SET note = 'riscritto' WHERE item_id = :i"), {"i": item.id})
    command.upgrade(alembic_config(url=db_url), "head")
    with pytest.raises(DBAPIError, match="append-only"), q.engine.begin() as conn:
        conn.execute(text("UPDATE review_audit SET note = 'ancora' WHERE item_id = :i"), {"i": item.id})
    assert q.get(item.id).audit[0].note == "riscritto"
    q.close()


def test_a_brand_and_period_selects_items_created_or_approved_in_it(db_url):
    clock = Clock(datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc))
    policy = SimpleNamespace(four_eyes=False, client_stage=False, name="Lana & Co", timezone="Europe/Rome",
                             ai_generated_threshold=0.9)
    q = add_people(ReviewQueue(db_url, validator=fake_validator, brand_policy=lambda slug: policy, clock=clock))
    try:
        early = q.add_draft(make_draft("Creato a inizio marzo"), by="Ada", submit=True)  # 1 March
        clock.now = datetime(2026, 3, 9, 23, 30, tzinfo=timezone.utc)  # 10 March, 00:30 in Rome
        inside = q.add_draft(make_draft("Creato il 10 marzo, ora di Roma"), by="Ada", submit=True)
        q.add_draft(make_draft("Un altro brand", brand="paese"), by="Ada", submit=True)
        clock.now = datetime(2026, 3, 12, 10, 0, tzinfo=timezone.utc)
        q.approve(early.id, by="Bea")  # created before, approved inside the period
        q.archive(inside.id, by="Ada")  # archived items keep their record
        clock.now = datetime(2026, 3, 20, 23, 30, tzinfo=timezone.utc)  # 21 March in Rome: after
        late = q.add_draft(make_draft("Creato dopo"), by="Ada", submit=True)
        chosen = brand_records(q, "lana", date(2026, 3, 10), date(2026, 3, 20), actor="cris")
        assert [r.item.id for r in chosen.items] == [early.id, inside.id]
        assert late.id not in [r.item.id for r in chosen.items]
        assert (chosen.brand_name, chosen.timezone, chosen.start, chosen.end) == \
            ("Lana & Co", "Europe/Rome", date(2026, 3, 10), date(2026, 3, 20))
        assert chosen.items[1].archived is True
        first = chosen.items[0]
        assert first.ai_generated_threshold == 0.9 and first.ai_generated is True  # nothing edited: 100% kept
        assert first.editorially_responsible.person.username == "bea"
        assert [r.item.id for r in brand_records(q, "lana", date(2026, 3, 1), date(2026, 3, 9), actor="cris").items] \
            == [early.id]  # 9 March ends at midnight in Rome: the 23:30 UTC item is the 10th's
        with pytest.raises(InvalidRequest, match="before it starts") as err:
            brand_records(q, "lana", date(2026, 3, 20), date(2026, 3, 10), actor="cris")
        assert err.value.code == "record_period"
    finally:
        q.close()


def test_only_people_who_may_view_the_brand_read_its_records(queue):
    root = queue.people.actor("root")
    queue.people.add("vera", name="Vera", grants=[("viewer", "lana")], by=root)
    queue.people.add("otto", name="Otto", grants=[("editor", "paese")], by=root)
    queue.people.add("carla", name="Carla", email="carla@cliente.it", grants=[("client", "lana")], by=root)
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    ShareLinks(queue.people, SECRET).create("lana", [item.id], to="Carla <carla@cliente.it>", by=root)
    assert item_record(queue, item.id, actor="vera").item.id == item.id  # a viewer reads it
    for who in ("otto", "carla"):  # another brand's editor; a client, even of this very item
        with pytest.raises(PermissionDenied):
            item_record(queue, item.id, actor=who)
        with pytest.raises(PermissionDenied):
            brand_records(queue, "lana", date(2026, 1, 1), date(2026, 12, 31), actor=who)


def test_the_ai_generated_rule():
    assert ai_generated(0.5, 0.5) is True and ai_generated(0.8, 0.5) is True
    assert ai_generated(0.49, 0.5) is False and ai_generated(None, 0.5) is False
    assert ai_generated(0.3, 0.25) is True
