"""How the review queue is wired to the rest of the app: the rule checks, the brand policies
(four eyes, the client stage) and the exemplar loop, from settings or from the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from assistant.review.hooks import BrandPolicy, Exemplars, ItemChecks, Scheduling, Validator
from assistant.review.queries import ReviewReader
from assistant.review.store import utcnow

if TYPE_CHECKING:
    from assistant.settings import Settings


class WiredReader(ReviewReader):
    """The queue's reads over one database URL (migrated with `alembic upgrade head` when opened),
    wired to the rest of the app.

    `validator`, `brand_policy`, `exemplars`, `scheduling` and `checks` are the seams to the rest of the app
    (`review.hooks`); left out, the first two load brands from `settings` (or the environment),
    and approvals add no exemplar.
    """

    def __init__(self, url: str, *, validator: Validator | None = None, brand_policy: BrandPolicy | None = None,
                 exemplars: Exemplars | None = None, settings: Settings | None = None,
                 clock: Callable[[], datetime] = utcnow, migrate: bool = True,
                 scheduling: Scheduling | None = None, checks: ItemChecks | None = None) -> None:
        super().__init__(url, clock=clock, migrate=migrate)
        self._settings = settings
        self._validator = validator
        self._brand_policy = brand_policy
        self.exemplars = exemplars
        self.scheduling = scheduling
        self.checks = checks

    @classmethod
    def open(cls, settings: Settings, **kwargs: Any) -> Self:
        """The queue at `settings.db_url` (ASSISTANT_DATABASE_URL or the SQLite file in home)."""
        return cls(settings.db_url, settings=settings, **kwargs)

    @classmethod
    def from_services(cls, services: Any, **kwargs: Any) -> Self:
        """Wired like the app: brands from the services, approvals become exemplars."""
        from assistant.review.hooks import KnowledgeExemplars, platform_validator

        kwargs.setdefault("brand_policy", lambda slug: services.brand(slug).profile)
        kwargs.setdefault("validator", platform_validator(lambda slug: services.brand(slug).profile,
                                                          lambda: services.rules))
        kwargs.setdefault("exemplars", KnowledgeExemplars(lambda: services.knowledge))
        kwargs.setdefault("scheduling", getattr(services, "scheduling", None))
        kwargs.setdefault("checks", lambda s, item_id, *, platform, brand: services.attachments.check_in(
            s, item_id, platform, services.brand(brand).profile))
        return cls.open(services.settings, **kwargs)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from assistant.settings import load_settings

            self._settings = load_settings()
        return self._settings

    def validate(self, text: str, *, platform: str, brand: str, language: str | None) -> list[dict[str, Any]]:
        if self._validator is None:
            from assistant.review.hooks import settings_validator

            self._validator = settings_validator(self.settings)
        return self._validator(text, platform=platform, brand=brand, language=language)

    def policy(self, brand: str) -> Any:
        if self._brand_policy is None:
            from assistant.review.hooks import settings_brand_policy

            self._brand_policy = settings_brand_policy(self.settings)
        return self._brand_policy(brand)

    def scheduled(self, s: Any, item: Any, by: Any) -> None:
        """Inside a schedule's transaction: the scheduling hook (the publishing outbox), if wired."""
        if self.scheduling is not None:
            self.scheduling.scheduled(s, item, by)

    def item_errors(self, s: Any, item_id: int, platform: str, brand: str) -> list[Any]:
        """Inside transaction `s`: the error violations of the item beyond its text (its media), when wired."""
        found = self.checks(s, item_id, platform=platform, brand=brand) if self.checks is not None else []
        return [v for v in found if v.severity == "error"]

    def four_eyes(self, brand: str) -> bool:
        return bool(getattr(self.policy(brand), "four_eyes", False))

    def client_stage(self, brand: str) -> bool:
        return bool(getattr(self.policy(brand), "client_stage", False))

    def _public(self, item: Any, current: Any) -> Any:
        """The item as it leaves the queue, with its AI share and `ai_generated` flag (`review.disclosure`)."""
        from assistant.review.disclosure import flagged

        return flagged(super()._public(item, current), item, current, self)
