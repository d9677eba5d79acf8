"""Media on desk cards: chosen in order with the alt text typed on the card, kept in the system of
record (a fresh store reads them back), refused when they are not the brand's, unknown, given
twice, too many, someone else's card or a card already sent; sending the card attaches them to the
review item exactly once, also when sending is retried after a failure halfway."""

from __future__ import annotations

import pytest

from assistant.desk import Desk, DeskNotFound, DraftMedia
from assistant.desk.schemas import MAX_MEDIA
from assistant.desk.sending import send_to_review
from assistant.errors import InvalidRequest
from assistant.media import MediaError, preview
from assistant.platforms.media import check_media
from assistant.services import Services
from tests.factories import add_people, make_draft
from tests.media.helpers import png

BRAND = "bottega-pasubio"


@pytest.fixture
def svc(services):
    add_people(services.review, ["Ada", "Bea"], role="editor")
    return services


def card_of(svc: Services, username: str = "ada", *, platform: str = "mastodon") -> int:
    """A finished card on `username`'s desk (written as the job runner writes one)."""
    who = svc.people.actor(username)
    session = svc.desk.open(who, BRAND)
    turn = svc.desk.start_turn(who, session, kind="brief", text="Festa in bottega", request={}, owner="test")
    row = svc.desk.writer_begin(turn, platform, 1)
    svc.desk.writer_finish(row, make_draft("Sabato festa in bottega a Schio", brand=BRAND, platform=platform))
    svc.desk.writer_end(turn, "done")
    return row


def files(svc: Services, n: int, brand: str = BRAND, **kw) -> list[int]:
    return [svc.media.add(brand, png(color=(i, 2 * i, 90)), by="Ada", name=f"IMG_{i}_lana-cotta.png", **kw).id
            for i in range(n)]


def test_media_are_kept_in_order_with_their_alt_and_read_back_by_a_fresh_store(svc):
    ada = svc.people.actor("ada")
    row = card_of(svc)
    ids = files(svc, 3)
    chosen = [DraftMedia(media_id=ids[2], alt="  Un gomitolo rosso  "), DraftMedia(media_id=ids[0])]
    assert svc.desk.set_media(ada, row, chosen) == [DraftMedia(media_id=ids[2], alt="Un gomitolo rosso"),
                                                    DraftMedia(media_id=ids[0], alt=None)]
    other = Services(svc.settings, embedder=svc.embedder)  # another process on the same database
    card = other.desk.card(other.people.actor("ada"), row)
    assert [(m.media_id, m.alt) for m in card.media] == [(ids[2], "Un gomitolo rosso"), (ids[0], None)]
    session = other.desk.get(other.people.actor("ada"), other.desk.latest(other.people.actor("ada"), BRAND))
    assert session.turns[0].drafts[0].media == card.media
    svc.desk.set_media(ada, row, [])
    assert svc.desk.card(ada, row).media == []


def test_refusals_change_nothing(svc):
    ada, bea = svc.people.actor("ada"), svc.people.actor("bea")
    row = card_of(svc)
    ids = files(svc, 2)
    svc.desk.set_media(ada, row, [DraftMedia(media_id=ids[0])])
    theirs = svc.media.add("paycairn", png(color=(1, 250, 1)), by="Ada", name="p.png").id
    cases = [([DraftMedia(media_id=theirs)], "desk_media_wrong_brand"),
             ([DraftMedia(media_id=4242)], "media_unknown"),
             ([DraftMedia(media_id=ids[1]), DraftMedia(media_id=ids[1])], "media_twice"),
             ([DraftMedia(media_id=ids[0], alt="x" * 5001)], "media_alt_huge")]
    for items, code in cases:
        with pytest.raises(MediaError) as refused:
            svc.desk.set_media(ada, row, items)
        assert refused.value.code == code, items
    with pytest.raises(MediaError) as refused:
        svc.desk.set_media(ada, row, [DraftMedia(media_id=i) for i in range(1, MAX_MEDIA + 2)])
    assert refused.value.code == "desk_media_too_many" and "21" in refused.value.localised("it")
    with pytest.raises(DeskNotFound):  # someone else's card, like an edit
        svc.desk.set_media(bea, row, [DraftMedia(media_id=ids[1])])
    assert [m.media_id for m in svc.desk.card(ada, row).media] == [ids[0]]
    send_to_review(svc.review, svc.attachments, svc.desk, ada, svc.desk.card(ada, row), "Sabato festa")
    with pytest.raises(MediaError) as refused:  # sent: its item has its own media now
        svc.desk.set_media(ada, row, [DraftMedia(media_id=ids[1])])
    assert refused.value.code == "desk_media_sent"
    assert [m.media_id for m in svc.desk.card(ada, row).media] == [ids[0]]
    other = card_of(svc)
    svc.desk.discard(ada, other)
    with pytest.raises(MediaError) as refused:  # a discarded card takes nothing
        svc.desk.set_media(ada, other, [DraftMedia(media_id=ids[1])])
    assert refused.value.code == "desk_media_closed" and "scartata" in refused.value.localised("it")
    who = svc.people.actor("ada")
    turn = svc.desk.start_turn(who, svc.desk.latest(who, BRAND), kind="brief", text="Ancora", request={}, owner="t")
    streaming = svc.desk.writer_begin(turn, "mastodon", 1)
    with pytest.raises(MediaError) as refused:  # nor does one still being written
        svc.desk.set_media(ada, streaming, [DraftMedia(media_id=ids[1])])
    assert refused.value.code == "desk_media_closed"


def test_a_desk_without_a_library_says_so(svc):
    desk = Desk(svc.review)
    with pytest.raises(InvalidRequest, match="media library"):
        desk.set_media(svc.people.actor("ada"), card_of(svc), [DraftMedia(media_id=1)])


def test_sending_attaches_in_order_with_the_cards_alt_texts_and_a_second_send_changes_nothing(svc):
    ada = svc.people.actor("ada")
    row = card_of(svc)
    ids = files(svc, 3)
    uploaded = svc.media.add(BRAND, png(color=(9, 9, 9)), by="Ada", name="banco.png", alt="Il banco della bottega").id
    svc.desk.set_media(ada, row, [DraftMedia(media_id=ids[1], alt="Due gomitoli"), DraftMedia(media_id=uploaded),
                                  DraftMedia(media_id=ids[0])])
    item = send_to_review(svc.review, svc.attachments, svc.desk, ada, svc.desk.card(ada, row), "Sabato festa")
    attached = svc.attachments.list(item.id)
    assert [(a.media_id, a.position, a.alt_text, a.alt_source) for a in attached] == [
        (ids[1], 0, "Due gomitoli", "human"), (uploaded, 1, "Il banco della bottega", "human"),
        (ids[0], 2, "Immagine: lana cotta. Festa in bottega", "proposal")]
    card = svc.desk.card(ada, row)
    assert card.sent_item_id == item.id and svc.review.get(item.id).text == "Sabato festa"
    again = send_to_review(svc.review, svc.attachments, svc.desk, ada, card, "Sabato festa")  # a retry
    assert again.id == item.id and svc.attachments.list(item.id) == attached
    assert [e.action for e in svc.review.get(item.id).audit].count("media_attach") == 1
    svc.attachments.detach(item.id, ids[0], by=ada)  # taken off in review: sending the card again keeps it off
    send_to_review(svc.review, svc.attachments, svc.desk, ada, card, "Sabato festa")
    assert [a.media_id for a in svc.attachments.list(item.id)] == [ids[1], uploaded]


def test_a_send_that_failed_after_the_item_was_made_is_retried_and_attaches_once(svc, monkeypatch):
    ada = svc.people.actor("ada")
    row = card_of(svc)
    ids = files(svc, 2)
    svc.desk.set_media(ada, row, [DraftMedia(media_id=ids[0], alt="Primo"), DraftMedia(media_id=ids[1])])
    real, calls = svc.attachments.attach, []

    def attach_failing_once(*args, **kw):
        calls.append(args)
        if len(calls) == 1:
            raise MediaError("the database went away", code="test_failure")
        return real(*args, **kw)

    monkeypatch.setattr(svc.attachments, "attach", attach_failing_once)
    with pytest.raises(MediaError):
        send_to_review(svc.review, svc.attachments, svc.desk, ada, svc.desk.card(ada, row), "Sabato festa")
    card = svc.desk.card(ada, row)
    assert card.sent_item_id is None  # not marked sent: the card can be sent again
    [item] = svc.review.list().items
    assert svc.attachments.list(item.id) == []
    sent = send_to_review(svc.review, svc.attachments, svc.desk, ada, card, "Sabato festa")
    assert sent.id == item.id and svc.review.list().total == 1
    assert [(a.media_id, a.alt_text) for a in svc.attachments.list(item.id)] == [
        (ids[0], "Primo"), (ids[1], "Immagine: lana cotta. Festa in bottega")]
    assert svc.desk.card(ada, row).sent_item_id == item.id


def test_a_crash_after_attaching_but_before_marking_sent_never_attaches_twice(svc, monkeypatch):
    ada = svc.people.actor("ada")
    row = card_of(svc)
    ids = files(svc, 2)
    svc.desk.set_media(ada, row, [DraftMedia(media_id=ids[1]), DraftMedia(media_id=ids[0])])
    real = svc.desk.mark_sent
    monkeypatch.setattr(svc.desk, "mark_sent", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        send_to_review(svc.review, svc.attachments, svc.desk, ada, svc.desk.card(ada, row), "Sabato festa")
    monkeypatch.setattr(svc.desk, "mark_sent", real)
    item = send_to_review(svc.review, svc.attachments, svc.desk, ada, svc.desk.card(ada, row), "Sabato festa")
    assert [a.media_id for a in svc.attachments.list(item.id)] == [ids[1], ids[0]]
    assert svc.desk.card(ada, row).sent_item_id == item.id


def test_the_cards_media_are_checked_like_an_items(svc):
    """What the card shows: the platform's media rules and the brand's alt-text rule, on the files
    as they would be attached (the same alt texts `attach` gives them)."""
    ids = files(svc, 2)
    library = [svc.media.get(i) for i in ids]
    planned = preview(library, ["Un gomitolo", None], brief="Festa in bottega", language="it")
    assert [(p.media_id, p.position, p.alt_source) for p in planned] == [(ids[0], 0, "human"), (ids[1], 1, "proposal")]
    assert [(v.code, v.params["n"]) for v in check_media("mastodon", planned)] == [("alt_unconfirmed", 2)]
    assert [v.code for v in check_media("instagram", [])] == ["media_required"]
