"""OpenAI's API: the compatible provider pointed at api.openai.com with OPENAI_API_KEY."""

from __future__ import annotations

from assistant.drafting.providers.compatible import OpenAICompatibleProvider

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"


class OpenAIProvider(OpenAICompatibleProvider):
    name = "openai"


