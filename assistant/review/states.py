"""The states of a review item and the one table of moves between them."""

from __future__ import annotations

# action -> {from state: to state}. Edits and reschedules keep the state.
TRANSITIONS: dict[str, dict[str, str]] = {
    "submit": {"draft": "in_review", "changes_requested": "in_review"},
    "edit": {"draft": "draft", "in_review": "in_review", "changes_requested": "changes_requested"},
    # With a client stage (brand `approval: [internal, client]`) an internal approval leads to
    # `client_review` instead (`ReviewQueue.approve`), and only the client's approval to `approved`.
    "approve": {"in_review": "approved"},
    "client_approve": {"client_review": "approved"},
    "client_request_changes": {"client_review": "changes_requested"},
    "request_changes": {"in_review": "changes_requested", "client_review": "changes_requested"},
    "reject": {"in_review": "rejected"},
    "reopen": {"approved": "in_review", "publish_failed": "in_review"},
    # Scheduling an item whose publishing failed tries again (a new round of the outbox).
    "schedule": {"approved": "scheduled", "scheduled": "scheduled", "publish_failed": "scheduled"},
    # An approved item published by hand (never scheduled here, e.g. a time already past) is
    # marked published directly.
    "publish": {"scheduled": "published", "approved": "published", "publish_failed": "published"},
    # The network refused the post for good (a revoked token, media rejected): the worker says why.
    "publish_failed": {"scheduled": "publish_failed", "approved": "publish_failed"},
}
NOTE_REQUIRED = frozenset({"request_changes", "client_request_changes", "reject", "reopen"})
ANY_STATE_ACTIONS = ("comment", "assign", "archive")  # allowed in every state while not archived


def allowed_actions(state: str) -> list[str]:
    return [action for action, moves in TRANSITIONS.items() if state in moves] + list(ANY_STATE_ACTIONS)
# Items in these states count as approved (metrics, exemplars, reports).
APPROVED_STATES = frozenset({"approved", "scheduled", "published", "publish_failed"})

