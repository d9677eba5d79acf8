"""Media attached to review items: order, reorder, detach, alt text (human and proposals), the
item's version and audit log, roles, and the brand of the media."""

from __future__ import annotations

import pytest

from assistant.accounts.permissions import PermissionDenied
from assistant.errors import IllegalTransition
from assistant.media import Attachments, MediaError, MediaLibrary
from tests.factories import make_draft
from tests.media.helpers import png


@pytest.fixture
def setup(sqlite_queue, tmp_path):
    library = MediaLibrary(sqlite_queue, tmp_path / "home")
    media = [library.add("lana", png(color=(i, i, i)), by="Ada", name=f"IMG_00{i}_festa-in-bottega.png")
             for i in range(3)]
    item = sqlite_queue.add_draft(make_draft(), by="Ada", submit=True)
    return sqlite_queue, Attachments(sqlite_queue, library), [m.id for m in media], item


def test_attach_in_order_with_alt_and_proposals(setup):
    queue, att, ids, item = setup
    done = att.attach(item.id, ids[:2], by="Bea", alt_texts=["Un maglione rosso sul banco"])
    assert [(a.media_id, a.position) for a in done] == [(ids[0], 0), (ids[1], 1)]
    assert (done[0].alt_text, done[0].alt_source) == ("Un maglione rosso sul banco", "human")
    # no alt given: a proposal in the item's language, from the file name and the brief
    assert done[1].alt_source == "proposal" and done[1].alt_text == "Immagine: festa in bottega. Festa in bottega"
    assert done[0].path.is_file() and done[0].mime == "image/png" and done[0].thumbnail_path.is_file()
    view = queue.get(item.id)
    assert view.version == item.version + 1  # the item changed: a decision on the old version is stale
    assert view.audit[-1].action == "media_attach" and view.audit[-1].data == {"media": ids[:2]}
    assert view.audit[-1].actor == "Bea"
    from assistant.brands import BrandProfile

    pa = BrandProfile(slug="lana", name="Lana", language="it", voice="Chiara.", style_rules=["pa-it"])
    assert [(v.code, v.params["n"]) for v in att.check(item.id, "mastodon", pa)] == [("alt_unconfirmed", 2)]
    confirmed = att.confirm_alt(item.id, ids[1], by="Cris")
    assert confirmed.alt_source == "human" and confirmed.alt_text == done[1].alt_text and confirmed.updated_by == "Cris"
    assert att.check(item.id, "mastodon", pa) == []


def test_reorder_and_detach(setup):
    queue, att, ids, item = setup
    att.attach(item.id, ids, by="Ada")
    assert [a.media_id for a in att.reorder(item.id, [ids[2], ids[0], ids[1]], by="Ada")] == [ids[2], ids[0], ids[1]]
    with pytest.raises(MediaError) as refused:
        att.reorder(item.id, [ids[0], ids[1]], by="Ada")
    assert refused.value.code == "media_order"
    left = att.detach(item.id, ids[0], by="Ada")
    assert [(a.media_id, a.position) for a in left] == [(ids[2], 0), (ids[1], 1)]
    assert [a.media_id for a in att.list(item.id)] == [ids[2], ids[1]]
    with pytest.raises(MediaError) as refused:
        att.detach(item.id, ids[0], by="Ada")
    assert refused.value.code == "media_not_attached"
    updated = att.set_alt(item.id, ids[1], "  Il banco della bottega  ", by="Bea")
    assert (updated.alt_text, updated.alt_source) == ("Il banco della bottega", "human")
    assert att.set_alt(item.id, ids[1], "", by="Bea").alt_source is None
    actions = [a.action for a in queue.get(item.id).audit]
    assert actions[-4:] == ["media_reorder", "media_detach", "media_alt", "media_alt"]


def test_refusals(setup):
    queue, att, ids, item = setup
    att.attach(item.id, [ids[0]], by="Ada")
    for args, code in (([ids[0]], "media_already_attached"), ([999], "media_unknown"), ([], "media_none_given"),
                       ([ids[1], ids[1]], "media_twice")):
        with pytest.raises(MediaError) as refused:
            att.attach(item.id, args, by="Ada")
        assert refused.value.code == code
    with pytest.raises(MediaError) as refused:
        att.attach(4242, [ids[1]], by="Ada")
    assert refused.value.code == "media_item_unknown" and "4242" in refused.value.localised("it")
    other = att.library.add("paycairn", png(color=(77, 0, 0)), by="Ada", name="p.png")
    with pytest.raises(MediaError) as refused:
        att.attach(item.id, [other.id], by="Ada")
    assert refused.value.code == "media_wrong_brand" and "paycairn" in refused.value.localised("en")
    assert [a.media_id for a in att.list(item.id)] == [ids[0]]  # nothing of the refused calls stayed


def test_roles_and_states(setup):
    queue, att, ids, item = setup
    root = queue.people.actor("root")
    queue.people.add("vera", name="Vera Viewer", grants=[("viewer", "lana")], by=root)
    queue.people.add("otto", name="Otto Other", grants=[("editor", "paycairn")], by=root)
    for who in ("vera", "otto"):
        with pytest.raises(PermissionDenied):
            att.attach(item.id, [ids[0]], by=who)
    with pytest.raises(PermissionDenied):
        att.list(item.id, actor="otto")
    assert att.list(item.id, actor="vera") == []
    att.attach(item.id, [ids[0]], by="Ada")
    approved = queue.approve(item.id, by="Bea")
    with pytest.raises(IllegalTransition):  # approved: what was approved is what gets published
        att.attach(item.id, [ids[1]], by="Ada")
    with pytest.raises(IllegalTransition):
        att.set_alt(item.id, ids[0], "altro", by="Ada")
    assert queue.get(item.id).version == approved.version


def test_stale_base_version_is_refused(setup):
    from assistant.review import EditConflict

    queue, att, ids, item = setup
    att.attach(item.id, [ids[0]], by="Ada", base_version=item.version)
    with pytest.raises(EditConflict):
        att.attach(item.id, [ids[1]], by="Ada", base_version=item.version)


def test_media_errors_block_an_approval_like_the_text_s(setup):
    """A pa-it brand requires alt text: an image attached without it (or with a proposal nobody
    confirmed) blocks the approval, checked inside the approval's own transaction; once a person
    writes it, the same approval goes through. The override still works, and is recorded."""
    from assistant.brands import BrandProfile
    from assistant.review.commands import ApprovalBlocked

    queue, att, ids, item = setup
    profile = BrandProfile(slug="lana", name="Lana", language="it", voice="Chiaro.", style_rules=["pa-it"])
    queue.checks = lambda s, item_id, *, platform, brand: att.check_in(s, item_id, platform, profile)
    att.attach(item.id, [ids[0]], by="Ada")
    att.set_alt(item.id, ids[0], "Proposta della macchina", by="Ada", proposal=True)
    with pytest.raises(ApprovalBlocked) as blocked:
        queue.approve(item.id, by="Bea")
    assert [v.code for v in blocked.value.violations] == ["alt_unconfirmed"]
    assert queue.get(item.id).state == "in_review"
    att.set_alt(item.id, ids[0], "Tre gomitoli di lana grezza su un banco di legno", by="Ada")
    assert queue.approve(item.id, by="Bea").state == "approved"

    other = queue.add_draft(make_draft(), by="Ada", submit=True)
    att.attach(other.id, [ids[1]], by="Ada")  # its alt text: a proposal from the file's name
    att.set_alt(other.id, ids[1], None, by="Ada")
    with pytest.raises(ApprovalBlocked) as blocked:
        queue.approve(other.id, by="Bea")
    assert [v.code for v in blocked.value.violations] == ["alt_missing"]
    att.attach(other.id, [ids[2]], by="Ada")
    with pytest.raises(ApprovalBlocked):
        queue.approve(other.id, by="Bea")
    done = queue.approve(other.id, by="Bea", override_reason="immagine decorativa, concordato col cliente")
    assert done.state == "approved"
    event = [e for e in queue.get(other.id).audit if e.action == "approve"][-1]
    assert event.data["override"] and [v["code"] for v in event.data["violations"]] == ["alt_missing", "alt_unconfirmed"]
