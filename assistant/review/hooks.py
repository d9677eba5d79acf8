"""What the review queue calls out to, as small injectable callables, with the default wiring.

- `Validator`: re-checks a human edit against platform and brand rules (violations as dicts).
- `BrandPolicy`: slug -> an object with `four_eyes` (a `BrandProfile` is one).
- `OnApproved`: called after an approval or publication commits, with the item and its text;
  the default adds the text to the brand's collection as an `approved` exemplar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from assistant.knowledge.ingestion import KnowledgeBase
    from assistant.review.schemas import ItemPublic
    from assistant.settings import Settings


class Validator(Protocol):
    def __call__(self, text: str, *, platform: str, brand: str, language: str | None) -> list[dict[str, Any]]: ...


class HasFourEyes(Protocol):
    four_eyes: bool


BrandPolicy = Callable[[str], HasFourEyes]
OnApproved = Callable[["ItemPublic", str], "str | None"]


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


def exemplar_callback(knowledge: Callable[[], KnowledgeBase]) -> OnApproved:
    """Approved text -> the brand's own collection (kind `approved`); `knowledge` is called lazily,
    so that opening the queue never loads the embedding model."""

    def add(item: ItemPublic, text: str) -> str:
        when = item.approved_at or item.updated_at
        return knowledge().add_approved(item.brand, item_id=item.id, text=text, platform=item.platform,
                                        approved_at=when, language=item.language, extra={"goal": item.goal})

    return add


def exemplar_withdrawal(knowledge: Callable[[], KnowledgeBase]) -> Callable[[ItemPublic], int]:
    """Reopened item -> its `approved` exemplar leaves the brand's collection."""

    def remove(item: ItemPublic) -> int:
        return knowledge().remove_approved(item.brand, item_id=item.id)

    return remove
