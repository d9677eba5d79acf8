"""Where a brand's material may go, for drafting: the provider that drafts, refines or repairs for
a brand must be one its brand.yaml allows (`allowed_providers`; for a compatible server, its host
in `allowed_hosts`). The drafter checks the provider it was built with (the Models panel's choice
or the environment's) before anything is sent; a refusal is recorded against who asked.

The rule itself is `assistant.brands.check_destination`, shared with the embedding path
(`assistant.knowledge.embeddings.check_embedder`)."""

from __future__ import annotations

from collections.abc import Callable

from assistant.accounts.schemas import Actor
from assistant.brands import BrandProfile, check_destination
from assistant.drafting.providers.base import Provider
from assistant.errors import ProviderNotAllowed

__all__ = ["ProviderNotAllowed", "Refused", "check_provider"]

Refused = Callable[[ProviderNotAllowed, Actor | None], None]
"""Records a refusal (`Services.refused`: an account event "provider_refused")."""


def check_provider(profile: BrandProfile, provider: Provider) -> None:
    """Raise `ProviderNotAllowed` when `profile` does not let its material go to `provider`."""
    check_destination(profile, provider.name, provider.base_url, use="drafting")
