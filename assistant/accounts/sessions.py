"""Sign-in sessions, stored server-side: the browser's cookie carries a random token signed with
the server secret; the database keeps only its sha256, the user, the expiry and the end. Every
process on the same database (replicas behind one address) accepts the same cookie."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.accounts.schemas import Actor
from assistant.accounts.users import Directory
from assistant.db.models import AuthSession, User

COOKIE = "copydesk_session"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, directory: Directory, secret: str, *, hours: float = 12.0,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.directory = directory
        self.ttl = timedelta(hours=hours)
        self.clock = clock or directory.clock
        self._signer = URLSafeSerializer(secret, salt="copydesk.session")

    def start(self, actor: Actor, *, via: str = "password", address: str | None = None) -> str:
        """A new session for a user who just proved who they are; returns the cookie value."""
        if actor.user_id is None:
            raise ValueError("only users have sessions")
        token = secrets.token_urlsafe(32)
        now = self.clock()

        def txn(s: Session) -> None:
            s.add(AuthSession(token_hash=digest(token), user_id=actor.user_id, via=via,
                              address=(address or None) and address[:64], created_at=now, expires_at=now + self.ttl))

        self.directory.db.write(txn)
        return str(self._signer.dumps(token))

    def resolve(self, cookie: str | None) -> Actor | None:
        """The signed-in user for this cookie value, or None (absent, tampered, expired, ended,
        or the user disabled since)."""
        token = self._token(cookie)
        if token is None:
            return None

        def txn(s: Session) -> int | None:
            row = s.scalars(select(AuthSession).where(AuthSession.token_hash == digest(token))).first()
            if row is None or row.ended_at is not None or row.expires_at <= self.clock():
                return None
            user = s.get(User, row.user_id)
            return user.id if user is not None and user.active else None

        user_id = self.directory.db.read(txn)
        return None if user_id is None else self.directory.actor(user_id)

    def end(self, cookie: str | None, *, address: str | None = None) -> bool:
        """Sign out: the session ends everywhere (every tab and replica); recorded."""
        token = self._token(cookie)
        if token is None:
            return False

        def txn(s: Session) -> int | None:
            row = s.scalars(select(AuthSession).where(AuthSession.token_hash == digest(token))).first()
            if row is None or row.ended_at is not None:
                return None
            row.ended_at = self.clock()
            self.directory.log_event(s, "signout", row.user_id, None, address, None)
            return row.user_id

        return self.directory.db.write(txn) is not None

    def _token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            token = self._signer.loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None
