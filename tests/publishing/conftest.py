"""Fixtures for the publishing tests: the Mastodon stand-in and the reference Bluesky PDS."""

from __future__ import annotations

import pytest

from tests.utils.mastodon_server import MastodonServer


@pytest.fixture()
def mastodon_server():
    """A fresh Mastodon stand-in on 127.0.0.1 (see tests/utils/mastodon_server.py)."""
    with MastodonServer() as server:
        yield server


@pytest.fixture(scope="session")
def atproto_pds():
    """The reference Bluesky PDS on loopback, one for the session (it takes a few seconds to start);
    tests keep apart by their own outbox keys. Skips, saying how to install it, when it is absent."""
    from tests.utils.atproto_pds import PdsProcess, missing

    reason = missing()
    if reason:
        pytest.skip(reason)
    with PdsProcess() as pds:
        yield pds
