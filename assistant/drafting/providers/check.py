"""What went wrong in a provider call, in the provider's own words: the kind of failure (for a
localised message) and the exact text the server or the network gave. The provider modules turn
SDK errors into `ConfigError` / `ProviderError` that say what to fix; the original error stays
their context, and the "test connection" button shows it as it was."""

from __future__ import annotations

from typing import Literal

Failure = Literal["auth", "not_found", "rate_limit", "timeout", "unreachable", "status", "config", "unexpected"]
MAX_DETAIL = 600


def failure(error: BaseException) -> tuple[Failure, str]:
    """(kind, the provider's own words) for an error raised by `build_provider` or a provider call."""
    import httpx
    import openai

    from assistant.errors import ConfigError

    cause = error.__cause__ or error.__context__ or error
    kind: Failure
    if isinstance(cause, (openai.AuthenticationError, openai.PermissionDeniedError)):
        kind = "auth"
    elif isinstance(cause, openai.NotFoundError):
        kind = "not_found"
    elif isinstance(cause, openai.RateLimitError):
        kind = "rate_limit"
    elif isinstance(cause, (openai.APITimeoutError, TimeoutError, httpx.TimeoutException)):
        kind = "timeout"
    elif isinstance(cause, (openai.APIConnectionError, httpx.HTTPError, OSError)):
        kind = "unreachable"
    elif isinstance(cause, openai.APIStatusError):
        kind = "status"
    elif isinstance(cause, ConfigError):
        kind = "config"
    else:
        kind = "unexpected"
    return kind, provider_text(cause)[:MAX_DETAIL]


def provider_text(exc: BaseException) -> str:
    """The words of the error: "HTTP 401: bad key" from a server, "Connection error. ([Errno 111]
    Connection refused)" from the network, our own message for anything else."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else body
        text = str(message if message not in (None, "") else exc.response.text or exc.message)
        return f"HTTP {exc.status_code}: {text}".strip()
    words = [str(exc) or type(exc).__name__]
    inner = exc.__cause__ or exc.__context__
    while inner is not None and len(words) < 4:
        if str(inner) and str(inner) not in words:
            words.append(str(inner))
        inner = inner.__cause__ or inner.__context__
    return words[0] + "".join(f" ({w})" for w in words[1:])
