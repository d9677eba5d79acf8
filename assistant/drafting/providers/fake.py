"""The fake provider: deterministic, builds its text from what it was given (brief and sources),
with an optional scripted queue and a call log, for tests and demos."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.drafting.providers.base import Message, Provider, Usage


@dataclass
class FakeCall:
    messages: list[Message]
    temperature: float
    max_tokens: int


class FakeProvider(Provider):
    """Deterministic; writes its text from the brief and the sources it was given.

    `script` is a queue of exact replies used first (for testing repair rounds and the like), or an
    exception to raise for that call; an entry may be `(text, finish)` to end that reply with another finish signal ("length", or None
    for a stream cut off without one). `calls` logs every request, so tests can see exactly what
    reached the model.
    """

    name = "fake"
    is_test_model = True

    def __init__(self, script: Sequence[str | tuple[str, str | None] | Exception] = (), *, fail_with: Exception | None = None, delay: float = 0.0) -> None:
        super().__init__()
        self.model = "fake-echo-1"
        self.script = list(script)
        self.calls: list[FakeCall] = []
        self.fail_with = fail_with
        self.delay = delay

    def _stream(self, messages: list[Message], temperature: float, max_tokens: int) -> Iterator[str]:
        self.calls.append(FakeCall(messages, temperature, max_tokens))
        if self.fail_with is not None:
            raise self.fail_with
        reply = self.script.pop(0) if self.script else self._compose(messages, temperature)
        if isinstance(reply, Exception):  # a scripted failure for this call only
            raise reply
        text, finish = reply if isinstance(reply, tuple) else (reply, "stop")
        from assistant.text import tokens

        self.last_usage = Usage(sum(tokens.count(m["content"]) for m in messages), tokens.count(text), estimated=True)
        for piece in re.findall(r"\S+\s*", text):
            if self.delay:
                time.sleep(self.delay)
            yield piece
        self.last_finish = finish

    @staticmethod
    def _compose(messages: list[Message], temperature: float) -> str:
        prompt = messages[-1]["content"]
        brief = _tag(prompt, "brief") or _tag(prompt, "instruction") or prompt[-200:]
        exemplar = _tag(prompt, "post")
        hashtags = re.findall(r"#\w+", _tag(prompt, "required_hashtags") or "")
        angle = _tag(prompt, "angle")
        parts = [f"{brief.strip()}"]
        if angle:
            parts.append(f"({angle.strip()})")
        if exemplar:
            parts.append(f"Come dicevamo: \"{' '.join(exemplar.split()[:12])}\"")
        parts.append(CLOSINGS[int(round(temperature * 100)) % len(CLOSINGS)])  # variants differ, as with a real model
        parts.extend(hashtags)
        return " ".join(parts)


# Plain closings (no debug markers in the text): the sampling temperature picks one, so variants,
# drafted at different temperatures, differ the way a real model's would.
CLOSINGS = ("Vi aspettiamo.", "Passate a trovarci.", "Ci vediamo presto.", "Scriveteci le vostre idee.",
            "A presto!", "Fateci sapere cosa ne pensate.", "Portate un amico.")


def _tag(text: str, name: str) -> str | None:
    match = re.search(rf"<{name}(?:\s[^>]*)?>(.*?)</{name}>", text, re.S)
    return match.group(1).strip() if match else None


