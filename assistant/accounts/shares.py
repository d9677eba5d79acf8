"""Client approval links: some items of one brand, for one named person, until a date.

The link's token is `[id, random]` signed with the server secret (itsdangerous, its own salt);
the database keeps the sha256 of the random part. A link opens only its own items: it becomes an
`Actor` of kind "link" whose client role reaches exactly `share_items` of `share_brand`."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.accounts.permissions import require
from assistant.accounts.schemas import Actor, NewShare, SharePublic
from assistant.accounts.sessions import digest
from assistant.accounts.users import Directory, normalize_email
from assistant.db.engine import Database
from assistant.db.models import Item, ShareLink
from assistant.errors import AssistantError, InvalidRequest

MAX_DAYS = 90
RECIPIENT_RE = re.compile(r"^\s*(?P<name>[^<>]*?)\s*(?:<(?P<email>[^<>]+)>)?\s*$")


class ShareInvalid(AssistantError):
    """The link cannot be used: `reason` is tampered, unknown, expired or revoked."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__({"tampered": "this link is not valid (it was changed or cut): ask for a new one",
                          "unknown": "this link is not valid: ask for a new one",
                          "expired": "this link has expired: ask the agency for a new one",
                          "revoked": "this link was withdrawn: ask the agency for a new one"}[reason])


def parse_recipient(to: str) -> tuple[str, str | None]:
    """'Name <e-mail>' (or just a name) -> (name, e-mail)."""
    match = RECIPIENT_RE.match(to or "")
    name = " ".join((match.group("name") if match else "").split())
    if not match or not name or len(name) > 200:
        raise InvalidRequest("to: write the client's name, and their e-mail in angle brackets: "
                             '"Anna Neri <anna@client.it>"', code="share_recipient")
    return name, normalize_email(match.group("email"))


class ShareLinks:
    def __init__(self, directory: Directory, secret: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.directory = directory
        self.clock = clock or directory.clock
        self._signer = URLSafeSerializer(secret, salt="copydesk.share")

    def create(self, brand: str, item_ids: list[int], *, to: str, by: Actor, expires: timedelta = timedelta(days=7),
               address: str | None = None) -> NewShare:
        require(by, "share", brand)
        name, email = parse_recipient(to)
        ids = sorted(set(int(i) for i in item_ids))
        if not ids:
            raise InvalidRequest("items: name at least one item to share")
        if not timedelta(minutes=5) <= expires <= timedelta(days=MAX_DAYS):
            raise InvalidRequest(f"expires: between 5 minutes and {MAX_DAYS} days (e.g. 7d, 48h)", code="share_expiry",
                                 days=MAX_DAYS)
        secret_part = secrets.token_urlsafe(24)

        def txn(s: Session) -> SharePublic:
            rows = s.scalars(select(Item).where(Item.id.in_(ids))).all()
            found = {r.id: r for r in rows}
            missing = [i for i in ids if i not in found]
            if missing:
                raise InvalidRequest(f"no review item {', '.join(map(str, missing))}: `assistant queue list` shows "
                                     "the ids")
            foreign = [i for i in ids if found[i].brand != brand]
            if foreign:
                raise InvalidRequest(f"items {', '.join(map(str, foreign))} are not of brand {brand}: a link shares "
                                     "one brand's items")
            now = self.clock()
            row = ShareLink(brand=brand, item_ids=ids, to_name=name, to_email=email, token_hash=digest(secret_part),
                            created_by_id=by.user_id, created_at=now, expires_at=now + expires)
            s.add(row)
            s.flush()
            self.directory.log_event(s, "share_created", None, by, address,
                                     {"share_id": row.id, "brand": brand, "items": ids, "to": name})
            return SharePublic.model_validate(row)

        share = self.directory.db.write(txn)
        return NewShare(share=share, token=str(self._signer.dumps([share.id, secret_part])))

    def open(self, token: str) -> Actor:
        """The client behind a link, or `ShareInvalid` saying why not."""
        return self.resolve(token)[1]

    def resolve(self, token: str) -> tuple[SharePublic, Actor]:
        """The link and the client behind it (one read), or `ShareInvalid` saying why not."""
        try:
            share_id, secret_part = self._signer.loads(token)
            share_id = int(share_id)
        except (BadSignature, ValueError, TypeError):
            raise ShareInvalid("tampered") from None
        row = self.directory.db.read(lambda s: s.get(ShareLink, share_id))
        if row is None or not hmac.compare_digest(row.token_hash, digest(str(secret_part))):
            raise ShareInvalid("unknown")
        share = SharePublic.model_validate(row)
        state = share.state(self.clock())
        if state != "active":
            raise ShareInvalid(state)
        return share, Actor(kind="link", name=share.to_name, email=share.to_email, share_id=share.id,
                            share_brand=share.brand, share_items=frozenset(share.item_ids))

    def revoke(self, share_id: int, *, by: Actor) -> SharePublic:
        def txn(s: Session) -> SharePublic:
            row = s.get(ShareLink, share_id)
            if row is None:
                raise InvalidRequest(f"no share link {share_id}: `assistant share list BRAND` shows them")
            require(by, "share", row.brand)
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by_id = self.clock(), by.user_id
                self.directory.log_event(s, "share_revoked", None, by, None, {"share_id": share_id})
            return SharePublic.model_validate(row)

        return self.directory.db.write(txn)

    def list(self, brand: str, *, by: Actor, item_id: int | None = None) -> list[SharePublic]:
        require(by, "share", brand)
        rows = self.directory.db.read(lambda s: [SharePublic.model_validate(r) for r in s.scalars(
            select(ShareLink).where(ShareLink.brand == brand).order_by(ShareLink.id.desc()))])
        return [r for r in rows if item_id is None or item_id in r.item_ids]



def shared_with(db: Database, email: str | None, now: datetime, brands: set[str] | None = None) -> set[int]:
    """Items shared by active links with this e-mail (of `brands`, if given): what a client account sees."""
    if not email:
        return set()
    stmt = select(ShareLink).where(ShareLink.to_email == email.lower())
    if brands is not None:
        stmt = stmt.where(ShareLink.brand.in_(sorted(brands)))
    rows = db.read(lambda s: [SharePublic.model_validate(r) for r in s.scalars(stmt)])
    return {i for r in rows if r.state(now) == "active" for i in r.item_ids}
