"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, LM Studio, llama.cpp server) through
LangChain's `ChatOpenAI`, streamed. The OpenAI and local providers are this one, configured.

Retries: the OpenAI SDK's own (exponential backoff on 429, 5xx, connection errors), bounded by
ASSISTANT_LLM_MAX_RETRIES; every call has ASSISTANT_LLM_TIMEOUT. After the last try a
`ProviderError` says what happened and what to do. API keys never reach logs or errors.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx

from assistant.drafting.providers.base import Message, Provider, Usage
from assistant.errors import ConfigError, ProviderError

log = logging.getLogger(__name__)
WARM_TIMEOUT = 300.0  # seconds for a warm-up (`warm_prompt`)


class OpenAICompatibleProvider(Provider):
    """Any OpenAI-compatible chat endpoint through LangChain's ChatOpenAI, streamed."""

    name = "compatible"
    # The server keeps the KV cache of the prompts it was sent, so a warm-up of a prompt's prefix
    # (`warm_prompt`) makes the next request that starts with it faster (drafting/warming.py). Off
    # here: an unknown server may bill every token or keep no cache; the local provider turns it on.
    caches_prompt: bool = False

    def __init__(self, *, model: str, base_url: str | None, api_key: str | None, timeout: float,
                 max_retries: int, name: str = "compatible", extra_body: dict[str, Any] | None = None,
                 key_setting: str = "ASSISTANT_COMPATIBLE_API_KEY", probe: bool = False) -> None:
        super().__init__()
        # Probe the server (a TCP connection, no data) before the first request, not when built:
        # building sends nothing, so a brand's policy is checked before any connection is made.
        self._unprobed = probe
        # Prompt tokens the server said it read from its prompt cache in the last stream (llama.cpp
        # and OpenAI report it; None when it did not say): how much of a warmed prefix was reused.
        self.last_cached_tokens: int | None = None
        self.extra_body = extra_body or {}
        from langchain_openai import ChatOpenAI

        self.name = name  # type: ignore[misc]
        self.model = model
        self.base_url = base_url
        self.key_setting = key_setting
        self._chat = ChatOpenAI(
            model=model, base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
            max_retries=max_retries, stream_usage=True,
        )

    def probe(self) -> None:
        """`check_reachable` once (until it succeeds): a clear error instead of retries against nothing."""
        if self._unprobed and self.base_url:
            check_reachable(self.base_url)
            self._unprobed = False

    def warm_prompt(self, messages: list[Message]) -> None:
        """Send `messages` for one token, discarded: the server keeps the prompt's KV cache. Not a
        draft: `last_usage` and `last_finish` stay as they were (a draft may be streaming in
        another thread), and no retry (a warm-up that failed is not worth a second load). Its
        own timeout: nobody waits for it, and a loaded machine reads a long prompt for minutes."""
        self.probe()
        client = self._chat.root_client.with_options(max_retries=0, timeout=WARM_TIMEOUT)
        client.chat.completions.create(model=self.model, messages=messages, max_tokens=1,  # type: ignore[arg-type]
                                       temperature=0.0, extra_body=self.extra_body)

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        import openai

        self.probe()

        lc_messages = [(m["role"], m["content"]) for m in messages]
        # ChatOpenAI sends max_tokens as max_completion_tokens, which llama.cpp servers ignore:
        # pass max_tokens in the body too (DESIGN.md, "Pitfalls seen").
        kwargs = {"temperature": temperature, "max_completion_tokens": max_tokens,
                  "extra_body": {**self.extra_body, "max_tokens": max_tokens}}
        received = 0
        self.last_cached_tokens = None
        try:
            for chunk in self._chat.stream(lc_messages, **kwargs):
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    self.last_usage = Usage(usage.get("input_tokens", 0), usage.get("output_tokens", 0))
                    self.last_cached_tokens = (usage.get("input_token_details") or {}).get("cache_read")
                finish = (getattr(chunk, "response_metadata", None) or {}).get("finish_reason")
                if finish:
                    self.last_finish = str(finish)
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    received += 1
                    yield text
        except (openai.APIConnectionError, httpx.HTTPError) as exc:
            if received:  # the server answered, then the connection closed: a cut answer, not "unreachable"
                log.warning("%s: the stream broke after %d pieces (%s)", self.name, received, type(exc).__name__)
                self.last_finish = None
                return
            if isinstance(exc, openai.APITimeoutError):
                raise ProviderError(f"{self.name} did not answer in time after retries; try again, or raise "
                                    "ASSISTANT_LLM_TIMEOUT") from None
            raise ProviderError(f"cannot reach {self.name} at {self.base_url or 'api.openai.com'} after retries; "
                                "check the server is running and ASSISTANT_BASE_URL") from None
        except openai.AuthenticationError as exc:
            raise ConfigError(f"{self.name} rejected the API key ({_status(exc)}); check {self.key_setting}") from None
        except openai.NotFoundError:
            raise ConfigError(f"{self.name} does not know model '{self.model}'; set ASSISTANT_MODEL to one it serves") from None
        except openai.RateLimitError:
            raise ProviderError(f"{self.name} is rate-limiting requests (429) after retries; wait a minute and "
                                "try again, or lower the number of variants") from None
        except openai.APIStatusError as exc:
            raise ProviderError(f"{self.name} failed with {_status(exc)} after retries; try again later") from None


def _status(exc: Any) -> str:
    return f"HTTP {getattr(exc, 'status_code', '?')}"



def check_url(base_url: str) -> None:
    """An http(s) URL with a host (nothing is sent)."""
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"ASSISTANT_BASE_URL={base_url!r} is not an http(s) URL; e.g. http://127.0.0.1:8080/v1")


def check_reachable(base_url: str, timeout: float = 2.0) -> None:
    check_url(base_url)
    parsed = urlparse(base_url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((parsed.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(f"cannot reach ASSISTANT_BASE_URL={base_url} ({exc.__class__.__name__}); start the server "
                          "or fix the URL") from None


