"""The provider contract (simonw/llm style): `stream(messages, temperature, max_tokens)` yields
text pieces and, once exhausted, leaves a `Usage` on `provider.last_usage`. Capability flags say
what a backend is (local demo model or not)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # True when the server did not report usage and we counted


class Provider:
    """Base contract. Subclasses implement `_stream`."""

    name: ClassVar[str] = "base"
    is_demo_model: bool = False  # the bundled tiny model: drafts only demonstrate the workflow
    is_test_model: bool = False  # the fake: a test double, never a writer
    model: str = ""
    base_url: str | None = None  # where requests go (None: the provider's own service, or nowhere)
    # A tiny model loses the thread in long prompts and writes slowly: callers cap what they send
    # and ask for (None = no cap beyond the settings).
    prompt_budget_cap: int | None = None
    output_tokens_cap: int | None = None

    def __init__(self) -> None:
        self.last_usage = Usage()
        # How the last stream ended, as the provider said: "stop" (finished), "length" (hit the token
        # limit), another reason, or None when it ended without a finish signal (cut off).
        self.last_finish: str | None = None

    def stream(self, messages: Sequence[Message], *, temperature: float = 0.7, max_tokens: int = 400) -> Iterator[str]:
        self.last_usage = Usage()
        self.last_finish = None
        yield from self._stream(list(messages), temperature, max_tokens)

    def probe(self) -> None:
        """Fail fast, with what to fix, when the service cannot be reached (no-op by default)."""

    def complete(self, messages: Sequence[Message], *, temperature: float = 0.7, max_tokens: int = 400) -> str:
        return "".join(self.stream(messages, temperature=temperature, max_tokens=max_tokens))

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"provider": self.name, "model": self.model, "demo_model": self.is_demo_model,
                "test_model": self.is_test_model}


