"""The human review queue: the state machine (`commands`), the public read API (`queries`),
storage mechanics (`store`), schemas, edit metrics and the hooks to the rest of the app."""

from assistant.review.commands import ReviewQueue
from assistant.review.queries import Fact, PublishedPost, ReviewReader
from assistant.review.schemas import (STATES, ApprovalBlocked, EditConflict, FourEyesRequired, ItemPublic, ItemView,
                                      Page)
from assistant.review.states import APPROVED_STATES, TRANSITIONS, allowed_actions
from assistant.review.store import ItemNotFound

__all__ = ["APPROVED_STATES", "STATES", "TRANSITIONS", "ApprovalBlocked", "EditConflict", "Fact", "FourEyesRequired",
           "ItemNotFound", "ItemPublic", "ItemView", "Page", "PublishedPost", "ReviewQueue", "ReviewReader",
           "allowed_actions"]
