"""Which class publishes to which network: a small registry, network name -> factory.

A factory takes the connected account's public settings and its decrypted secret and returns a
`Publisher` (`publishing.posts`). Every factory is called as `factory(base_url=..., secret=...,
handle=...)`; the built-in ones adapt that to their network's class (`mastodon.MastodonPublisher`,
`bluesky.BlueskyPublisher`), imported only when first used. Tests (and plug-ins) register their own
with `register`.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import InvalidRequest
from assistant.publishing.posts import Publisher

Factory = Callable[..., Publisher]


def _mastodon(*, base_url: str, secret: str, handle: str) -> Publisher:
    from assistant.publishing.mastodon import MastodonPublisher

    return MastodonPublisher(base_url, secret)  # the handle is the token's own (`identity`)


def _bluesky(*, base_url: str, secret: str, handle: str) -> Publisher:
    from assistant.publishing.bluesky import BlueskyPublisher

    return BlueskyPublisher(handle, secret, service=base_url)


BUILT_IN: dict[str, Factory] = {"mastodon": _mastodon, "bluesky": _bluesky}
_registered: dict[str, Factory] = {}


def register(network: str, factory: Factory) -> None:
    """Make `network` publish through `factory` (replaces a built-in one of that name)."""
    _registered[network] = factory


def unregister(network: str) -> None:
    _registered.pop(network, None)


def networks() -> list[str]:
    return sorted(set(BUILT_IN) | set(_registered))


def factory(network: str) -> Factory:
    if network in _registered:
        return _registered[network]
    built_in = BUILT_IN.get(network)
    if built_in is None:
        raise InvalidRequest(f"platform {network!r} cannot be published to from here: use one of "
                             f"{', '.join(networks())}, or export the post (`assistant plan export`)",
                             code="network_unknown", network=network)
    return built_in


def build(network: str, *, base_url: str, secret: str, handle: str) -> Publisher:
    return factory(network)(base_url=base_url, secret=secret, handle=handle)
