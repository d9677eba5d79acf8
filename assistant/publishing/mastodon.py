"""Publishing to a Mastodon instance through Mastodon.py: who the token is, one post (media with alt
text first, then the status, idempotently), the public counts of published posts, the instance's limits.

Mastodon.py is built with a fixed baseline version (`BASELINE_VERSION`, so no request is made just to
learn the server's version and the v2 media endpoint is used), `ratelimit_method="throw"` (the outbox,
not this module, decides when to retry) and a request timeout. Every Mastodon.py error becomes a
`PublishError` saying whether a retry can help; the access token never appears in a reason or a log.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from mastodon import Mastodon
from mastodon.errors import (MastodonAPIError, MastodonError, MastodonIllegalArgumentError, MastodonIOError,
                             MastodonNetworkError, MastodonNotFoundError, MastodonRatelimitError,
                             MastodonServerError, MastodonUnauthorizedError, MastodonVersionError)

from assistant.errors import InvalidRequest
from assistant.publishing.posts import (Counts, Identity, Limits, MediaFile, PostRequest, Published, PublishError,
                                      server_url)

log = logging.getLogger(__name__)

BASELINE_VERSION = "4.0.0"  # Mastodon 4.0 (2022): v2 media and v2 instance; older instances are not supported


def instance_url(url: str) -> str:
    """The instance's base URL, normalised; https only, except a server on this machine's loopback."""
    return server_url(url, network="Mastodon instance", example="https://mastodon.example", code="publish_instance_url")


class MastodonPublisher:
    """One connected Mastodon account. `timeout`: seconds for each HTTP request; `media_timeout`: how
    long to wait, in all, for the instance to finish processing one uploaded file."""

    network = "mastodon"

    def __init__(self, instance: str, token: str, *, timeout: float = 30.0, media_timeout: float = 120.0,
                 poll_interval: float = 1.0) -> None:
        if not token or not token.strip():
            raise InvalidRequest("the Mastodon access token is empty: paste the token from the instance's "
                                 "Preferences > Development > your application", code="publish_token_missing")
        self.instance = instance_url(instance)
        self.media_timeout = media_timeout
        self.poll_interval = poll_interval
        self._secret = token.strip()
        self._api = Mastodon(api_base_url=self.instance, request_timeout=timeout, ratelimit_method="throw",
                             version_check_mode="created", mastodon_version=BASELINE_VERSION,
                             user_agent="Copydesk")
        self._api.access_token = self._secret  # set after construction: Mastodon.py would read a file path

    def identity(self) -> Identity:
        account = self._call(self._api.account_verify_credentials)
        acct = str(account["acct"])
        handle = f"@{acct}" if "@" in acct else f"@{acct}@{urlsplit(self.instance).netloc}"
        return Identity(handle=handle, display_name=str(account.get("display_name") or ""),
                        url=str(account.get("url") or ""))

    def publish(self, post: PostRequest) -> Published:
        """Uploads each file with its alt text, waits until the instance has processed it, then posts the
        status with `Idempotency-Key: post.key`: a retry with the same key returns the status already made
        (Mastodon keeps keys for an hour; the outbox retries well within it)."""
        media_ids = [self._upload(media) for media in post.media]
        status = self._call(self._api.status_post, post.text, media_ids=media_ids or None,
                            language=post.language, idempotency_key=post.key)
        log.info("mastodon: published status %s on %s", status["id"], self.instance)
        return Published(remote_id=str(status["id"]), url=str(status.get("url") or status.get("uri")),
                         published_at=_utc(status["created_at"]))

    def counts(self, remote_ids: list[str]) -> dict[str, Counts]:
        """Favourites, boosts and replies of each status. A status deleted meanwhile (404) is left out
        of the answer; any other failure raises."""
        found: dict[str, Counts] = {}
        for remote_id in remote_ids:
            try:
                status = self._call(self._api.status, remote_id)
            except PublishError as exc:
                if exc.status == 404:
                    continue
                raise
            found[remote_id] = Counts(likes=int(status.get("favourites_count") or 0),
                                      reposts=int(status.get("reblogs_count") or 0),
                                      replies=int(status.get("replies_count") or 0))
        return found

    def instance_limits(self) -> Limits:
        """`configuration.statuses.max_characters` and `max_media_attachments` from `/api/v2/instance`,
        and in `extra` the media limits the instance offers (alt-text length, file sizes)."""
        info = self._call(self._api.instance_v2)
        configuration = info.get("configuration") or {}
        statuses = configuration.get("statuses") or {}
        media = configuration.get("media_attachments") or {}
        extra = {name: int(value) for name, value in {
            "characters_reserved_per_url": statuses.get("characters_reserved_per_url"),
            "description_limit": media.get("description_limit"),
            "image_size_limit": media.get("image_size_limit"),
            "video_size_limit": media.get("video_size_limit"),
        }.items() if isinstance(value, int)}
        return Limits(max_characters=_int(statuses.get("max_characters")),
                      max_media=_int(statuses.get("max_media_attachments")), extra=extra)

    def _upload(self, media: MediaFile) -> str:
        try:
            data = media.path.read_bytes()
        except OSError as exc:
            raise PublishError(f"the media file {media.path.name} cannot be read ({exc.strerror}): attach it again",
                               transient=False, code="publish_media_unreadable") from None
        uploaded = self._call(self._api.media_post, data, mime_type=media.mime, description=media.alt or None,
                              file_name=media.path.name)
        deadline = time.monotonic() + self.media_timeout
        while uploaded.get("url") is None:  # 202: the instance processes it in the background
            if time.monotonic() >= deadline:
                raise PublishError(f"Mastodon is still processing {media.path.name} after {self.media_timeout:.0f} s: "
                                   "try again later", transient=True, code="publish_media_processing",
                                   file=media.path.name, seconds=round(self.media_timeout))
            time.sleep(self.poll_interval)
            uploaded = self._call(self._api.media, uploaded["id"])
        return str(uploaded["id"])

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except MastodonError as exc:
            error = self._error(exc)
            log.warning("mastodon: %s (transient=%s, status=%s)", error.reason, error.transient, error.status)
            raise error from None

    def _error(self, exc: MastodonError) -> PublishError:
        """The PublishError for one Mastodon.py error (see the module docstring for the rules)."""
        status, message = _status_and_message(exc)
        where = urlsplit(self.instance).netloc
        if isinstance(exc, MastodonUnauthorizedError) or status in (401, 403):
            return PublishError(self._clean(f"{where} refused the access token ({message or status}): reconnect "
                                            "the account with a new token"), transient=False, status=status,
                                code="publish_reconnect", network="Mastodon", host=where)
        if isinstance(exc, MastodonRatelimitError) or status == 429:
            reset = self._api.ratelimit_reset
            wait = max(0.0, float(reset) - time.time()) if reset else None
            return PublishError(f"{where} asks to slow down (rate limit): try again later", transient=True,
                                status=429, retry_after=wait, code="publish_rate_limited", network="Mastodon")
        if isinstance(exc, MastodonNetworkError):
            return PublishError(f"{where} could not be reached or did not answer in time: try again later",
                                transient=True, code="publish_unreachable", network="Mastodon", host=where)
        if isinstance(exc, MastodonServerError) or (status or 0) >= 500:
            return PublishError(self._clean(f"{where} failed ({status}{': ' + message if message else ''}): "
                                            "try again later"), transient=True, status=status,
                                code="publish_server_error", network="Mastodon", host=where, http=status)
        if isinstance(exc, (MastodonIOError, MastodonIllegalArgumentError)):
            return PublishError(self._clean(f"a media file could not be read or its type is unknown ({exc}): "
                                            "attach it again"), transient=False, code="publish_media_unreadable")
        if isinstance(exc, MastodonVersionError):
            return PublishError("the Mastodon instance is older than 4.0, which Copydesk needs", transient=False)
        if isinstance(exc, MastodonNotFoundError):
            return PublishError(self._clean(message or "not found"), transient=False, status=404)
        return PublishError(self._clean(message or str(exc)), transient=False, status=status)  # 422 and others

    def _clean(self, text: str) -> str:
        return text.replace(self._secret, "[token]")


def _status_and_message(exc: MastodonError) -> tuple[int | None, str]:
    """Mastodon.py's API errors carry ('Mastodon API returned error', code, reason, server message)."""
    args = exc.args
    status = args[1] if isinstance(exc, MastodonAPIError) and len(args) > 1 and isinstance(args[1], int) else None
    message = str(args[3]) if status is not None and len(args) > 3 and args[3] else ""
    return status, message


def _utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) else None
