"""Accounts: who is acting and what they may do.

- `users.Directory`: users, roles per brand, sign-in with lockout, account events.
- `sessions.Sessions`: server-side sign-in sessions behind a signed cookie.
- `shares.ShareLinks`: client approval links for some items of one brand.
- `permissions`: the role table and the checks the library runs before every action.
"""

from assistant.accounts.permissions import PermissionDenied, can, can_on_item, require, visible_brands
from assistant.accounts.schemas import ALL_BRANDS, ROLES, Actor, Grant, UserPublic
from assistant.accounts.users import Directory, SignInFailed

__all__ = ["ALL_BRANDS", "ROLES", "Actor", "Directory", "Grant", "PermissionDenied", "SignInFailed", "UserPublic",
           "can", "can_on_item", "require", "visible_brands"]
