"""Who may do what: roles per brand, one table, checked by the library (not only the UI).

- `admin`: users, brands, everything, on every brand it holds (normally all); an administrator of
  the installation (admin on all brands) also chooses the models (`manage_models`: `require_admin`).
- `editor`: draft, edit, comment, submit, schedule, publish (and mark a publish failed), export, library
  uploads, share links.
- `approver`: an editor who also approves, rejects, requests changes, reopens, overrides rules.
- `client`: sees only the items shared with them; comments; approves or requests changes as the
  client stage. No drafting, no library, no costs, no other items.
- `viewer`: reads everything of the brand, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.accounts.schemas import ROLES, Actor
from assistant.errors import AssistantError

EDITOR = frozenset({"view", "view_costs", "draft", "edit", "comment", "submit", "schedule", "publish", "publish_failed",
                    "assign", "archive", "export", "library", "share"})
APPROVER = EDITOR | {"approve", "reject", "request_changes", "reopen", "override"}
ACTIONS_BY_ROLE: dict[str, frozenset[str]] = {
    "admin": APPROVER | {"manage_users", "manage_brands", "manage_models"},
    "approver": APPROVER,
    "editor": EDITOR,
    "viewer": frozenset({"view", "view_costs"}),
    # Only on the items shared with them (checked with the item: `can_on_item`).
    "client": frozenset({"view_shared", "comment", "client_approve", "client_request_changes"}),
}
ACTIONS: frozenset[str] = frozenset().union(*ACTIONS_BY_ROLE.values())
CLIENT_ACTIONS = ACTIONS_BY_ROLE["client"]
CLIENT_ONLY = frozenset({"client_approve", "client_request_changes"})
STAFF_ROLES = frozenset(ACTIONS_BY_ROLE) - {"client"}
assert set(ACTIONS_BY_ROLE) == set(ROLES)


class PermissionDenied(AssistantError):
    """The acting person holds no role on the brand that allows the action."""


def can(actor: Actor, action: str, brand: str) -> bool:
    """May `actor` do `action` on `brand` at all (for a client: on the items shared with them)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return any(action in ACTIONS_BY_ROLE[role] for role in actor.roles_on(brand))


def can_on_item(actor: Actor, action: str, brand: str, item_id: int, shared_with: Iterable[int] = ()) -> bool:
    """`can`, for one item: a client's role reaches only the items shared with them (`shared_with`,
    or the items of the link they came through); staff roles reach every item of the brand. The
    client's decisions are the client's alone: someone holding a staff role on the brand cannot
    take them (staff cannot act as the client)."""
    roles = actor.roles_on(brand)
    staff = roles - {"client"}
    if action in CLIENT_ONLY:
        return not staff and "client" in roles and _shared(actor, item_id, shared_with)
    if any(action in ACTIONS_BY_ROLE[role] for role in staff):
        return True
    if "client" in roles and action in CLIENT_ACTIONS | {"view"}:
        return _shared(actor, item_id, shared_with)
    return False


def _shared(actor: Actor, item_id: int, shared_with: Iterable[int]) -> bool:
    return item_id in actor.share_items or item_id in set(shared_with)


def denied(actor: Actor, action: str, brand: str, item_id: int | None = None) -> PermissionDenied:
    roles = sorted(actor.roles_on(brand))
    what = f"item {item_id} of brand {brand}" if item_id is not None else f"brand {brand}"
    who = actor.username or actor.label
    held = f"holds {', '.join(roles)} there" if roles else "holds no role there"
    needed = sorted(role for role, actions in ACTIONS_BY_ROLE.items() if action in actions)
    hint = (f"an administrator can grant it: `assistant users grant {actor.username} {needed[0]} --brand {brand}`"
            if actor.kind == "user" and needed else "ask the person who shared it")
    return PermissionDenied(f"{who} may not {action.replace('_', ' ')} on {what}: {who} {held}; "
                            f"it needs {' or '.join(needed)}; {hint}", code="denied", action=action, brand=brand)


def require(actor: Actor, action: str, brand: str) -> None:
    if not can(actor, action, brand):
        raise denied(actor, action, brand)


def require_admin(actor: Actor | None, action: str) -> None:
    """An action on the whole installation (the models every brand drafts with): only an
    administrator of the installation (admin on all brands) may take it."""
    if action not in ACTIONS_BY_ROLE["admin"]:
        raise ValueError(f"unknown action {action!r}")
    if actor is None or not actor.is_admin:
        who = (actor.username or actor.label) if actor is not None else "nobody"
        raise PermissionDenied(f"{who} may not {action.replace('_', ' ')}: only an administrator (admin on all "
                               "brands) may; an administrator can grant it: `assistant users grant USER admin`",
                               code="admin_only", action=action)


def require_on_item(actor: Actor, action: str, brand: str, item_id: int, shared_with: Iterable[int] = ()) -> None:
    if not can_on_item(actor, action, brand, item_id, shared_with):
        raise denied(actor, action, brand, item_id)


def visible_brands(actor: Actor, all_brands: Iterable[str]) -> list[str]:
    """The brands (of `all_brands`) `actor` may see: what "all brands" means for them. A client
    sees the brands of the items shared with them."""
    return [b for b in all_brands if can(actor, "view", b) or can(actor, "view_shared", b)]
