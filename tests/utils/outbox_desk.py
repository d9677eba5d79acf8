"""Outbox fixtures for the publishing tests (import them: `from tests.utils.outbox_desk import desk, net`):
a review queue on a SQLite file with a test clock, wired to the outbox; a Fernet key of its own; the
fake network registered as "mastodon" (scripted outcomes, call log)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet

from assistant.publishing import publishers
from assistant.publishing.connections import Connections
from assistant.publishing.outbox import Outbox, ScheduleHook
from assistant.publishing.vault import Vault
from assistant.review import ReviewQueue
from tests.factories import Clock, add_people, approve_new, fake_policy, fake_validator
from tests.utils.fake_network import FakeNetwork

TOKEN = "tok-SECRET-0123456789abcdef"


@pytest.fixture
def net():
    network = FakeNetwork("mastodon")
    publishers.register("mastodon", network.factory)
    yield network
    publishers.unregister("mastodon")


def make_desk(url: str, clock, **outbox_options) -> SimpleNamespace:
    queue = add_people(ReviewQueue(url, validator=fake_validator, brand_policy=fake_policy, clock=clock,
                                   scheduling=ScheduleHook(clock)))
    vault = Vault(Fernet.generate_key())
    connections = Connections(queue, lambda: vault)
    options = {"retry_seconds": 10.0, "retry_max_seconds": 600.0, "lease_seconds": 60.0, "jitter": lambda: 1.0}
    outbox = Outbox(queue, connections, **(options | outbox_options))
    return SimpleNamespace(queue=queue, connections=connections, outbox=outbox, clock=clock, vault=vault)


@pytest.fixture
def desk(tmp_path, net):
    d = make_desk(f"sqlite:///{tmp_path}/review.db", Clock())
    d.net = net
    d.conn = d.connections.add("lana", "mastodon", secret=TOKEN, by="root", base_url="https://social.example")
    yield d
    d.queue.close()


def scheduled_item(d, text: str = "Oggi apriamo la bottega a Schio", *, minutes: int = 60, brand: str = "lana",
                   platform: str = "mastodon"):
    item = approve_new(d.queue, text, brand=brand, platform=platform)
    return d.queue.schedule(item.id, d.clock() + timedelta(minutes=minutes), by="Ada")
