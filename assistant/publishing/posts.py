"""What a publisher is given and what it gives back: the one contract between the outbox and each network.

A publisher (one module per network: `mastodon.py`, `bluesky.py`) is built from a connected account's
public settings and its decrypted secret, and does three things: say who it is signed in as, publish one
post idempotently, and read back the public counts of posts it published. It raises `PublishError`,
which says whether trying again later can help (`transient`) and carries the network's own reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from assistant.errors import InvalidRequest

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class MediaFile:
    """One attachment, in order: the file to upload (metadata already stripped), its type and alt text."""

    path: Path
    mime: str  # image/jpeg, image/png, image/webp, video/mp4
    alt: str | None = None
    width: int | None = None
    height: int | None = None


def media_file(attached: Any) -> MediaFile:
    """An attached file (`media.Attachment`) as a publisher takes it: its alt text only once a
    person wrote or confirmed it (a proposal no one confirmed is never published)."""
    return MediaFile(path=attached.path, mime=attached.mime,
                     alt=attached.alt_text if attached.alt_source == "human" else None,
                     width=attached.width, height=attached.height)


@dataclass(frozen=True)
class PostRequest:
    """One post to publish. `key` is chosen and stored before the first attempt and is the same on every
    retry of the same outbox row: Mastodon sends it as `Idempotency-Key`; Bluesky derives the record key
    from it, so a retry after a crash finds the post already made instead of making a second one."""

    text: str
    key: str
    media: tuple[MediaFile, ...] = ()
    language: str | None = None  # BCP 47, e.g. "it", "en"


@dataclass(frozen=True)
class Published:
    remote_id: str  # Mastodon status id; Bluesky at:// URI
    url: str  # the public web link (https)
    published_at: datetime  # timezone-aware UTC, as the network reports it


@dataclass(frozen=True)
class Counts:
    """Public reactions to one published post, as the network reports them now."""

    likes: int = 0  # Mastodon favourites, Bluesky likes
    reposts: int = 0  # Mastodon boosts (reblogs), Bluesky reposts
    replies: int = 0


@dataclass(frozen=True)
class Identity:
    """Who a connected account is signed in as (the "test connection" answer)."""

    handle: str  # @name@instance or handle.bsky.social
    display_name: str = ""
    url: str = ""


class PublishError(Exception):
    """A publish (or a connection test, or a counts read) that failed. `transient`: a later retry may
    succeed (429, 5xx, timeouts, connection refused); otherwise it is permanent (bad or revoked token,
    media rejected, text refused) and must not be retried. `reason` is the network's own message,
    never containing a secret. `retry_after`: seconds the network asked us to wait, when it said.
    `code` and `params` (optional, as on `AssistantError`): when the reason is Copydesk's own wording
    rather than the network's, the interface says it in the reader's language from `error.<code>`."""

    def __init__(self, reason: str, *, transient: bool, status: int | None = None,
                 retry_after: float | None = None, code: str | None = None, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
        self.code = code
        self.params = params


class Publisher(Protocol):
    network: str  # "mastodon" | "bluesky"

    def identity(self) -> Identity: ...

    def publish(self, post: PostRequest) -> Published: ...

    def counts(self, remote_ids: list[str]) -> dict[str, Counts]: ...


@dataclass(frozen=True)
class Limits:
    """What a connected account's server accepts, when it says (Mastodon's instance configuration)."""

    max_characters: int | None = None
    max_media: int | None = None
    extra: dict[str, int] = field(default_factory=dict)


def server_url(url: str, *, network: str, example: str, code: str) -> str:
    """A network server's base URL, normalised (`https://host[:port][/path]`, no trailing slash).
    Only https, except on this machine's loopback (a test server): a secret must never travel in
    clear text. `code`: the error code for an address that is not one at all (its message names
    `network` and shows `example`)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(f"'{url}' is not a {network} address: write it as {example}", code=code, url=url)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK:
        raise InvalidRequest(f"'{url}' is not https: write it as https://{parts.netloc} (only a server on this "
                             "machine, 127.0.0.1 or localhost, may use http)", code="publish_instance_https", url=url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
