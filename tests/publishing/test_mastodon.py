"""The Mastodon publisher against a real HTTP server on 127.0.0.1.

No Mastodon server installs from the package registries here, so the server is
`tests/utils/mastodon_server.py`: a stand-in written from Mastodon's API documentation
(docs.joinmastodon.org) that implements the endpoints the publisher uses (accounts, instance, media,
statuses with Idempotency-Key) and Mastodon's documented error shapes. Images are made with Pillow.
"""

from __future__ import annotations

import pytest
from PIL import Image

from assistant.errors import InvalidRequest
from assistant.publishing.mastodon import MastodonPublisher, instance_url
from assistant.publishing.posts import Counts, MediaFile, PostRequest, PublishError
from tests.utils.mastodon_server import MastodonProcess


@pytest.fixture()
def publisher(mastodon_server):
    return MastodonPublisher(mastodon_server.url, mastodon_server.token, timeout=5, poll_interval=0.05)


@pytest.fixture()
def images(tmp_path):
    paths = []
    for name, colour, size in (("rosso.png", "red", (64, 48)), ("blu.jpg", "blue", (30, 60))):
        Image.new("RGB", size, colour).save(tmp_path / name)
        paths.append(tmp_path / name)
    return [MediaFile(paths[0], "image/png", alt="Un quadrato rosso", width=64, height=48),
            MediaFile(paths[1], "image/jpeg", alt="A blue rectangle", width=30, height=60)]


def test_identity_names_the_account_on_its_instance(publisher, mastodon_server):
    me = publisher.identity()
    host = mastodon_server.url.split("//", 1)[1]
    assert me.handle == f"@copydesk@{host}"
    assert me.display_name == "Copydesk Test" and me.url.endswith("/@copydesk")


def test_publish_text(publisher, mastodon_server):
    done = publisher.publish(PostRequest(text="Ciao dal desk! https://example.com/a", key="k-text", language="it"))
    [status] = mastodon_server.statuses
    assert done.remote_id == status["id"] and done.url == status["url"]
    assert done.published_at.tzinfo is not None and done.published_at.utcoffset().total_seconds() == 0
    assert status["text"] == "Ciao dal desk! https://example.com/a" and status["language"] == "it"
    assert status["_idempotency_key"] == "k-text"


@pytest.mark.parametrize("polls", [0, 2], ids=["processed-at-once", "processed-later"])
def test_publish_two_images_with_alt_text(publisher, mastodon_server, images, polls):
    mastodon_server.async_media(polls)
    publisher.publish(PostRequest(text="Due immagini", key=f"k-img-{polls}", media=tuple(images)))
    [status] = mastodon_server.statuses
    assert [m["description"] for m in status["media_attachments"]] == ["Un quadrato rosso", "A blue rectangle"]
    assert status["media_attachments"][0]["meta"]["original"]["width"] == 64
    assert mastodon_server.requests("/api/v2/media") == 2
    # 202 then polling: each upload is read back until processed (2 polls each)
    assert mastodon_server.requests("/api/v1/media/") == 2 * polls


def test_media_still_processing_past_the_timeout_is_transient(mastodon_server, images):
    mastodon_server.async_media(10_000)
    slow = MastodonPublisher(mastodon_server.url, mastodon_server.token, media_timeout=0.3, poll_interval=0.05)
    with pytest.raises(PublishError) as caught:
        slow.publish(PostRequest(text="x", key="k-slow", media=(images[0],)))
    assert caught.value.transient and "still processing" in caught.value.reason
    assert mastodon_server.statuses == []


def test_the_same_key_twice_makes_one_status(publisher, mastodon_server):
    first = publisher.publish(PostRequest(text="Una volta sola", key="k-once"))
    second = publisher.publish(PostRequest(text="Una volta sola", key="k-once"))
    assert first == second
    assert len(mastodon_server.statuses) == 1 and mastodon_server.requests("/api/v1/statuses") == 2


def test_an_answer_lost_after_the_post_was_made_is_transient_and_the_retry_finds_it(publisher, mastodon_server):
    mastodon_server.drop("/api/v1/statuses")
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="Persa la risposta", key="k-drop"))
    assert caught.value.transient
    assert len(mastodon_server.statuses) == 1  # the instance did post it
    again = publisher.publish(PostRequest(text="Persa la risposta", key="k-drop"))
    assert again.remote_id == mastodon_server.statuses[0]["id"] and len(mastodon_server.statuses) == 1


def test_503_once_is_transient_then_the_retry_succeeds(publisher, mastodon_server):
    mastodon_server.fail("/api/v1/statuses", 503)
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="Riprova", key="k-503"))
    assert caught.value.transient and caught.value.status == 503 and mastodon_server.statuses == []
    publisher.publish(PostRequest(text="Riprova", key="k-503"))
    assert len(mastodon_server.statuses) == 1


def test_401_is_permanent_says_reconnect_and_never_shows_the_token(publisher, mastodon_server, caplog):
    mastodon_server.revoke()
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="x", key="k-401"))
    error = caught.value
    assert not error.transient and error.status == 401 and error.code == "publish_reconnect"
    assert "reconnect" in error.reason and "revoked" in error.reason
    assert mastodon_server.token not in error.reason and mastodon_server.token not in str(error)
    assert mastodon_server.token not in caplog.text


def test_a_wrong_token_is_permanent(mastodon_server):
    wrong = MastodonPublisher(mastodon_server.url, "not-the-token", timeout=5)
    with pytest.raises(PublishError) as caught:
        wrong.identity()
    assert not caught.value.transient and "invalid" in caught.value.reason


def test_422_is_permanent_with_the_servers_message(publisher, mastodon_server, images):
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="a" * 501, key="k-long"))
    assert not caught.value.transient and caught.value.status == 422
    assert caught.value.reason == "Validation failed: Text character limit of 500 exceeded"
    long_alt = MediaFile(images[0].path, "image/png", alt="d" * 1501)
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="x", key="k-alt", media=(long_alt,)))
    assert not caught.value.transient and "Description is too long" in caught.value.reason
    assert mastodon_server.statuses == []


def test_429_is_transient_with_retry_after(publisher, mastodon_server):
    mastodon_server.fail("/api/v1/statuses", 429, retry_after=30)
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="x", key="k-429"))
    assert caught.value.transient and caught.value.status == 429
    assert 25 <= caught.value.retry_after <= 32


def test_an_unreachable_instance_is_transient():
    from tests.utils.processes import free_port

    gone = MastodonPublisher(f"http://127.0.0.1:{free_port()}", "t", timeout=2)
    with pytest.raises(PublishError) as caught:
        gone.identity()
    assert caught.value.transient and caught.value.code == "publish_unreachable"


def test_counts_are_read_back(publisher, mastodon_server):
    done = publisher.publish(PostRequest(text="Contami", key="k-counts"))
    assert publisher.counts([done.remote_id]) == {done.remote_id: Counts(likes=0, reposts=0, replies=0)}
    mastodon_server.set_counts(done.remote_id, favourites=7, reblogs=3, replies=2)
    counts = publisher.counts([done.remote_id, "404404"])
    assert list(counts) == [done.remote_id]  # a deleted status is left out
    assert (counts[done.remote_id].likes, counts[done.remote_id].reposts, counts[done.remote_id].replies) == (7, 3, 2)


def test_instance_limits(publisher, mastodon_server):
    mastodon_server.set_limits(max_characters=1000, max_media=6)
    limits = publisher.instance_limits()
    assert (limits.max_characters, limits.max_media) == (1000, 6)
    assert limits.extra["description_limit"] == 1500 and limits.extra["characters_reserved_per_url"] == 23


@pytest.mark.parametrize("url", ["http://mastodon.social", "ftp://x", "mastodon.social", ""])
def test_the_instance_must_be_https_unless_on_loopback(url):
    with pytest.raises(InvalidRequest) as caught:
        MastodonPublisher(url, "t")
    assert "https://" in str(caught.value)


def test_loopback_may_use_http():
    assert instance_url("http://localhost:3000/") == "http://localhost:3000"
    assert instance_url("http://[::1]:8080") == "http://[::1]:8080"
    assert instance_url("https://mastodon.example/") == "https://mastodon.example"


def test_the_server_as_a_subprocess_shares_its_state(tmp_path):
    with MastodonProcess(state_file=tmp_path / "state.json") as server:
        one = MastodonPublisher(server.url, server.token, timeout=5)
        two = MastodonPublisher(server.url, server.token, timeout=5)
        assert one.publish(PostRequest(text="Da due", key="k-shared")) == two.publish(
            PostRequest(text="Da due", key="k-shared"))
        server.fail("/api/v1/statuses", 500)
        with pytest.raises(PublishError) as caught:
            one.publish(PostRequest(text="y", key="k-500"))
        assert caught.value.transient and caught.value.status == 500
        assert len(server.statuses) == 1 and server.requests("/api/v1/statuses") == 3
    assert '"k-shared"' in (tmp_path / "state.json").read_text()


def test_a_missing_media_file_is_permanent(publisher, mastodon_server, tmp_path):
    gone = MediaFile(tmp_path / "sparita.png", "image/png", alt="x")
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="x", key="k-gone", media=(gone,)))
    assert not caught.value.transient and caught.value.code == "publish_media_unreadable"
    assert mastodon_server.requests("/api/") == 0


def test_the_subprocess_server_keeps_its_state_across_a_kill(tmp_path):
    state = tmp_path / "state.json"
    with MastodonProcess(state_file=state) as server:
        first = MastodonPublisher(server.url, server.token, timeout=5).publish(PostRequest(text="Resto", key="k-kill"))
        token = server.token
        server.proc.kill()
    with MastodonProcess(state_file=state) as again:
        assert again.token == token
        retry = MastodonPublisher(again.url, again.token, timeout=5).publish(PostRequest(text="Resto", key="k-kill"))
        assert retry.remote_id == first.remote_id and len(again.statuses) == 1


def test_a_key_past_the_servers_window_posts_again(publisher, mastodon_server):
    """The stand-in keeps keys for `idempotency_window` seconds, as Mastodon keeps them an hour: the
    outbox must retry within that window (this pins the server's behaviour the outbox relies on)."""
    publisher.publish(PostRequest(text="Dopo un'ora", key="k-window"))
    mastodon_server.set_limits(idempotency_window=0)
    publisher.publish(PostRequest(text="Dopo un'ora", key="k-window"))
    assert len(mastodon_server.statuses) == 2


def test_a_connection_closed_before_the_post_is_transient_and_posts_nothing(publisher, mastodon_server):
    mastodon_server.drop("/api/v1/statuses", before=True)
    with pytest.raises(PublishError) as caught:
        publisher.publish(PostRequest(text="Mai arrivato", key="k-before"))
    assert caught.value.transient and mastodon_server.statuses == []
    publisher.publish(PostRequest(text="Mai arrivato", key="k-before"))
    assert len(mastodon_server.statuses) == 1
