"""Publishing to Bluesky (any atproto PDS) through the `atproto` SDK: sign in with a handle and an app
password, publish one post (images with alt text, links and hashtags as facets) exactly once, read
back likes, reposts and replies.

Exactly once: the record key (rkey) of the post is derived from `PostRequest.key` (`record_key`), so
every retry of the same outbox row names the same record. Before creating it, and again when creating
fails, the publisher reads that record (`com.atproto.repo.getRecord`): if it exists, the earlier
attempt worked (perhaps before a crash that lost the answer) and it is returned as the `Published`
result. A PDS answers a second `createRecord` on an existing key with an error (500 on the reference
PDS), never with a second post.

Counts come from `app.bsky.feed.getPosts`, which the PDS forwards to the Bluesky AppView. A PDS
without an AppView (the reference test network `TestNetworkNoAppView`) answers 502 "Upstream service
unreachable": `counts` raises a transient `PublishError` then, and never makes up zeros.

Not supported yet: video (app.bsky.embed.video needs the separate video service: a permanent
PublishError says so), mentions as facets (they need each handle resolved to a DID).
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx
from atproto import Client
from atproto_client.exceptions import (BadRequestError, LoginRequiredError, NetworkError, RateLimitExceededError,
                                       RequestErrorBase, UnauthorizedError)
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from assistant.errors import InvalidRequest
from assistant.publishing.posts import Counts, Identity, MediaFile, PostRequest, Published, PublishError, server_url

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "https://bsky.social"
POST = "app.bsky.feed.post"
MAX_IMAGES = 4  # app.bsky.embed.images
# The SDK turns httpx timeouts and network errors into its own; others (a connection closed before an
# answer: httpx.RemoteProtocolError) come through as httpx.TransportError, handled the same way.
AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthRequired", "AuthenticationRequired",
                         "AccountTakedown", "AccountDeactivated"})
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
RKEY_EPOCH_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
LINK = re.compile(r"https?://[^\s<>\"]+")
TAG = re.compile(r"(?:^|(?<=\s))#([^\s#.,;:!?()\[\]{}\"'<>]{1,64})")


def record_key(key: str) -> str:
    """The post's record key, derived from the outbox key: the key itself when it already is a TID
    (13 base32-sortable characters), else a TID made from the first 8 bytes of
    sha256("copydesk:bluesky:rkey:" + key): its low 10 bits are the TID's clock id, the next 45 bits
    the microseconds after 2024-01-01 (a timestamp within about 407 days of that date; a TID's time
    orders records in listings, nothing else). Same key, same record key, on every retry."""
    if TID.match(key):
        return key
    digest = int.from_bytes(hashlib.sha256(f"copydesk:bluesky:rkey:{key}".encode()).digest()[:8], "big")
    micros = RKEY_EPOCH_US + ((digest >> 10) % (1 << 45))
    value = (micros << 10) | (digest & 0x3FF)
    return "".join(TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def service_url(url: str | None) -> str:
    """The PDS address, normalised; https only, except a server on this machine's loopback."""
    return server_url(url or DEFAULT_SERVICE, network="Bluesky service", example="https://bsky.social",
                      code="publish_service_url")


def facets(text: str) -> list[dict]:
    """Links and hashtags of `text` as richtext facets, with byte offsets into its UTF-8 encoding."""
    found = []
    for match in LINK.finditer(text):
        link = match.group(0).rstrip(".,;:!?)]}'\"")
        found.append((match.start(), match.start() + len(link),
                      {"$type": "app.bsky.richtext.facet#link", "uri": link}))
    for match in TAG.finditer(text):
        if not any(start <= match.start() < end for start, end, _ in found):
            found.append((match.start(), match.end(), {"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}))
    return [{"index": {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())},
             "features": [feature]} for start, end, feature in sorted(found, key=lambda f: f[0])]


class BlueskyPublisher:
    """One connected Bluesky account: `handle` and an app password (Settings > Privacy and security >
    App passwords), on `service` (default https://bsky.social). Signs in on first use and keeps the
    session (the SDK refreshes it); `session_string` / `export_session()` let a caller keep it across
    processes (createSession is rate-limited by bsky.social)."""

    network = "bluesky"

    def __init__(self, handle: str, app_password: str, *, service: str | None = None, timeout: float = 30.0,
                 session_string: str | None = None) -> None:
        if not handle or not handle.strip() or not app_password or not app_password.strip():
            raise InvalidRequest("the Bluesky handle or app password is empty: write the handle "
                                 "(name.bsky.social) and an app password made in Bluesky's settings",
                                 code="publish_bluesky_credentials")
        self.handle = handle.strip().lstrip("@")
        self.service = service_url(service)
        self._secret = app_password.strip()
        self._session_string = session_string
        self._client = Client(self.service, request=Request(timeout=httpx.Timeout(timeout)))
        self._client.on_session_change(self._remember)
        self._signed_in = False
        self._did = self._session_handle = ""

    def _remember(self, _event: object, session: Any) -> None:
        self._did, self._session_handle = session.did, session.handle

    def identity(self) -> Identity:
        session = self._call(lambda: self._client.com.atproto.server.get_session())
        display = ""
        try:
            display = self._client.app.bsky.actor.get_profile({"actor": session.did}).display_name or ""
        except (AtProtocolError, httpx.TransportError):  # a PDS without an AppView has no profiles
            pass
        return Identity(handle=session.handle, display_name=display,
                        url=f"https://bsky.app/profile/{session.handle}")

    def export_session(self) -> str | None:
        """The SDK's session string (tokens: a secret, keep it encrypted), once signed in."""
        return self._client.export_session_string() if self._signed_in else None

    def publish(self, post: PostRequest) -> Published:
        rkey = record_key(post.key)
        existing = self._existing(rkey, post)
        if existing:
            return existing
        record = {"$type": POST, "text": post.text, "createdAt": _now()}
        if post.language:
            record["langs"] = [post.language]
        if found := facets(post.text):
            record["facets"] = found
        if post.media:
            record["embed"] = self._images(post.media)
        data = {"repo": self._did, "collection": POST, "rkey": rkey, "record": record}
        try:
            created = self._call(lambda: self._client.com.atproto.repo.create_record(data))
        except PublishError as failed:
            try:  # made by this very call before its answer failed, or by an earlier attempt meanwhile?
                existing = self._existing(rkey, post)
            except PublishError:
                raise failed from None
            if existing:
                return existing
            raise
        log.info("bluesky: published %s", created.uri)
        return Published(remote_id=created.uri, url=self._web_url(rkey), published_at=_utc(record["createdAt"]))

    def counts(self, remote_ids: list[str]) -> dict[str, Counts]:
        """Likes, reposts and replies from the AppView (through the PDS), 25 posts per request. A post
        the AppView does not know (deleted) is left out of the answer."""
        found: dict[str, Counts] = {}
        for start in range(0, len(remote_ids), 25):
            batch = remote_ids[start:start + 25]
            answer = self._call(lambda: self._client.app.bsky.feed.get_posts({"uris": batch}))
            for view in answer.posts:
                found[view.uri] = Counts(likes=view.like_count or 0, reposts=view.repost_count or 0,
                                         replies=view.reply_count or 0)
        return found

    def _existing(self, rkey: str, post: PostRequest) -> Published | None:
        self._sign_in()
        try:
            record = self._call(lambda: self._client.com.atproto.repo.get_record(
                {"repo": self._did, "collection": POST, "rkey": rkey}), quiet=True)
        except PublishError as exc:
            if exc.status == 404 or (exc.status == 400 and "RecordNotFound" in exc.reason):
                return None
            raise
        if record.value.text != post.text:
            raise PublishError(f"the record key {rkey} already holds a different post: publish this one with "
                               "a new key", transient=False, code="publish_key_taken", key=rkey)
        log.info("bluesky: %s was already published (a retry)", record.uri)
        return Published(remote_id=record.uri, url=self._web_url(rkey), published_at=_utc(record.value.created_at))

    def _images(self, media: tuple[MediaFile, ...]) -> dict:
        if any(not item.mime.startswith("image/") for item in media):
            raise PublishError("video to Bluesky is not supported yet: publish the video from the Bluesky app, "
                               "or attach images", transient=False, code="bluesky_video_unsupported")
        if len(media) > MAX_IMAGES:
            raise PublishError(f"Bluesky takes at most {MAX_IMAGES} images per post: remove "
                               f"{len(media) - MAX_IMAGES}", transient=False, code="bluesky_too_many_images",
                               max=MAX_IMAGES, extra=len(media) - MAX_IMAGES)
        images = []
        for item in media:
            try:
                data = item.path.read_bytes()
            except OSError as exc:
                raise PublishError(f"the media file {item.path.name} cannot be read ({exc.strerror}): attach it "
                                   "again", transient=False, code="publish_media_unreadable") from None
            blob = self._call(lambda: self._client.com.atproto.repo.upload_blob(
                data, headers={"Content-Type": item.mime})).blob
            image = {"image": blob, "alt": item.alt or ""}
            if item.width and item.height:
                image["aspectRatio"] = {"width": item.width, "height": item.height}
            images.append(image)
        return {"$type": "app.bsky.embed.images", "images": images}

    def _web_url(self, rkey: str) -> str:
        return f"https://bsky.app/profile/{self._session_handle or self.handle}/post/{rkey}"

    def _sign_in(self, again: bool = False) -> None:
        if self._signed_in and not again:
            return
        try:
            if self._session_string and not again:
                self._client.login(session_string=self._session_string, fetch_bsky_profile=False)
            else:
                self._client.login(self.handle, self._secret, fetch_bsky_profile=False)
        except (AtProtocolError, httpx.TransportError, ValueError) as exc:
            raise self._error(exc) from None
        self._signed_in = True

    def _call(self, request: Callable[[], Any], quiet: bool = False) -> Any:
        """One SDK call, signed in; an expired or revoked session is renewed once with the app password.
        `quiet`: the caller expects some errors (a record not found) and logs nothing for them."""
        self._sign_in()
        try:
            return request()
        except (AtProtocolError, httpx.TransportError) as exc:
            error = self._error(exc)
        if error.code == "publish_reconnect":  # the session expired or was revoked: sign in again, once
            self._session_string = None
            self._sign_in(again=True)
            try:
                return request()
            except (AtProtocolError, httpx.TransportError) as exc:
                error = self._error(exc)
        if not quiet:
            log.warning("bluesky: %s (transient=%s, status=%s)", error.reason, error.transient, error.status)
        raise error

    def _error(self, exc: BaseException) -> PublishError:
        status, name, message = _details(exc)
        where = urlsplit(self.service).netloc
        said = self._clean(f"{name}: {message}" if message else name or str(exc))
        if isinstance(exc, (UnauthorizedError, LoginRequiredError)) or name in AUTH_ERRORS:
            return PublishError(f"{where} refused the sign-in of {self.handle} ({said}): reconnect the account "
                                "with a new app password", transient=False, status=status,
                                code="publish_reconnect", network="Bluesky", host=where)
        if isinstance(exc, RateLimitExceededError):
            wait = exc.retry_after
            if wait is None and exc.reset_at is not None:
                wait = max(0.0, (exc.reset_at - datetime.now(timezone.utc)).total_seconds())
            return PublishError(f"{where} asks to slow down (rate limit): try again later", transient=True,
                                status=429, retry_after=wait, code="publish_rate_limited", network="Bluesky")
        if isinstance(exc, httpx.TransportError) or (isinstance(exc, NetworkError) and status is None):
            return PublishError(f"{where} could not be reached or did not answer in time: try again later",
                                transient=True, code="publish_unreachable", network="Bluesky", host=where)
        if status == 413 or (isinstance(exc, BadRequestError) and "BlobTooLarge" in (name or "")):
            return PublishError(said, transient=False, status=status)
        if status is not None and (status >= 500 or status in (408, 409)):
            return PublishError(f"{where} failed ({status} {said}): try again later", transient=True,
                                status=status, code="publish_server_error", network="Bluesky", host=where,
                                http=status)
        return PublishError(said, transient=False, status=status)  # 400 validation and the rest

    def _clean(self, text: str) -> str:
        return text.replace(self._secret, "[app password]")


def _details(exc: BaseException) -> tuple[int | None, str, str]:
    """HTTP status, XRPC error name and message of an SDK error (None, "", "" before any answer)."""
    response = exc.response if isinstance(exc, RequestErrorBase) else None
    if response is None:
        return None, "", ""
    content = response.content
    name = getattr(content, "error", None) or ""
    message = getattr(content, "message", None) or ""
    return response.status_code, str(name), str(message)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
