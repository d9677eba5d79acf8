"""The Bluesky publisher against the reference PDS (`@atproto/dev-env`'s TestNetworkNoAppView: the real
PDS and PLC code from npm, on loopback; see tests/utils/atproto_pds.py). Failures the PDS will not make
on cue (503, 429, an answer lost after the record was made) come from `FaultProxy`, a loopback proxy in
front of it. Records are read back with plain HTTP (`com.atproto.repo.listRecords`), not the SDK."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from PIL import Image

from assistant.errors import InvalidRequest
from assistant.publishing.bluesky import BlueskyPublisher, facets, record_key, service_url
from assistant.publishing.posts import MediaFile, PostRequest, PublishError
from tests.utils.fault_proxy import FaultProxy

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def records(pds) -> dict[str, dict]:
    """Every post record of the test account, by record key."""
    answer = httpx.get(f"{pds.url}/xrpc/com.atproto.repo.listRecords",
                       params={"repo": pds.did, "collection": "app.bsky.feed.post", "limit": 100}, timeout=10)
    answer.raise_for_status()
    return {r["uri"].rsplit("/", 1)[1]: r for r in answer.json()["records"]}


def key() -> str:
    return f"outbox-{uuid.uuid4()}"


@pytest.fixture()
def publisher(atproto_pds):
    return BlueskyPublisher(atproto_pds.handle, atproto_pds.app_password, service=atproto_pds.url, timeout=10)


@pytest.fixture()
def proxied(atproto_pds):
    with FaultProxy(atproto_pds.url) as proxy:
        yield proxy, BlueskyPublisher(atproto_pds.handle, atproto_pds.app_password, service=proxy.url, timeout=10)


def test_identity(publisher, atproto_pds):
    me = publisher.identity()
    assert me.handle == atproto_pds.handle == "copydesk.test"
    assert me.url == "https://bsky.app/profile/copydesk.test"


def test_publish_text_with_language_and_link_facets_in_bytes(publisher, atproto_pds):
    text = "Perché? Leggi 👉 https://example.com/guida. #Copydesk"
    post = PostRequest(text=text, key=key(), language="it")
    done = publisher.publish(post)
    rkey = record_key(post.key)
    assert done.remote_id == f"at://{atproto_pds.did}/app.bsky.feed.post/{rkey}"
    assert done.url == f"https://bsky.app/profile/copydesk.test/post/{rkey}"
    stored = records(atproto_pds)[rkey]["value"]
    assert stored["text"] == text and stored["langs"] == ["it"]
    link, tag = stored["facets"]
    raw = text.encode()
    assert raw[link["index"]["byteStart"]:link["index"]["byteEnd"]] == b"https://example.com/guida"
    assert link["features"][0]["uri"] == "https://example.com/guida"  # the full stop is not the link's
    assert raw[tag["index"]["byteStart"]:tag["index"]["byteEnd"]] == "#Copydesk".encode()
    assert done.published_at.isoformat().startswith(stored["createdAt"][:19])


def test_publish_two_images_with_alt_text_and_aspect_ratio(publisher, atproto_pds, tmp_path):
    Image.new("RGB", (64, 48), "red").save(tmp_path / "rosso.png")
    Image.new("RGB", (30, 60), "blue").save(tmp_path / "blu.jpg")
    media = (MediaFile(tmp_path / "rosso.png", "image/png", alt="Un quadrato rosso", width=64, height=48),
             MediaFile(tmp_path / "blu.jpg", "image/jpeg", alt="A blue rectangle"))
    post = PostRequest(text="Due immagini", key=key(), media=media)
    publisher.publish(post)
    embed = records(atproto_pds)[record_key(post.key)]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    first, second = embed["images"]
    assert (first["alt"], second["alt"]) == ("Un quadrato rosso", "A blue rectangle")
    assert (first["aspectRatio"]["width"], first["aspectRatio"]["height"]) == (64, 48)
    assert "aspectRatio" not in second  # size unknown: left out
    assert first["image"]["mimeType"] == "image/png" and second["image"]["mimeType"] == "image/jpeg"
    blob = httpx.get(f"{atproto_pds.url}/xrpc/com.atproto.sync.getBlob",
                     params={"did": atproto_pds.did, "cid": first["image"]["ref"]["$link"]}, timeout=10)
    assert blob.status_code == 200 and blob.content == (tmp_path / "rosso.png").read_bytes()


def test_the_same_key_twice_makes_one_record(publisher, atproto_pds):
    post = PostRequest(text="Una volta sola", key=key())
    assert publisher.publish(post) == publisher.publish(post)
    assert sum(1 for rkey in records(atproto_pds) if rkey == record_key(post.key)) == 1


def test_a_retry_after_a_crash_finds_the_post_instead_of_posting_again(atproto_pds):
    post = PostRequest(text="Prima del crash", key=key())
    before = len(records(atproto_pds))
    # the first worker published, then died before storing the answer ...
    BlueskyPublisher(atproto_pds.handle, atproto_pds.app_password, service=atproto_pds.url).publish(post)
    # ... a new worker (new process, new session) retries the same outbox row
    again = BlueskyPublisher(atproto_pds.handle, atproto_pds.app_password, service=atproto_pds.url).publish(post)
    assert again.remote_id.endswith(record_key(post.key))
    assert len(records(atproto_pds)) == before + 1


def test_an_answer_lost_after_the_record_was_made_returns_the_record(proxied, atproto_pds):
    proxy, publisher = proxied
    post = PostRequest(text="Risposta persa", key=key())
    proxy.drop("com.atproto.repo.createRecord")
    done = publisher.publish(post)  # createRecord acted, its answer was lost: the record is read back
    assert done.remote_id.endswith(record_key(post.key))
    assert proxy.requests("com.atproto.repo.createRecord") == 1 and proxy.requests("com.atproto.repo.getRecord") == 2
    assert record_key(post.key) in records(atproto_pds)


def test_503_once_is_transient_then_the_retry_succeeds(proxied, atproto_pds):
    proxy, publisher = proxied
    post = PostRequest(text="Riprova", key=key())
    proxy.answer("com.atproto.repo.createRecord", 503, {"error": "ServiceUnavailable", "message": "try later"})
    with pytest.raises(PublishError) as caught:
        publisher.publish(post)
    assert caught.value.transient and caught.value.status == 503
    assert record_key(post.key) not in records(atproto_pds)
    publisher.publish(post)
    assert record_key(post.key) in records(atproto_pds)


def test_429_is_transient_with_retry_after(proxied):
    proxy, publisher = proxied
    proxy.answer("com.atproto.repo.createRecord", 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                 {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "retry-after": "42"})
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="x", key=key()))
    assert caught.value.transient and caught.value.status == 429 and caught.value.retry_after == 42


def test_a_wrong_app_password_is_permanent_and_not_in_the_message(atproto_pds, caplog):
    wrong = BlueskyPublisher(atproto_pds.handle, "abcd-efgh-ijkl-mnop", service=atproto_pds.url)
    with pytest.raises(PublishError) as caught:
        wrong.publish(PostRequest(text="x", key=key()))
    error = caught.value
    assert not error.transient and error.status == 401 and error.code == "publish_reconnect"
    assert "reconnect" in error.reason and "abcd-efgh-ijkl-mnop" not in error.reason
    assert "abcd-efgh-ijkl-mnop" not in caplog.text


def test_an_expired_session_signs_in_again_once(proxied, atproto_pds):
    proxy, publisher = proxied
    publisher.identity()
    proxy.answer("com.atproto.repo.createRecord", 400, {"error": "ExpiredToken", "message": "Token has expired"})
    post = PostRequest(text="Dopo la scadenza", key=key())
    publisher.publish(post)
    assert proxy.requests("com.atproto.server.createSession") == 2
    assert record_key(post.key) in records(atproto_pds)


def test_text_the_pds_refuses_is_permanent_with_its_message(publisher):
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="a" * 301, key=key()))
    assert not caught.value.transient and caught.value.status == 400
    assert "maximum 300" in caught.value.reason


def test_video_is_not_supported_yet(publisher, tmp_path, atproto_pds):
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    post = PostRequest(text="Un video", key=key(), media=(MediaFile(tmp_path / "clip.mp4", "video/mp4"),))
    with pytest.raises(PublishError) as caught:
        publisher.publish(post)
    assert not caught.value.transient and caught.value.code == "bluesky_video_unsupported"
    assert record_key(post.key) not in records(atproto_pds)


def test_counts_need_an_appview_and_say_so(publisher):
    """The reference network here has no AppView (TestNetwork needs PostgreSQL and Redis): the PDS
    answers 502 for app.bsky.feed.getPosts, a transient error, never invented zeros."""
    done = publisher.publish(PostRequest(text="Contami", key=key()))
    with pytest.raises(PublishError) as caught:
        publisher.counts([done.remote_id])
    assert caught.value.transient and caught.value.status == 502


def test_counts_read_the_appview_answer(proxied):
    proxy, publisher = proxied
    done = publisher.publish(PostRequest(text="Contami davvero", key=key()))
    view = {"uri": done.remote_id, "cid": "bafyreig22ghq6iednuv3zowytuny4xfnt2aswfmjudpy2r2qyc3jrgbpay",
            "author": {"did": "did:plc:abc", "handle": "copydesk.test"}, "record": {},
            "indexedAt": "2026-12-02T00:00:00.000Z", "likeCount": 7, "repostCount": 3, "replyCount": 2}
    proxy.answer("app.bsky.feed.getPosts", 200, {"posts": [view]})  # what an AppView answers (lexicon shape)
    counts = publisher.counts([done.remote_id, "at://did:plc:abc/app.bsky.feed.post/3l72trr5w4q5v"])
    assert list(counts) == [done.remote_id]
    assert (counts[done.remote_id].likes, counts[done.remote_id].reposts, counts[done.remote_id].replies) == (7, 3, 2)


def test_record_keys_are_deterministic_tids():
    one, two = record_key("outbox-1"), record_key("outbox-2")
    assert TID.match(one) and TID.match(two) and one != two
    assert record_key("outbox-1") == one
    assert record_key("3l72trr5w4q5v") == "3l72trr5w4q5v"  # already a TID: kept


def test_facets_count_utf8_bytes():
    [link] = facets("😀 è https://a.it/x")
    assert link["index"] == {"byteStart": len("😀 è ".encode()), "byteEnd": len("😀 è https://a.it/x".encode())}


@pytest.mark.parametrize("url", ["http://bsky.social", "bsky.social", "ftp://x"])
def test_the_service_must_be_https_unless_on_loopback(url):
    with pytest.raises(InvalidRequest):
        service_url(url)
    assert service_url(None) == "https://bsky.social" and service_url("http://127.0.0.1:2583/") == "http://127.0.0.1:2583"
