"""Connected accounts: a brand's Mastodon or Bluesky account that posts can be published to.

- Only an administrator of the brand adds, reconnects or removes one (checked here); anyone who may
  publish on the brand may test it; the secret (a Mastodon access token, a Bluesky app password) is
  sealed with the installation's key before it is stored (`publishing.vault`) and never leaves this
  module again except to build a publisher: no listing, no log line, no error message shows it.
- The address must be https (plain http only on this machine's loopback, for tests and local servers).
- "Test connection" asks the network who the account is (`Publisher.identity`) and records the
  answer: the handle confirmed, or the network's reason.
- An account whose secret the network refused is `needs_reconnect`: its posts wait (they are not
  retried) until an administrator reconnects it with a new secret or a test succeeds again.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor
from assistant.db.publishing import PublishConnection, PublishJob
from assistant.errors import InvalidRequest
from assistant.publishing import publishers
from assistant.publishing.posts import Identity, Publisher, PublishError
from assistant.publishing.vault import Vault

log = logging.getLogger(__name__)
NETWORKS = ("mastodon", "bluesky")
DEFAULT_SERVICE = {"bluesky": "https://bsky.social"}
AUTH_STATUSES = frozenset({401, 403})


@dataclass(frozen=True)
class ConnectionPublic:
    """A connected account as it leaves this module: everything but the secret."""

    id: int
    brand: str
    network: str
    base_url: str
    handle: str
    status: str
    status_reason: str | None
    created_by: str
    created_at: datetime
    last_tested_at: datetime | None
    last_test_ok: bool | None
    last_test_message: str | None
    removed_at: datetime | None

    @classmethod
    def of(cls, row: PublishConnection) -> ConnectionPublic:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class ConnectionNotFound(InvalidRequest):
    """No connected account with that id."""


def check_url(url: str, what: str) -> str:
    """https, or http on loopback; no credentials, no query: the base address of the server."""
    parts = urlsplit((url or "").strip())
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("https", "http") or not host or (parts.scheme == "http" and not loopback):
        raise InvalidRequest(f"{what}: give the server's https address (e.g. https://mastodon.social); plain http "
                             "is accepted only on this machine (127.0.0.1)", code="connection_url", what=what)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidRequest(f"{what}: give only the server's address, without a user, a query or a fragment",
                             code="connection_url", what=what)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def auth_refused(exc: PublishError) -> bool:
    """A permanent refusal of the account's secret: it needs reconnecting (retrying cannot help)."""
    return not exc.transient and exc.status in AUTH_STATUSES


class Connections:
    """The connected accounts, in the system of record `db` (a `ReviewQueue`: sessions, clock, people)."""

    def __init__(self, db: Any, vault: Callable[[], Vault], *, brand_exists: Callable[[str], object] | None = None):
        self.db = db
        self._vault = vault  # called when a secret is sealed or opened: listing never reads the key
        self._brand_exists = brand_exists

    # --- reading --------------------------------------------------------------------------------

    def list(self, brand: str | None = None, *, actor: Actor | str | None = None,
             removed: bool = False) -> list[ConnectionPublic]:
        who = self.db.actor(actor) if actor is not None else None
        stmt = select(PublishConnection).order_by(PublishConnection.brand, PublishConnection.id)
        if brand:
            stmt = stmt.where(PublishConnection.brand == brand)
        if not removed:
            stmt = stmt.where(PublishConnection.removed_at.is_(None))
        rows = [ConnectionPublic.of(r) for r in self.db.read(lambda s: s.scalars(stmt).all())]
        if who is not None:
            from assistant.accounts.permissions import can

            rows = [r for r in rows if can(who, "view", r.brand)]
        return rows

    def get(self, connection_id: int) -> ConnectionPublic:
        return self.db.read(lambda s: ConnectionPublic.of(self._row(s, connection_id)))

    @staticmethod
    def _row(s: Session, connection_id: int) -> PublishConnection:
        row = s.get(PublishConnection, connection_id, populate_existing=True)
        if row is None:
            raise ConnectionNotFound(f"no connected account {connection_id}: `assistant accounts list` shows them",
                                     code="connection_not_found", id=connection_id)
        return row

    def publisher(self, connection_id: int) -> Publisher:
        """A publisher signed in as this account (its secret opened here, never returned)."""
        row = self.db.read(lambda s: self._row(s, connection_id))
        secret = self._vault().open(row.secret, what=f"the secret of connected account {row.id}")
        return publishers.build(row.network, base_url=row.base_url, secret=secret, handle=row.handle)

    # --- changes --------------------------------------------------------------------------------

    def add(self, brand: str, network: str, *, secret: str, by: Actor | str, base_url: str | None = None,
            handle: str = "") -> ConnectionPublic:
        actor = self.db.actor(by)
        require(actor, "manage_brands", brand)
        if self._brand_exists is not None:
            self._brand_exists(brand)  # BrandNotFound, with the reason
        if network not in NETWORKS:
            raise InvalidRequest(f"platform: {network!r} cannot be connected; use {' or '.join(NETWORKS)} (the "
                                 "other platforms stay on exports)", code="network_unknown", network=network)
        url = check_url(base_url or DEFAULT_SERVICE.get(network, ""), "--instance" if network == "mastodon"
                        else "--service")
        if network == "bluesky" and not handle.strip():
            raise InvalidRequest("--handle: give the account's handle (e.g. brand.bsky.social)", code="handle_required")
        if not secret or not secret.strip():
            raise InvalidRequest("the secret is empty: give the access token (Mastodon) or app password (Bluesky) "
                                 "on standard input", code="secret_required")
        sealed = self._vault().seal(secret.strip())

        def txn(s: Session) -> ConnectionPublic:
            now = self.db.clock()
            row = PublishConnection(brand=brand, network=network, base_url=url, handle=handle.strip().lstrip("@"),
                                    secret=sealed, status="active", created_by=actor.label,
                                    created_by_id=actor.user_id, created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            return ConnectionPublic.of(row)

        made = self.db.write(txn)
        log.info("connected account %s added: brand %s, %s at %s, by %s", made.id, brand, network, url, actor.label)
        return made

    def reconnect(self, connection_id: int, *, secret: str, by: Actor | str) -> ConnectionPublic:
        """A new secret for an account (e.g. after its token was revoked): it is active again."""
        actor = self.db.actor(by)
        current = self.get(connection_id)
        require(actor, "manage_brands", current.brand)
        if not secret or not secret.strip():
            raise InvalidRequest("the secret is empty", code="secret_required")
        sealed = self._vault().seal(secret.strip())
        return self._set(connection_id, secret=sealed, status="active", status_reason=None)

    def remove(self, connection_id: int, *, by: Actor | str) -> ConnectionPublic:
        """The account is removed (its row is kept for the record); its waiting posts are cancelled."""
        actor = self.db.actor(by)
        current = self.get(connection_id)
        require(actor, "manage_brands", current.brand)

        def txn(s: Session) -> ConnectionPublic:
            now = self.db.clock()
            row = self._row(s, connection_id)
            row.removed_at, row.removed_by, row.updated_at = now, actor.label, now
            s.execute(update(PublishJob).where(PublishJob.connection_id == connection_id,
                                               PublishJob.state == "pending")
                      .values(state="cancelled", last_error="the connected account was removed", updated_at=now))
            s.flush()
            return ConnectionPublic.of(row)

        return self.db.write(txn)

    def test(self, connection_id: int, *, by: Actor | str) -> ConnectionPublic:
        """Ask the network who the account is; the answer (or its reason) is recorded."""
        actor = self.db.actor(by)
        current = self.get(connection_id)
        require(actor, "publish", current.brand)
        try:
            who: Identity = self.publisher(connection_id).identity()
        except PublishError as exc:
            values: dict[str, Any] = {"last_test_ok": False, "last_test_message": exc.reason}
            if auth_refused(exc):
                values |= {"status": "needs_reconnect", "status_reason": exc.reason}
            return self._set(connection_id, last_tested_at=self.db.clock(), **values)
        return self._set(connection_id, last_tested_at=self.db.clock(), last_test_ok=True,
                         last_test_message=who.handle, handle=who.handle.lstrip("@") or current.handle,
                         status="active", status_reason=None)

    def needs_reconnect(self, connection_id: int, reason: str) -> ConnectionPublic:
        log.warning("connected account %s needs reconnecting: %s", connection_id, reason)
        return self._set(connection_id, status="needs_reconnect", status_reason=reason)

    def _set(self, connection_id: int, **values: Any) -> ConnectionPublic:
        def txn(s: Session) -> ConnectionPublic:
            row = self._row(s, connection_id)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self.db.clock()
            s.flush()
            return ConnectionPublic.of(row)

        return self.db.write(txn)


def active_rows(s: Session, brand: str, network: str) -> list[PublishConnection]:
    """Inside a transaction: the brand's active (not removed) accounts on `network`."""
    return list(s.scalars(select(PublishConnection).where(
        PublishConnection.brand == brand, PublishConnection.network == network,
        PublishConnection.removed_at.is_(None)).order_by(PublishConnection.id)))
