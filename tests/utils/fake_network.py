"""A fake social network for the publishing logic tests: a real `Publisher` registered in the
publisher registry (`assistant.publishing.publishers.register`), with a scripted queue of outcomes
and a call log, and idempotency like the real networks (the same key returns the same post)."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timezone

from assistant.publishing.posts import Counts, Identity, PostRequest, Published, PublishError


class FakeNetwork:
    """`script(...)`: what the next calls do, in order: "ok", "drop" (the post is made, then the
    answer is lost: a transient error), or a `PublishError` to raise. Unscripted calls succeed."""

    def __init__(self, name: str = "mastodon") -> None:
        self.name = name
        self.calls: list[tuple[str, str]] = []  # (method, key or secret's owner)
        self.posts: dict[str, Published] = {}  # key -> the post made
        self.counts: dict[str, Counts] = {}
        self.secrets_seen: list[str] = []
        self.revoked = False
        self._script: deque[object] = deque()
        self._lock = threading.Lock()

    def script(self, *outcomes: object) -> None:
        self._script.extend(outcomes)

    def factory(self, *, base_url: str, secret: str, handle: str) -> FakePublisher:
        self.secrets_seen.append(secret)
        return FakePublisher(self, base_url, secret, handle)

    def next(self) -> object:
        with self._lock:
            if self.revoked:
                return PublishError("the access token was revoked", transient=False, status=401)
            return self._script.popleft() if self._script else "ok"

    def made(self, key: str, base_url: str) -> Published:
        with self._lock:
            if key not in self.posts:
                n = len(self.posts) + 1
                self.posts[key] = Published(remote_id=str(n), url=f"{base_url}/@brand/{n}",
                                            published_at=datetime.now(timezone.utc).replace(microsecond=0))
            return self.posts[key]


class FakePublisher:
    def __init__(self, net: FakeNetwork, base_url: str, secret: str, handle: str) -> None:
        self.net, self.base_url, self.secret, self.handle = net, base_url, secret, handle
        self.network = net.name

    def _outcome(self) -> object:
        outcome = self.net.next()
        if isinstance(outcome, PublishError):
            raise outcome
        return outcome

    def identity(self) -> Identity:
        self.net.calls.append(("identity", ""))
        self._outcome()
        return Identity(handle="@brand@fake.example", display_name="Brand")

    def publish(self, post: PostRequest) -> Published:
        self.net.calls.append(("publish", post.key))
        outcome = self._outcome()
        done = self.net.made(post.key, self.base_url)
        if outcome == "drop":
            raise PublishError("the connection was closed before the answer", transient=True)
        return done

    def counts(self, remote_ids: list[str]) -> dict[str, Counts]:
        self.net.calls.append(("counts", ",".join(remote_ids)))
        self._outcome()
        return {i: self.net.counts.get(i, Counts()) for i in remote_ids}
