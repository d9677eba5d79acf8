"""What leaves the accounts package: the acting person (`Actor`), users, share links, events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["admin", "approver", "editor", "client", "viewer"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ALL_BRANDS = "*"


class Grant(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    brand: str  # a brand slug, or "*" for every brand

    def covers(self, brand: str) -> bool:
        return self.brand in (ALL_BRANDS, brand)

    def __str__(self) -> str:
        return f"{self.role}@{'all brands' if self.brand == ALL_BRANDS else self.brand}"


class Actor(BaseModel):
    """Who is acting: a signed-in user (or the named CLI user), or a client through a share link.

    Identities are compared by `user_id` (or `share_id` for a link), never by name."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["user", "link"] = "user"
    user_id: int | None = None
    username: str = ""
    name: str
    email: str | None = None
    grants: tuple[Grant, ...] = ()
    share_id: int | None = None  # a link: which one
    share_brand: str | None = None
    share_items: frozenset[int] = frozenset()
    language: str | None = None  # preferences (None: the default language, the brand's zone)
    timezone: str | None = None

    @property
    def label(self) -> str:
        """As recorded beside the id in the audit log."""
        if self.kind == "link":
            who = f"{self.name} <{self.email}>" if self.email else self.name
            return f"{who} (client link #{self.share_id})"[:200]
        return self.name[:200]

    def roles_on(self, brand: str) -> set[str]:
        if self.kind == "link":
            return {"client"} if brand == self.share_brand else set()
        return {g.role for g in self.grants if g.covers(brand)}

    @property
    def is_admin(self) -> bool:
        """An administrator of the installation: admin on every brand."""
        return Grant(role="admin", brand=ALL_BRANDS) in self.grants


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    username: str
    name: str
    email: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    language: str | None = None
    timezone: str | None = None
    grants: tuple[Grant, ...] = ()
    has_password: bool = False


class SharePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    brand: str
    item_ids: list[int]
    to_name: str
    to_email: str | None
    created_by_id: int | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> Literal["active", "expired", "revoked"]:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


class NewShare(BaseModel):
    """A share link just made: the only time its URL token exists outside the client's hands."""

    share: SharePublic
    token: str


class AuthEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    at: datetime
    action: str
    user_id: int | None
    actor_id: int | None
    address: str | None
    data: dict[str, Any] | None


def operator(os_user: str) -> Actor:
    """The operator of the machine at the command line (`assistant users`, `assistant share`
    without `--by`): they hold the database, so they act as an administrator; recorded by their
    system account name, with no user id."""
    return Actor(username=f"operator:{os_user}", name=f"{os_user} (command line)",
                 grants=(Grant(role="admin", brand=ALL_BRANDS),))
