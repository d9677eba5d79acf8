"""Sessions stored server-side (another process accepts the same cookie; expiry; sign-out ends it
everywhere; tampering and disabled users), and share links (valid, expired, revoked, tampered,
never wider than their items)."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest

from assistant.accounts import PermissionDenied
from assistant.accounts.sessions import Sessions
from assistant.accounts.shares import ShareInvalid, ShareLinks
from assistant.errors import InvalidRequest
from tests.factories import add_people, clock, db_url, make_draft, queue  # noqa: F401 (fixtures)

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def _resolve_elsewhere(url: str, cookie: str, out) -> None:
    from assistant.review import ReviewQueue

    q = ReviewQueue(url, migrate=False)
    actor = Sessions(q.people, SECRET).resolve(cookie)
    out.put(actor.username if actor else None)
    q.close()


def test_a_session_works_in_another_process_until_signed_out(queue):
    from assistant.db.engine import utcnow

    sessions = Sessions(queue.people, SECRET, clock=utcnow)  # the other process reads the real clock
    cookie = sessions.start(queue.people.actor("ada"), address="127.0.0.1")
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_resolve_elsewhere, args=(queue.url, cookie, out))
    proc.start()
    assert out.get(timeout=60) == "ada"
    proc.join(30)
    assert sessions.end(cookie, address="127.0.0.1") is True
    proc = ctx.Process(target=_resolve_elsewhere, args=(queue.url, cookie, out))
    proc.start()
    assert out.get(timeout=60) is None  # signed out: everywhere
    proc.join(30)
    assert [e.action for e in queue.people.events(user="ada")][0] == "signout"


def test_sessions_expire_reject_tampering_and_disabled_users(queue, clock):
    sessions = Sessions(queue.people, SECRET, hours=12)
    cookie = sessions.start(queue.people.actor("bea"))
    assert sessions.resolve(cookie).username == "bea"
    assert sessions.resolve(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) is None
    assert Sessions(queue.people, SECRET[::-1]).resolve(cookie) is None  # signed with another secret
    assert sessions.resolve(None) is None and sessions.resolve("") is None
    clock.advance(11.9 * 3600)
    assert sessions.resolve(cookie).username == "bea"
    clock.advance(0.2 * 3600)
    assert sessions.resolve(cookie) is None  # 12 hours: expired
    cookie = sessions.start(queue.people.actor("bea"))
    queue.people.set_active("bea", False, by=queue.people.actor("root"))
    assert sessions.resolve(cookie) is None


@pytest.fixture
def links(queue):
    return ShareLinks(queue.people, SECRET, clock=queue.clock)


def test_share_link_opens_only_its_items(queue, links):
    shared = queue.add_draft(make_draft("Per il cliente"), by="Ada", submit=True)
    other = queue.add_draft(make_draft("Non per il cliente"), by="Ada", submit=True)
    made = links.create("lana", [shared.id], to="Anna Neri <Anna@Cliente.it>", by=queue.people.actor("ada"))
    client = links.open(made.token)
    assert (client.kind, client.name, client.email, client.share_items) == ("link", "Anna Neri", "anna@cliente.it",
                                                                           frozenset({shared.id}))
    assert queue.get(shared.id, actor=client).text == "Per il cliente"
    with pytest.raises(PermissionDenied):
        queue.get(other.id, actor=client)
    with pytest.raises(PermissionDenied):
        queue.comment(other.id, "anche questo?", by=client)
    assert [i.id for i in queue.list_items(actor=client).items] == [shared.id]
    comment = queue.comment(shared.id, "Bello, ma il titolo?", by=client)
    assert comment.author == f"Anna Neri <anna@cliente.it> (client link #{made.share.id})" and comment.author_id is None
    event = queue.get(shared.id).audit[-1]
    assert event.data["share_id"] == made.share.id and event.data["client"]["name"] == "Anna Neri"
    # the token never widens: another brand's item, or one staff action, is refused
    with pytest.raises(PermissionDenied):
        queue.approve(shared.id, by=client)
    with pytest.raises(PermissionDenied):
        queue.edit(shared.id, "riscritto dal cliente", by=client, base_version=queue.get(shared.id).version)


def test_share_links_expire_are_revoked_and_refuse_tampering(queue, links, clock):
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    ada = queue.people.actor("ada")
    made = links.create("lana", [item.id], to="Anna <anna@cliente.it>", by=ada, expires=timedelta(days=1))
    assert links.open(made.token).share_id == made.share.id
    for bad in (made.token[:-3] + "xyz", made.token + "x", "", "not-a-token", made.token.replace(".", "-", 1)):
        with pytest.raises(ShareInvalid) as err:
            links.open(bad)
        assert err.value.reason in ("tampered", "unknown")
    forged = ShareLinks(queue.people, "another-secret-0123456789-0123456789").create(
        "lana", [item.id], to="Eve <eve@x.it>", by=ada)
    with pytest.raises(ShareInvalid, match="not valid"):
        links.open(forged.token)  # signed with a secret this server does not hold
    clock.advance(24 * 3600 + 1)
    with pytest.raises(ShareInvalid, match="expired") as err:
        links.open(made.token)
    assert err.value.reason == "expired"
    fresh = links.create("lana", [item.id], to="Anna <anna@cliente.it>", by=ada)
    links.revoke(fresh.share.id, by=ada)
    with pytest.raises(ShareInvalid, match="withdrawn"):
        links.open(fresh.token)
    assert links.list("lana", by=ada, item_id=item.id)[0].state(clock()) == "revoked"


def test_share_links_need_the_share_right_and_one_brand(queue, links):
    add_people(queue, ("Vera",), role="viewer")
    item = queue.add_draft(make_draft(), by="Ada", submit=True)
    elsewhere = queue.add_draft(make_draft("altro brand", brand="paese"), by="Ada", submit=True)
    with pytest.raises(PermissionDenied):
        links.create("lana", [item.id], to="Anna <anna@x.it>", by=queue.people.actor("vera"))
    with pytest.raises(InvalidRequest, match="not of brand lana"):
        links.create("lana", [item.id, elsewhere.id], to="Anna <anna@x.it>", by=queue.people.actor("ada"))
    with pytest.raises(InvalidRequest, match="no review item 999"):
        links.create("lana", [999], to="Anna <anna@x.it>", by=queue.people.actor("ada"))
    with pytest.raises(InvalidRequest, match="to:"):
        links.create("lana", [item.id], to="  ", by=queue.people.actor("ada"))
    with pytest.raises(InvalidRequest, match="e-mail"):
        links.create("lana", [item.id], to="Anna <non-una-email>", by=queue.people.actor("ada"))


def test_client_stage_needs_both_approvals_and_the_client_can_send_it_back(queue, links):
    item = queue.add_draft(make_draft(brand="client-brand"), by="Ada", submit=True)
    internal = queue.approve(item.id, by="Bea")
    assert internal.state == "client_review" and queue.get(item.id).approved_at is None
    client = links.open(links.create("client-brand", [item.id], to="Anna <anna@c.it>", by=queue.people.actor("bea")).token)
    back = queue.client_request_changes(item.id, by=client, note="Manca il prezzo")
    assert back.state == "changes_requested"
    assert queue.get(item.id).audit[-1].note == "Manca il prezzo"
    queue.edit(item.id, "Con il prezzo: 20 euro", by="Ada", base_version=back.version)
    queue.submit(item.id, by="Ada")
    queue.approve(item.id, by="Bea")
    done = queue.client_approve(item.id, by=client)
    assert done.state == "approved" and done.approved_at is not None
    actions = [(e.action, e.to_state) for e in queue.get(item.id).audit]
    assert ("client_approve", "approved") in actions and actions.count(("approve", "client_review")) == 2
