"""Errors. Every message says what to fix; split by who must act."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the message is meant for the user and says how to fix the problem.

    The message is English (CLI, logs). An error a person can cause from the app also carries a
    `code` and its `params`: the interface says it in the reader's language from the catalogue
    key `error.<code>` (`assistant.web.common.say`), as a platform `Violation` does."""

    def __init__(self, message: str = "", *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class ConfigError(AssistantError):
    """A setting is missing or wrong: the message names the setting to change."""


class BrandNotFound(AssistantError):
    """No brand folder with that slug."""


class BrandProfileError(AssistantError):
    """A brand.yaml file is malformed: the message names the file and the key."""


class IngestError(AssistantError):
    """A file could not be ingested as a whole; nothing from it was written."""


class ProviderError(AssistantError):
    """The LLM provider failed after its retries."""


class ReviewConflict(AssistantError):
    """An edit was based on a stale version of a review item."""


class IllegalTransition(AssistantError):
    """A review item cannot move to the requested state."""


class InvalidRequest(AssistantError):
    """A request is incomplete or inconsistent: the message names the field to fix."""


class ProviderNotAllowed(AssistantError):
    """A brand's policy (`allowed_providers`, `allowed_hosts` in brand.yaml) does not let its
    material go to this provider or host: refused before anything is sent. Its params name the
    brand, the provider, the host and what the brand allows (`record()`: what the audit keeps)."""

    def record(self) -> dict[str, object]:
        kept = {k: self.params.get(k) for k in ("slug", "provider", "host", "use", "allowed", "hosts")}
        return {("brand" if k == "slug" else k): v for k, v in kept.items() if v not in (None, "")}
