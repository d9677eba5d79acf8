"""The whole permission matrix against the library (not the UI): each role x each action x a brand
the user holds the role on, and one they do not. Expected outcomes are written out here, apart
from the implementation's table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from assistant.accounts import PermissionDenied
from assistant.accounts.shares import ShareLinks
from assistant.knowledge.embeddings import HashingEmbedder
from tests.factories import add_people, future_moment, make_draft, sqlite_queue  # noqa: F401 (fixture)

STAFF_WRITE = {"admin", "approver", "editor"}
DECIDE = {"admin", "approver"}
READ = {"admin", "approver", "editor", "viewer"}
EXPECTED = {
    "view": READ | {"client"},  # the client: the item shared with them
    "list": READ | {"client"},
    "draft": STAFF_WRITE, "edit": STAFF_WRITE, "submit": STAFF_WRITE, "comment": STAFF_WRITE | {"client"},
    "schedule": STAFF_WRITE, "publish": STAFF_WRITE, "assign": STAFF_WRITE, "archive": STAFF_WRITE,
    "approve": DECIDE, "reject": DECIDE, "request_changes": DECIDE, "reopen": DECIDE, "override": DECIDE,
    "client_approve": {"client"}, "client_request_changes": {"client"},
    "share": STAFF_WRITE, "costs": READ, "metrics": READ,
}
WHEN = future_moment()  # ahead of the real clock the module's queue runs on (no schedule in the past)
OWN, CLIENT_OWN, OTHER = "lana", "client-brand", "paese"  # client-brand: approval [internal, client]


def bring(q, state: str, brand: str, text: str = "Oggi apriamo la bottega") -> int:
    item = q.add_draft(make_draft(text, brand=brand), by="Bea", submit=state != "draft")
    if state in ("approved", "scheduled", "client_review"):
        q.approve(item.id, by="Cris")
    if state == "scheduled":
        q.schedule(item.id, WHEN, by="Cris")
    return item.id


def version(q, item_id: int) -> int:
    return q.get(item_id).version


# action -> (state the item must be in, the brand kind it needs, the call)
CALLS = {
    "view": ("in_review", OWN, lambda q, a, i: q.get(i, actor=a)),
    "list": ("in_review", OWN, lambda q, a, i: _listed(q, a, i)),
    "draft": ("in_review", OWN, lambda q, a, i: q.add_draft(make_draft("Un altro", brand=q.get(i).brand), by=a)),
    "edit": ("in_review", OWN, lambda q, a, i: q.edit(i, "Testo nuovo", by=a, base_version=version(q, i))),
    "submit": ("draft", OWN, lambda q, a, i: q.submit(i, by=a)),
    "comment": ("in_review", OWN, lambda q, a, i: q.comment(i, "Bello", by=a)),
    "schedule": ("approved", OWN, lambda q, a, i: q.schedule(i, WHEN, by=a)),
    "publish": ("scheduled", OWN, lambda q, a, i: q.mark_published(i, by=a, url="https://ig.example/p/1")),
    "assign": ("in_review", OWN, lambda q, a, i: q.assign(i, "Dario", by=a)),
    "archive": ("in_review", OWN, lambda q, a, i: q.archive(i, by=a)),
    "approve": ("in_review", OWN, lambda q, a, i: q.approve(i, by=a)),
    "reject": ("in_review", OWN, lambda q, a, i: q.reject(i, by=a, note="no")),
    "request_changes": ("in_review", OWN, lambda q, a, i: q.request_changes(i, by=a, note="più breve")),
    "reopen": ("approved", OWN, lambda q, a, i: q.reopen(i, by=a, note="di nuovo")),
    "override": ("in_review", OWN, None),  # set up below: an item that breaks a rule
    "client_approve": ("client_review", CLIENT_OWN, lambda q, a, i: q.client_approve(i, by=a)),
    "client_request_changes": ("client_review", CLIENT_OWN,
                               lambda q, a, i: q.client_request_changes(i, by=a, note="Cambiate il titolo")),
    "share": ("in_review", OWN, lambda q, a, i: q.links.create(q.get(i).brand, [i], to="Anna <anna@x.it>", by=a)),
    "costs": ("in_review", OWN, lambda q, a, i: _costs(q, a, i)),
    "metrics": ("in_review", OWN, lambda q, a, i: _metrics(q, a, i)),
}


def _listed(q, actor, item_id):
    if item_id not in {x.id for x in q.list_items(actor=actor, per_page=200).items}:
        raise PermissionDenied("not listed")


def _costs(q, actor, item_id):
    view = q.get(item_id, actor=actor)
    if view.revisions[0].cost_usd is None or item_id not in {f.id for f in q.facts(actor=actor)}:
        raise PermissionDenied("no costs")


def _metrics(q, actor, item_id):
    brand = q.get(item_id).brand
    if q.metrics(brand=brand, actor=actor).overall.items == 0:
        raise PermissionDenied("no metrics")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from assistant.review import ReviewQueue
    from tests.factories import Clock, fake_policy, fake_validator

    q = add_people(ReviewQueue(f"sqlite:///{tmp_path_factory.mktemp('perm')}/p.db", validator=fake_validator,
                               brand_policy=fake_policy, clock=Clock(datetime.now(timezone.utc))))
    q.links = ShareLinks(q.people, "s" * 40, clock=q.clock)
    root = q.people.actor("root")
    for role in ("admin", "approver", "editor", "client", "viewer"):
        q.people.add(f"u-{role}", name=f"User {role}", email=f"{role}@example.com",
                     grants=[(role, OWN), (role, CLIENT_OWN)], by=root)
    yield q
    q.close()


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ["admin", "approver", "editor", "client", "viewer"])
def test_permission_matrix(world, role, action, where):
    q = world
    state, brand, call = CALLS[action]
    if where == "other":
        brand = OTHER
    if action == "client_approve" or action == "client_request_changes":
        brand = CLIENT_OWN if where == "own" else "client-other"
    item_id = bring(q, state if brand in (CLIENT_OWN, "client-other") or state != "client_review" else "in_review",
                    brand, "Testo VIETATO" if action == "override" else "Oggi apriamo la bottega")
    if action == "override":
        call = lambda q, a, i: q.approve(i, by=a, override_reason="lo chiede il cliente")  # noqa: E731
    # whatever the role, the item is shared with this user's e-mail: a link never widens a role
    q.links.create(brand, [item_id], to=f"Client <{role}@example.com>", by=q.people.actor("root"))
    actor = q.people.actor(f"u-{role}")
    before = len(q.get(item_id).audit)
    allowed = role in EXPECTED[action] and where == "own"
    if allowed:
        call(q, actor, item_id)
    else:
        with pytest.raises(PermissionDenied):
            call(q, actor, item_id)
        assert len(q.get(item_id).audit) == before  # nothing written


def test_a_client_sees_only_what_was_shared_with_them(world):
    q = world
    shared = bring(q, "in_review", OWN, "Per il cliente")
    hidden = bring(q, "in_review", OWN, "Solo per noi")
    q.links.create(OWN, [shared], to="Client <client@example.com>", by=q.people.actor("root"))
    client = q.people.actor("u-client")
    listed = {x.id for x in q.list_items(actor=client, per_page=200).items}
    assert shared in listed and hidden not in listed
    with pytest.raises(PermissionDenied):
        q.get(hidden, actor=client)
    view = q.get(shared, actor=client)
    assert view.revisions[0].cost_usd is None and view.revisions[0].sources is None  # no costs, no sources
    assert set(view.allowed_actions) <= {"comment", "client_approve", "client_request_changes"}


def test_staff_cannot_act_as_the_client(world):
    q = world
    item_id = bring(q, "client_review", CLIENT_OWN)
    for staff in ("u-admin", "u-approver", "Bea"):
        with pytest.raises(PermissionDenied):
            q.client_approve(item_id, by=staff)
    assert q.get(item_id).state == "client_review"


def test_ingest_needs_library_rights(tmp_path):
    from assistant.knowledge.ingestion import KnowledgeBase
    from assistant.knowledge.record import KnowledgeRecordStore
    from assistant.knowledge.vectorstore import VectorStore
    from assistant.review import ReviewQueue
    from assistant.settings import load_settings

    settings = load_settings(home=tmp_path, embedding="fake")
    q = add_people(ReviewQueue(settings.db_url, settings=settings))
    root = q.people.actor("root")
    q.people.add("vera", name="Vera Viewer", grants=[("viewer", OWN)], by=root)
    q.people.add("edo", name="Edo Editor", grants=[("editor", OWN)], by=root)
    embedder = HashingEmbedder()
    kb = KnowledgeBase(VectorStore(settings, embedder), embedder, KnowledgeRecordStore(q))
    csv = "text,platform\nNuovi gomitoli in bottega,instagram\n".encode()
    with pytest.raises(PermissionDenied):
        kb.ingest_bytes(OWN, csv, "posts.csv", kind="post", by=q.people.actor("vera"))
    with pytest.raises(PermissionDenied):
        kb.ingest_bytes(OTHER, csv, "posts.csv", kind="post", by=q.people.actor("edo"))
    assert kb.ingest_bytes(OWN, csv, "posts.csv", kind="post", by=q.people.actor("edo")).added == 1
    from assistant.analytics import performance

    with pytest.raises(PermissionDenied):  # performance exports are library uploads too
        performance.import_bytes(object(), OWN, b"", "meta.csv", by=q.people.actor("vera"))
    q.close()


def test_drafting_needs_a_drafting_role(tmp_path):
    from assistant.drafting.schemas import DraftRequest
    from assistant.services import Services
    from assistant.settings import load_settings
    from tests.conftest import DEMO_BRANDS

    svc = Services(load_settings(home=tmp_path, brands_dir=DEMO_BRANDS, embedding="fake", provider="fake"))
    add_people(svc.review)
    root = svc.people.actor("root")
    svc.people.add("vera", name="Vera Viewer", grants=[("viewer", None)], by=root)
    request = DraftRequest(brand="bottega-pasubio", platforms=["x"], brief="Laboratorio sabato")
    with pytest.raises(PermissionDenied, match="vera may not draft"):
        list(svc.drafter(actor=svc.people.actor("vera")).stream(request))
    drafts = svc.drafter(actor=svc.people.actor("ada")).draft(request)
    assert drafts and drafts[0].brand == "bottega-pasubio"
    assert [b.slug for b in svc.brands(svc.people.actor("vera"))] == [b.slug for b in svc.brands()]
    svc.people.add("piera", name="Piera", grants=[("editor", "paycairn")], by=root)
    assert [b.slug for b in svc.brands(svc.people.actor("piera"))] == ["paycairn"]


def test_a_client_account_loses_the_item_when_its_link_expires(world):
    q = world
    root = q.people.actor("root")
    q.people.add("carla", name="Carla Cliente", email="carla@client.it", grants=[("client", OWN)], by=root)
    carla = q.people.actor("carla")
    item_id = bring(q, "in_review", OWN, "A tempo")
    assert item_id not in {x.id for x in q.list_items(actor=carla, per_page=200).items}
    q.links.create(OWN, [item_id], to="Carla <carla@client.it>", by=root, expires=timedelta(minutes=5))
    assert [x.id for x in q.list_items(actor=carla, per_page=200).items] == [item_id]
    assert q.get(item_id, actor=carla).id == item_id
    q.clock.advance(6 * 60)
    try:
        assert q.list_items(actor=carla, per_page=200).items == []
        with pytest.raises(PermissionDenied):
            q.get(item_id, actor=carla)
    finally:
        q.clock.advance(-6 * 60)
