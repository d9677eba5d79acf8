"""The people of an installation: accounts, roles per brand, sign-in with lockout, and the
account events (sign-in, failure, lock, sign-out, changes) with time and address.

`Directory` works on any `db.engine.Database` (the same system of record as the review queue).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.accounts import passwords
from assistant.accounts.permissions import PermissionDenied
from assistant.accounts.schemas import ALL_BRANDS, ROLES, Actor, AuthEventPublic, Grant, UserPublic
from assistant.db.engine import Database, utcnow
from assistant.db.models import AuthEvent, User, UserRole
from assistant.errors import AssistantError, InvalidRequest

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


class SignInFailed(AssistantError):
    """One message for an unknown user, a wrong password, a disabled or a locked account."""

    def __init__(self) -> None:
        super().__init__("wrong username or password, or too many attempts: check them and try again, "
                         f"or wait {int(LOCK.total_seconds() // 60)} minutes")


def normalize_username(username: str) -> str:
    return " ".join((username or "").split()).casefold()


def normalize_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise InvalidRequest(f"email: {email!r} is not an e-mail address (name@example.com)", code="email_invalid",
                             email=email)
    return email


def _brand(brand: str | None) -> str:
    return ALL_BRANDS if brand in (None, "", ALL_BRANDS) else brand  # type: ignore[return-value]


class Directory:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow, failures: int = FAILURES,
                 window: timedelta = WINDOW, lock: timedelta = LOCK) -> None:
        self.db = db
        self.clock = clock
        self.failures, self.window, self.lock = failures, window, lock

    # --- reading --------------------------------------------------------------------------------

    def count(self) -> int:
        return self.db.read(lambda s: s.scalar(select(func.count()).select_from(User)) or 0)

    def list(self) -> list[UserPublic]:
        """Every user with their roles (two queries, whatever the number of users)."""
        def txn(s: Session) -> list[UserPublic]:
            grants: dict[int, list[Grant]] = {}
            for row in s.scalars(select(UserRole).order_by(UserRole.id)):
                grant = Grant(role=row.role, brand=row.brand)  # type: ignore[arg-type]
                grants.setdefault(row.user_id, []).append(grant)
            users = s.scalars(select(User).order_by(User.username))
            return [self._public(s, u, tuple(grants.get(u.id, ()))) for u in users]

        return self.db.read(txn)

    def get(self, username: str) -> UserPublic:
        return self.db.read(lambda s: self._public(s, self._user(s, username)))

    def actor(self, who: str | int) -> Actor:
        """The active user named `who` (a username, exactly, any case) or with that id, as an Actor.
        Raises with how to fix it when there is none: identities are never guessed from names."""
        def txn(s: Session) -> Actor:
            user = s.get(User, who) if isinstance(who, int) else self._user(s, who)
            if user is None:
                raise InvalidRequest(f"no user with id {who}")
            if not user.active:
                raise PermissionDenied(f"user {user.username} is disabled; an administrator can enable it again")
            return self._actor(s, user)

        return self.db.read(txn)

    def by_email(self, email: str) -> Actor | None:
        """The active user with this e-mail (OpenID Connect sign-in), or None."""
        address = normalize_email(email)
        user = self.db.read(lambda s: s.scalars(select(User).where(User.email == address)).first())
        return None if user is None or not user.active else self.actor(user.id)

    def who_may(self, action: str, *brands: str) -> list[UserPublic]:
        """Active users whose roles allow `action` on any of `brands` (whom an item can be assigned to)."""
        from assistant.accounts.permissions import can

        return [u for u in self.list() if u.active and any(
            can(Actor(user_id=u.id, username=u.username, name=u.name, grants=u.grants), action, b) for b in brands)]

    def events(self, *, user: str | None = None, limit: int = 200) -> list[AuthEventPublic]:
        def txn(s: Session) -> list[AuthEventPublic]:
            stmt = select(AuthEvent).order_by(AuthEvent.id.desc()).limit(limit)
            if user is not None:
                stmt = stmt.where(AuthEvent.user_id == self._user(s, user).id)
            return [AuthEventPublic.model_validate(e) for e in s.scalars(stmt)]

        return self.db.read(txn)

    # --- changing (each one an admin's action, recorded) ----------------------------------------

    def add(self, username: str, *, name: str, email: str | None = None, password: str | None = None,
            grants: list[tuple[str, str | None]] = (), by: Actor | None = None,
            address: str | None = None) -> UserPublic:
        """A new active user. `by` must be an admin, except for the very first user (setup)."""
        username = normalize_username(username)
        if not USERNAME_RE.match(username):
            raise InvalidRequest(f"username: {username!r} must be 1-64 of a-z, 0-9, '.', '_', '-' (starting with a "
                                 "letter or digit)", code="username_invalid", username=username)
        display = " ".join((name or "").split())
        if not display or len(display) > 200 or display.lower().startswith(("ai:", "(legacy)")):
            raise InvalidRequest("name: write the person's full name (1-200 characters; not starting with 'ai:')",
                                 code="name_invalid")
        hashed = passwords.hash_password(password) if password is not None else None
        checked = [self._grant(role, brand) for role, brand in grants]

        def txn(s: Session) -> UserPublic:
            first = (s.scalar(select(func.count()).select_from(User)) or 0) == 0
            if not first:
                self._must_admin(by)
            now = self.clock()
            user = User(username=username, name=display, email=normalize_email(email), password_hash=hashed,
                        active=True, created_at=now)
            s.add(user)
            try:
                s.flush()
            except IntegrityError:
                raise InvalidRequest(f"username {username} or that e-mail is taken; pick another",
                                     code="username_taken", username=username) from None
            for grant in checked:
                s.add(UserRole(user_id=user.id, role=grant.role, brand=grant.brand, granted_at=now))
            self.log_event(s, "setup" if first else "user_added", user.id, by, address,
                        {"grants": [str(g) for g in checked]})
            s.flush()
            return self._public(s, user)

        return self.db.write(txn)

    def grant(self, username: str, role: str, brand: str | None = None, *, by: Actor | None) -> UserPublic:
        wanted = self._grant(role, brand)

        def txn(s: Session) -> UserPublic:
            self._must_admin(by)
            user = self._user(s, username)
            if not self._held(s, user, wanted):
                s.add(UserRole(user_id=user.id, role=wanted.role, brand=wanted.brand, granted_at=self.clock()))
                self.log_event(s, "role_granted", user.id, by, None, {"grant": str(wanted)})
                s.flush()
            return self._public(s, user)

        return self.db.write(txn)

    def revoke(self, username: str, role: str, brand: str | None = None, *, by: Actor | None) -> UserPublic:
        wanted = self._grant(role, brand)

        def txn(s: Session) -> UserPublic:
            self._must_admin(by)
            user = self._user(s, username)
            rows = self._held(s, user, wanted)
            if not rows:
                raise InvalidRequest(f"{user.username} does not hold {wanted}; `assistant users list` shows the roles")
            if wanted.role == "admin" and self._admins(s) == {user.id}:
                raise InvalidRequest("this is the last administrator: grant admin to someone else first",
                                     code="last_admin")
            for row in rows:
                s.delete(row)
            self.log_event(s, "role_revoked", user.id, by, None, {"grant": str(wanted)})
            s.flush()
            return self._public(s, user)

        return self.db.write(txn)

    def set_password(self, username: str, password: str, *, by: Actor | None) -> UserPublic:
        """An admin sets anyone's password; a user changes their own."""
        hashed = passwords.hash_password(password)

        def txn(s: Session) -> UserPublic:
            user = self._user(s, username)
            if by is None or by.user_id != user.id:
                self._must_admin(by)
            user.password_hash, user.locked_until = hashed, None
            self.log_event(s, "password_changed", user.id, by, None, None)
            return self._public(s, user)

        return self.db.write(txn)

    def set_preferences(self, by: Actor, *, language: str | None = None, timezone: str | None = None) -> Actor:
        """The signed-in person's own preferences: the interface language, and the zone times are
        shown in ("" or None for the brand's). Returns them as the Actor the app keeps."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from assistant.i18n import LANGUAGES

        if language is not None and language not in LANGUAGES:
            raise InvalidRequest(f"language: use one of {', '.join(LANGUAGES)}", code="language_unknown")
        zone = (timezone or "").strip() or None
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise InvalidRequest(f"timezone: {zone!r} is not a time zone (e.g. Europe/Rome)",
                                     code="zone_unknown", zone=zone) from None
        if by.user_id is None:
            raise InvalidRequest("preferences belong to a signed-in user")

        def txn(s: Session) -> Actor:
            user = s.get(User, by.user_id)
            if user is None:
                raise InvalidRequest(f"no user with id {by.user_id}")
            if language is not None:
                user.language = language
            if timezone is not None:
                user.timezone = zone
            return self._actor(s, user)

        return self.db.write(txn)

    def set_active(self, username: str, active: bool, *, by: Actor | None) -> UserPublic:
        def txn(s: Session) -> UserPublic:
            self._must_admin(by)
            user = self._user(s, username)
            if not active and self._admins(s) == {user.id}:
                raise InvalidRequest("this is the last administrator: it cannot be disabled", code="last_admin")
            user.active = active
            self.log_event(s, "user_enabled" if active else "user_disabled", user.id, by, None, None)
            return self._public(s, user)

        return self.db.write(txn)

    # --- signing in -----------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, *, address: str | None = None) -> Actor:
        """The user, if the password is right and the account active and not locked; else
        `SignInFailed` (one message for every reason) and a recorded failure. `FAILURES` failures
        within `WINDOW` lock the account for `LOCK`."""
        name = normalize_username(username)
        user = self.db.read(lambda s: s.scalars(select(User).where(User.username == name)).first())
        ok = passwords.verify(password, user.password_hash if user is not None else None)

        def txn(s: Session) -> Actor | None:
            now = self.clock()
            row = s.get(User, user.id) if user is not None else None
            if row is None:
                # the typed name is not kept (it may be a password typed in the wrong box): a digest only
                self.log_event(s, "signin_failed", None, None, address,
                            {"reason": "unknown", "attempt": hashlib.sha256(name.encode()).hexdigest()[:12]})
                return None
            locked = row.locked_until is not None and row.locked_until > now
            if ok and row.active and not locked:
                row.last_login_at = now
                self.log_event(s, "signin", row.id, None, address, {"via": "password"})
                return self._actor(s, row)
            reason = "locked" if locked else "disabled" if not row.active else "password"
            self.log_event(s, "signin_failed", row.id, None, address, {"reason": reason})
            if reason == "password" and self._recent_failures(s, row, now) >= self.failures:
                row.locked_until = now + self.lock
                self.log_event(s, "locked", row.id, None, address, {"until": row.locked_until.isoformat()})
            return None

        actor = self.db.write(txn)
        if actor is None:
            raise SignInFailed()
        return actor

    def touch_login(self, user_id: int, *, via: str, address: str | None) -> None:
        def txn(s: Session) -> None:
            user = s.get(User, user_id)
            if user is not None:
                user.last_login_at = self.clock()
                self.log_event(s, "signin", user_id, None, address, {"via": via})

        self.db.write(txn)

    def record(self, action: str, by: Actor | None, data: dict[str, Any] | None = None) -> None:
        """An event that changes no account (a request refused by a brand's policy: "provider_refused"),
        about and by `by`, in its own transaction; shown in the account log."""
        self.db.write(lambda s: self.log_event(s, action, by.user_id if by else None, by, None, data))

    # --- helpers --------------------------------------------------------------------------------

    def _recent_failures(self, s: Session, user: User, now: datetime) -> int:
        since = now - self.window
        last_ok = s.scalar(select(func.max(AuthEvent.at)).where(AuthEvent.user_id == user.id,
                                                              AuthEvent.action.in_(("signin", "locked",
                                                                                    "password_changed"))))
        if last_ok is not None and last_ok > since:
            since = last_ok
        return s.scalar(select(func.count()).select_from(AuthEvent).where(
            AuthEvent.user_id == user.id, AuthEvent.action == "signin_failed", AuthEvent.at >= since,
            AuthEvent.data["reason"].as_string() == "password")) or 0

    @staticmethod
    def _grant(role: str, brand: str | None) -> Grant:
        if role not in ROLES:
            raise InvalidRequest(f"role: {role!r} is not a role; use one of {', '.join(ROLES)}")
        return Grant(role=role, brand=_brand(brand))  # type: ignore[arg-type]

    @staticmethod
    def _user(s: Session, username: str) -> User:
        name = normalize_username(username)
        user = s.scalars(select(User).where(User.username == name)).first()
        if user is None:
            raise InvalidRequest(f"no user {name!r}: `assistant users list` shows them, `assistant users add` "
                                 "creates one")
        return user

    @staticmethod
    def _held(s: Session, user: User, grant: Grant) -> list[UserRole]:
        return list(s.scalars(select(UserRole).where(UserRole.user_id == user.id, UserRole.role == grant.role,
                                                     UserRole.brand == grant.brand)))

    @staticmethod
    def _grants(s: Session, user: User) -> tuple[Grant, ...]:
        rows = s.scalars(select(UserRole).where(UserRole.user_id == user.id).order_by(UserRole.id))
        return tuple(Grant(role=r.role, brand=r.brand) for r in rows)  # type: ignore[arg-type]

    def _actor(self, s: Session, user: User) -> Actor:
        return Actor(user_id=user.id, username=user.username, name=user.name, email=user.email,
                     grants=self._grants(s, user), language=user.language, timezone=user.timezone)

    def _public(self, s: Session, user: User, grants: tuple[Grant, ...] | None = None) -> UserPublic:
        return UserPublic.model_validate({**{c.key: getattr(user, c.key) for c in User.__table__.columns},
                                          "grants": self._grants(s, user) if grants is None else grants,
                                          "has_password": user.password_hash is not None})

    @staticmethod
    def _admins(s: Session) -> set[int]:
        return set(s.scalars(select(UserRole.user_id).join(User, User.id == UserRole.user_id)
                             .where(UserRole.role == "admin", UserRole.brand == ALL_BRANDS, User.active.is_(True))))

    @staticmethod
    def _must_admin(by: Actor | None) -> None:
        if by is None or not by.is_admin:
            who = by.username if by is not None else "nobody"
            raise PermissionDenied(f"{who} may not manage users: only an administrator (admin on all brands) may")

    def log_event(self, s: Session, action: str, user_id: int | None, by: Actor | None, address: str | None,
                  data: dict[str, Any] | None) -> None:
        """An account event, in the caller's transaction: the change and its record are one unit."""
        if by is not None and by.user_id is None:  # the machine's operator: recorded by name
            data = {**(data or {}), "by": by.label}
        s.add(AuthEvent(at=self.clock(), action=action, user_id=user_id, actor_id=by.user_id if by else None,
                        address=(address or None) and address[:64], data=data))
