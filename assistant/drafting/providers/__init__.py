"""LLM providers: the only package that imports LLM SDKs, one module per provider.

- `openai`: LangChain `ChatOpenAI` against the OpenAI API (needs OPENAI_API_KEY, sent only there).
- `compatible`: any OpenAI-compatible server by ASSISTANT_BASE_URL (Ollama, vLLM, LM Studio,
  llama.cpp server), with its own key ASSISTANT_COMPATIBLE_API_KEY (or none).
- `local`: a GGUF served in-process by llama.cpp on loopback, through the compatible path.
- `fake`: deterministic, for tests and demos.
"""

from __future__ import annotations

from assistant.drafting.providers.base import Message, Provider, Usage
from assistant.drafting.providers.compatible import OpenAICompatibleProvider, check_reachable, check_url
from assistant.drafting.providers.fake import FakeCall, FakeProvider
from assistant.drafting.providers.openai import DEFAULT_OPENAI_MODEL, OpenAIProvider
from assistant.errors import ConfigError
from assistant.settings import Settings

__all__ = ["DEFAULT_OPENAI_MODEL", "PROVIDERS", "FakeCall", "FakeProvider", "Message", "OpenAICompatibleProvider",
           "OpenAIProvider", "Provider", "Usage", "build_provider", "check_reachable", "resolve_provider_name"]

PROVIDERS = ("openai", "compatible", "local", "fake")


def resolve_provider_name(settings: Settings) -> str:
    """ASSISTANT_PROVIDER, else `openai` when OPENAI_API_KEY is set, else `local`."""
    name = (settings.provider or ("openai" if settings.openai_api_key else "local")).strip().lower()
    if name not in PROVIDERS:
        raise ConfigError(f"unknown provider '{name}': set ASSISTANT_PROVIDER to one of {', '.join(PROVIDERS)}")
    return name


def build_provider(settings: Settings) -> Provider:
    name = resolve_provider_name(settings)
    if name == "fake":
        return FakeProvider(delay=settings.fake_delay)
    if name == "local":
        from assistant.drafting.providers.local import LocalProvider

        return LocalProvider(settings)
    if name == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if not key:
            raise ConfigError("provider 'openai' needs OPENAI_API_KEY (environment or .streamlit/secrets.toml), or "
                              "set ASSISTANT_PROVIDER=local for the offline model")
        return OpenAIProvider(model=settings.model or DEFAULT_OPENAI_MODEL, base_url=None, api_key=key,
                              timeout=settings.llm_timeout, max_retries=settings.llm_max_retries, name="openai",
                              key_setting="OPENAI_API_KEY")
    if not settings.base_url:
        raise ConfigError("provider 'compatible' needs ASSISTANT_BASE_URL, e.g. http://127.0.0.1:11434/v1 for Ollama")
    check_url(settings.base_url)  # reached (probed) before the first request: building sends nothing
    # Keys per service: OPENAI_API_KEY goes only to OpenAI's API, never to another server.
    own = settings.compatible_api_key.get_secret_value() if settings.compatible_api_key else None
    return OpenAICompatibleProvider(model=settings.model or "default", base_url=settings.base_url, api_key=own,
                                    timeout=settings.llm_timeout, max_retries=settings.llm_max_retries, probe=True)


