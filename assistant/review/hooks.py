"""What the review queue calls out to, as small injectable callables, with the default wiring.

- `Validator`: re-checks a human edit against platform and brand rules (violations as dicts).
- `BrandPolicy`: slug -> an object with `four_eyes` (a `BrandProfile` is one).
- `Exemplars`: approved (and published) texts become the brand's exemplars, recorded in the same
  transaction as the approval, indexed after it (`KnowledgeExemplars`).
- `Scheduling`: told of every (re)scheduling inside its transaction; the publishing outbox puts the
  item's posts to the brand's connected accounts in it (none connected: nothing happens).
- `ItemChecks`: the item's checks beyond its text (its media against the platform's media rules and
  the brand's alt-text rule), asked again at every approval: their errors block it like the text's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from assistant.accounts.schemas import Actor
    from assistant.knowledge.ingestion import KnowledgeBase
    from assistant.review.schemas import ItemPublic
    from assistant.settings import Settings


class Validator(Protocol):
    def __call__(self, text: str, *, platform: str, brand: str, language: str | None) -> list[dict[str, Any]]: ...


class ItemChecks(Protocol):
    """Inside the approval's transaction `s`: the item's violations beyond its text (`platforms.Violation`)."""

    def __call__(self, s: Session, item_id: int, *, platform: str, brand: str) -> list[Any]: ...


class HasFourEyes(Protocol):
    four_eyes: bool


BrandPolicy = Callable[[str], HasFourEyes]


def platform_validator(load_profile: Callable[[str], Any], rules: Callable[[], Any] | None = None) -> Validator:
    """`assistant.platforms.validate` with the brand's profile (platform and brand rules)."""

    def validate(text: str, *, platform: str, brand: str, language: str | None) -> list[dict[str, Any]]:
        from assistant import platforms

        found = platforms.validate(text, platform, load_profile(brand), expected_language=language,
                                   rules=rules() if rules else None)
        return [v.as_dict() for v in found]

    return validate


def settings_validator(settings: Settings) -> Validator:
    from assistant.brands import load_brand
    from assistant.platforms import get_rules

    return platform_validator(lambda slug: load_brand(settings.brands_dir, slug).profile,
                              lambda: get_rules(settings.platform_overrides))


def settings_brand_policy(settings: Settings) -> BrandPolicy:
    from assistant.brands import load_brand

    return lambda slug: load_brand(settings.brands_dir, slug).profile


class Exemplars(Protocol):
    """Approved posts become the brand's exemplars. `record` and `withdraw` run INSIDE the review
    transaction (an approval and its exemplar are one unit: both or neither); `index` runs after the
    commit and may fail or be cut short: the exemplar is in the record and the next sync indexes it."""

    def record(self, s: Session, item: ItemPublic, text: str) -> str: ...

    def withdraw(self, s: Session, item: ItemPublic) -> int: ...

    def index(self, brand: str) -> None: ...


class KnowledgeExemplars:
    """The default: exemplars in the knowledge base's record, then its index."""

    def __init__(self, knowledge: Callable[[], KnowledgeBase]) -> None:
        self._knowledge = knowledge  # called lazily: opening the queue never loads the embedding model

    def record(self, s: Session, item: ItemPublic, text: str) -> str:
        kb = self._knowledge()
        doc = kb.approved_doc(item.brand, item_id=item.id, text=text, platform=item.platform,
                              approved_at=item.approved_at or item.updated_at, language=item.language,
                              extra={"goal": item.goal})
        kb.record_approved(s, doc, item.brand)
        return doc.id

    def withdraw(self, s: Session, item: ItemPublic) -> int:
        return self._knowledge().withdraw_approved(s, item.brand, item_id=item.id)

    def index(self, brand: str) -> None:
        self._knowledge().index.sync(brand)


class Scheduling(Protocol):
    """Runs INSIDE the transaction that schedules (or reschedules) an item: what it writes is
    committed with the schedule, or neither is."""

    def scheduled(self, s: Session, item: ItemPublic, by: Actor) -> None: ...
